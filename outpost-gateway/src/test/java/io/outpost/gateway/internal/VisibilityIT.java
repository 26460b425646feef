package io.outpost.gateway.internal;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.outpost.core.config.ChangeMapping;
import io.outpost.core.config.RegionConfig;
import io.outpost.core.config.ViewDefinition;
import io.outpost.embedded.EmbeddedPostgres;
import io.outpost.store.RegionStore;
import io.outpost.store.StoreLayout;
import io.outpost.store.ViewReads;
import io.outpost.store.ViewTables;
import java.math.BigDecimal;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * A read rule has two forms — conditions of the SQL that reads lists, and a check of a document in
 * memory for documents read by key (or from the shared cache; the fields streamed, or the whole
 * document when the rule hides some) — and they must always agree. Here
 * both judge the same documents, whose fields hold numbers (whole and decimal), numeric-looking
 * strings, booleans, nulls, objects or nothing, under visibilities made from random claims
 * (strings, numbers, booleans, lists, maps, nulls, injection attempts) and literals; every
 * disagreement is a failure that names its seed.
 */
class VisibilityIT {

    private static final ViewDefinition VIEW = new ViewDefinition("secrets", "id", "SELECT 1 AS id",
            Map.of("orders", ChangeMapping.parse("id")), List.of("customer.id", "status", "tier"), List.of());
    private static final List<String> FIELDS = List.of("customer.id", "status", "tier");
    private static final JsonNodeFactory NODES = JsonNodeFactory.instance;

    private static RegionStore store;
    private static final Map<Long, String> DOCS = new TreeMap<>();

    @BeforeAll
    static void documents() throws Exception {
        String url = EmbeddedPostgres.shared().createDatabase("visibility_it_" + ProcessHandle.current().pid());
        store = RegionStore.open(new RegionConfig.Store(url, EmbeddedPostgres.SUPERUSER, "", 2), "visibility test", 2);
        Random random = new Random(20261202);
        try (Connection c = store.connect()) {
            store.migrate(c);
            ViewTables.create(c, "secrets", VIEW, "bigint");
            try (PreparedStatement insert = c.prepareStatement("INSERT INTO " + StoreLayout.viewTable("secrets")
                    + " (key, doc, position, updated_at) VALUES (?, ?::jsonb, '0/1', now())")) {
                for (long id = 1; id <= 400; id++) {
                    ObjectNode doc = NODES.objectNode().put("id", id);
                    ObjectNode customer = doc.putObject("customer");
                    value(random).ifPresent(v -> customer.set("id", v));
                    value(random).ifPresent(v -> doc.set("status", v));
                    value(random).ifPresent(v -> doc.set("tier", v));
                    DOCS.put(id, doc.toString());
                    insert.setLong(1, id);
                    insert.setString(2, doc.toString());
                    insert.addBatch();
                }
                insert.executeBatch();
            }
        }
    }

    @AfterAll
    static void close() {
        store.close();
    }

    /** A field's value: every kind a document may hold, or absent. */
    private static java.util.Optional<com.fasterxml.jackson.databind.JsonNode> value(Random random) {
        return java.util.Optional.ofNullable(switch (random.nextInt(12)) {
            case 0 -> NODES.numberNode(random.nextInt(4));
            case 1 -> NODES.numberNode(new BigDecimal(random.nextInt(4) + ".0"));
            case 2 -> NODES.textNode(Integer.toString(random.nextInt(4)));
            case 3 -> NODES.textNode(random.nextInt(4) + ".0");
            case 4 -> NODES.textNode(random.nextBoolean() ? "PAID" : "paid");
            case 5 -> NODES.booleanNode(random.nextBoolean());
            case 6 -> NODES.textNode(random.nextBoolean() ? "true" : "1 OR 1=1");
            case 7 -> NODES.nullNode();
            case 8 -> NODES.objectNode().put("id", random.nextInt(4));
            case 9 -> NODES.arrayNode().add(random.nextInt(4));
            case 10 -> NODES.numberNode(random.nextInt(4) - 2L);
            default -> null;
        });
    }

    /** A claim's value as nimbus-jose-jwt reads a token. */
    private static Object claim(Random random) {
        return switch (random.nextInt(14)) {
            case 0, 1 -> Integer.toString(random.nextInt(4));
            case 2 -> random.nextInt(4) + ".0";
            case 3 -> "0" + random.nextInt(4);
            case 4 -> (long) random.nextInt(4);
            case 5 -> random.nextInt(4) + 0.0;
            case 6 -> random.nextBoolean();
            case 7 -> "1 OR 1=1";
            case 8 -> "') OR true --";
            case 9 -> List.of("1", "2");
            case 10 -> Map.of("id", 1);
            case 11 -> random.nextBoolean() ? "PAID" : "true";
            case 12 -> "-" + random.nextInt(3);
            default -> null;
        };
    }

    private static Visibility randomVisibility(Random random) {
        List<Visibility.Group> groups = new ArrayList<>();
        int count = random.nextInt(4);
        for (int g = 0; g < count; g++) {
            List<Visibility.Condition> conditions = new ArrayList<>();
            boolean possible = true;
            int size = random.nextInt(3);
            for (int i = 0; i < size; i++) {
                String field = random.nextInt(5) == 0 ? null : FIELDS.get(random.nextInt(FIELDS.size()));
                List<String> values = new ArrayList<>(ReadRules.candidates(claim(random)));
                if (random.nextInt(3) == 0) {
                    values.addAll(ReadRules.candidates(claim(random)));
                }
                if (random.nextInt(4) == 0) {
                    values.add(random.nextBoolean() ? "\"PAID\"" : Integer.toString(random.nextInt(4)));
                }
                if (values.isEmpty()) {
                    possible = false; // as ReadRules does: a rule with a condition nothing can meet is dropped
                    break;
                }
                conditions.add(new Visibility.Condition(field, values.stream().distinct().toList()));
            }
            if (possible) { // a rule that hides a field is checked on the whole document instead of the fields streamed
                groups.add(new Visibility.Group(conditions, random.nextInt(3) == 0 ? List.of("tier") : List.of()));
            }
        }
        return Visibility.of(groups, "id");
    }

    @Test
    void theSqlAndTheInMemoryCheckOfARuleAlwaysAgree() throws Exception {
        Random random = new Random();
        long seed = random.nextLong();
        random.setSeed(seed);
        int nonTrivial = 0;
        for (int round = 0; round < 300; round++) {
            Visibility visible = randomVisibility(random);
            Set<Long> inMemory = new TreeSet<>();
            Set<Long> shown = new TreeSet<>();
            DOCS.forEach((id, doc) -> {
                if (visible.allows(doc)) {
                    inMemory.add(id);
                }
                if (visible.shown(doc) != null) {
                    shown.add(id);
                }
            });
            assertThat(shown).as("seed %d, round %d: shown and allowed", seed, round).isEqualTo(inMemory);
            Set<Long> bySql = new TreeSet<>();
            try (Connection c = store.connect()) {
                ViewReads.Page page = ViewReads.list(c, "shop", new ViewReads.ListQuery("secrets", "bigint", List.of(), null,
                        false, null, null, 1000, visible.filters()));
                page.items().forEach(item -> bySql.add(Long.parseLong(item.key())));
            }
            assertThat(bySql).as("seed %d, round %d, groups %s", seed, round, visible.filters()).isEqualTo(inMemory);
            if (!inMemory.isEmpty() && inMemory.size() < DOCS.size()) {
                nonTrivial++;
            }
        }
        assertThat(nonTrivial).as("rounds that showed some documents and hid others").isGreaterThan(50);
    }

    @Test
    void aRuleCombinedWithARequestFilterAndACursorStillShowsOnlyItsRows() throws Exception {
        Visibility mine = Visibility.of(List.of(new Visibility.Group(List.of(new Visibility.Condition("customer.id",
                ReadRules.candidates("1"))), List.of())), "id");
        Set<Long> expected = new TreeSet<>();
        DOCS.forEach((id, doc) -> {
            if (mine.allows(doc)) {
                expected.add(id);
            }
        });
        assertThat(expected).isNotEmpty();
        Set<Long> seen = new TreeSet<>();
        ViewReads.After after = null;
        try (Connection c = store.connect()) {
            do {
                ViewReads.Page page = ViewReads.list(c, "shop", new ViewReads.ListQuery("secrets", "bigint", List.of(),
                        null, false, after, null, 3, mine.filters()));
                page.items().forEach(item -> seen.add(Long.parseLong(item.key())));
                after = page.more() ? new ViewReads.After(page.items().getLast().sortValue(), page.items().getLast().key()) : null;
            } while (after != null);
            // someone else's customer id asked for explicitly: nothing
            ViewReads.Page other = ViewReads.list(c, "shop", new ViewReads.ListQuery("secrets", "bigint",
                    List.of(new ViewReads.Filter("customer.id", ViewReads.Operator.EQ, List.of("2", "\"2\""))), null, false,
                    null, null, 100, mine.filters()));
            assertThat(other.items()).isEmpty();
        }
        assertThat(seen).isEqualTo(expected);
    }
}

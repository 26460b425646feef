package io.outpost.projector;

import static io.outpost.projector.LogWriter.map;
import static java.util.concurrent.TimeUnit.SECONDS;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.outpost.core.OutpostException;
import io.outpost.core.SourcePosition;
import io.outpost.core.config.OutpostConfig;
import io.outpost.embedded.EmbeddedKafka;
import io.outpost.embedded.EmbeddedPostgres;
import io.outpost.projector.LogWriter.Tx;
import io.outpost.runtime.Supervisor;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

class ProjectorIT {

    private static final AtomicInteger COUNTER = new AtomicInteger();
    private static final ObjectMapper JSON = new ObjectMapper();

    static final String ORDERS_VIEW = """
              orders:
                key: id
                sql: |
                  SELECT o.id, o.status, json_build_object('id', c.id, 'name', c.name) AS customer,
                         coalesce((SELECT json_agg(json_build_object('sku', l.sku, 'qty', l.qty) ORDER BY l.line_no)
                                   FROM order_lines l WHERE l.order_id = o.id), '[]') AS lines
                  FROM orders o JOIN customers c ON c.id = o.customer_id
                changes:
                  orders: id
                  order_lines: order_id
                  customers: SELECT id FROM orders WHERE customer_id = :id
                fields: [status, customer.id]
                search: [customer.name]
            """;

    /** One document of global totals under a constant key: every change of its tables touches it. */
    static final String TOTALS_VIEW = """
              totals:
                key: id
                sql: |
                  SELECT 'all' AS id, (SELECT count(*) FROM orders) AS orders,
                         (SELECT coalesce(sum(qty), 0) FROM order_lines) AS items
                changes:
                  orders: SELECT 'all'
                  order_lines: SELECT 'all'
            """;

    /** A view whose SQL fails (division by zero) for an order with a line of quantity 0. */
    static final String RATIOS_VIEW = """
              ratios:
                key: id
                sql: SELECT l.order_id AS id, sum(100 / l.qty) AS per_unit FROM order_lines l GROUP BY l.order_id
                changes:
                  order_lines: order_id
            """;

    /** A store database and a topic of their own, and settings for a projector over them. */
    record Setup(String storeUrl, String topic, ProjectorSettings settings) {
    }

    static Setup setup(String views) {
        return setup(views, "");
    }

    /** @param projector extra settings of the projector section, e.g. {@code , on-view-error: record} */
    static Setup setup(String views, String projector) {
        int n = COUNTER.incrementAndGet();
        String name = "projector_it_" + n + "_" + ProcessHandle.current().pid();
        String url = EmbeddedPostgres.shared().createDatabase(name);
        String yaml = """
                source: { name: shop, url: "jdbc:postgresql://localhost/x", user: u, tables: [customers, orders, order_lines] }
                log: { bootstrap-servers: "%s" }
                monolith: { url: "http://localhost:8080" }
                regions: { here: { monolith-route: true, store: { url: "%s", user: postgres }, gateway: { url: "http://localhost:7001" } } }
                auth: { mode: none }
                projector: { batch-max-rows: 100%s }
                views:
                %s
                """.formatted(EmbeddedKafka.shared().bootstrapServers(), url, projector, views);
        OutpostConfig config = OutpostConfig.parse(yaml, v -> null);
        String topic = "outpost.projector_it_" + n + ".changes";
        ProjectorSettings base = ProjectorSettings.of(config, "here");
        return new Setup(url, topic, new ProjectorSettings(base.source(), topic, base.region(), base.views(), base.projector()));
    }

    static Tx schemas(long lsn) {
        return new Tx(lsn)
                .schema("customers", List.of("id"), "id", "int8", "name", "text")
                .schema("orders", List.of("id"), "id", "int8", "customer_id", "int8", "status", "text", "note", "text")
                .schema("order_lines", List.of("order_id", "line_no"), "order_id", "int8", "line_no", "int4", "sku", "text",
                        "qty", "int4");
    }

    static List<List<Object>> query(String url, String sql) throws Exception {
        List<List<Object>> rows = new ArrayList<>();
        try (Connection c = DriverManager.getConnection(url); Statement s = c.createStatement(); ResultSet rs = s.executeQuery(sql)) {
            while (rs.next()) {
                List<Object> row = new ArrayList<>();
                for (int i = 1; i <= rs.getMetaData().getColumnCount(); i++) {
                    row.add(rs.getObject(i));
                }
                rows.add(row);
            }
        }
        return rows;
    }

    static Map<String, JsonNode> documents(String url, String view) throws Exception {
        Map<String, JsonNode> docs = new LinkedHashMap<>();
        for (List<Object> row : query(url, "SELECT key::text, doc::text FROM views.\"" + view + "\" ORDER BY key")) {
            docs.put((String) row.get(0), JSON.readTree((String) row.get(1)));
        }
        return docs;
    }

    static void awaitWatermark(Projector projector, long lsn) {
        await().alias("projector reached " + SourcePosition.ofLsn(lsn)).atMost(30, SECONDS)
                .until(() -> !SourcePosition.ofLsn(lsn).isAfter(projector.status().watermark())
                        || projector.status().state() == Supervisor.State.FAILED);
        assertThat(projector.status().problem()).isNull();
    }

    @Test
    void appliesWholeTransactionsAndKeepsTheViewEqualToItsSql() throws Exception {
        Setup setup = setup(ORDERS_VIEW);
        try (LogWriter log = new LogWriter(setup.topic()); Projector projector = Projector.start(setup.settings())) {
            log.commit(schemas(100)
                    .insert("customers", map("id", 1L), "id", 1L, "name", "Ada")
                    .insert("customers", map("id", 2L), "id", 2L, "name", "Grace")
                    .insert("orders", map("id", 10L), "id", 10L, "customer_id", 1L, "status", "placed", "note", "x")
                    .insert("order_lines", map("order_id", 10L, "line_no", 1L), "order_id", 10L, "line_no", 1L, "sku", "A", "qty", 2L)
                    .insert("order_lines", map("order_id", 10L, "line_no", 2L), "order_id", 10L, "line_no", 2L, "sku", "B", "qty", 1L));
            awaitWatermark(projector, 100);
            assertThat(documents(setup.storeUrl(), "orders").get("10").toString()).isEqualTo(
                    "{\"id\":10,\"lines\":[{\"qty\":2,\"sku\":\"A\"},{\"qty\":1,\"sku\":\"B\"}],\"status\":\"placed\","
                            + "\"customer\":{\"id\":1,\"name\":\"Ada\"}}");

            // a customer rename reaches the order through the SELECT mapping; a line deleted
            log.commit(new Tx(200).update("customers", map("id", 1L), "id", 1L, "name", "Ada L."));
            log.commit(new Tx(300).delete("order_lines", map("order_id", 10L, "line_no", 1L)));
            awaitWatermark(projector, 300);
            JsonNode order = documents(setup.storeUrl(), "orders").get("10");
            assertThat(order.at("/customer/name").asText()).isEqualTo("Ada L.");
            assertThat(order.at("/lines").size()).isEqualTo(1);

            // moving the order to another customer, then deleting it
            log.commit(new Tx(400).update("orders", map("id", 10L), "id", 10L, "customer_id", 2L, "status", "paid", "note", "x"));
            awaitWatermark(projector, 400);
            assertThat(documents(setup.storeUrl(), "orders").get("10").at("/customer/name").asText()).isEqualTo("Grace");
            log.commit(new Tx(500).delete("orders", map("id", 10L)));
            awaitWatermark(projector, 500);
            assertThat(documents(setup.storeUrl(), "orders")).isEmpty();

            assertThat(query(setup.storeUrl(), "SELECT position::text, log_offset FROM outpost_watermark"))
                    .containsExactly(List.of("0/1F4", 17L));
            assertThat(query(setup.storeUrl(), "SELECT order_id, line_no, sku FROM replica_shop.order_lines"))
                    .containsExactly(List.of(10L, 2, "B"));
        }
    }

    @Test
    @DisplayName("a view of global totals, mapped by a SELECT without parameters, follows every change of its tables")
    void aGlobalTotalsViewFollowsEveryChangeOfItsTables() throws Exception {
        Setup setup = setup(TOTALS_VIEW);
        try (LogWriter log = new LogWriter(setup.topic()); Projector projector = Projector.start(setup.settings())) {
            log.commit(schemas(100)
                    .insert("customers", map("id", 1L), "id", 1L, "name", "Ada")
                    .insert("orders", map("id", 10L), "id", 10L, "customer_id", 1L, "status", "placed", "note", "x")
                    .insert("order_lines", map("order_id", 10L, "line_no", 1L), "order_id", 10L, "line_no", 1L, "sku", "A", "qty", 2L));
            awaitWatermark(projector, 100);
            assertThat(documents(setup.storeUrl(), "totals").get("all").toString())
                    .isEqualTo("{\"id\":\"all\",\"items\":2,\"orders\":1}");

            log.commit(new Tx(200)
                    .insert("orders", map("id", 11L), "id", 11L, "customer_id", 1L, "status", "placed", "note", "y")
                    .insert("order_lines", map("order_id", 11L, "line_no", 1L), "order_id", 11L, "line_no", 1L, "sku", "B", "qty", 5L));
            log.commit(new Tx(300).delete("order_lines", map("order_id", 10L, "line_no", 1L)));
            awaitWatermark(projector, 300);
            assertThat(documents(setup.storeUrl(), "totals")).containsOnlyKeys("all");
            assertThat(documents(setup.storeUrl(), "totals").get("all").toString())
                    .isEqualTo("{\"id\":\"all\",\"items\":5,\"orders\":2}");
        }
    }

    @Test
    void skipsTransactionsAtOrBelowTheWatermarkAndDropsOnesCutShort() throws Exception {
        Setup setup = setup(ORDERS_VIEW);
        try (LogWriter log = new LogWriter(setup.topic())) {
            Tx first = schemas(100).insert("customers", map("id", 1L), "id", 1L, "name", "Ada");
            log.commit(first);
            Tx second = new Tx(200).insert("customers", map("id", 2L), "id", 2L, "name", "Grace")
                    .insert("customers", map("id", 3L), "id", 3L, "name", "Edsger");
            // the capture died after the first row of the second transaction, then republished from
            // an older offset: the first transaction again, then the second whole
            log.write(second.records.subList(0, 1));
            log.commit(first);
            log.commit(second);
            log.commit(second);
            log.heartbeat(250);
        }
        try (Projector projector = Projector.start(setup.settings())) {
            awaitWatermark(projector, 250);
            assertThat(projector.status().transactions()).isEqualTo(3);
            assertThat(projector.status().rows()).isEqualTo(3);
        }
        assertThat(query(setup.storeUrl(), "SELECT id, name FROM replica_shop.customers ORDER BY id"))
                .containsExactly(List.of(1L, "Ada"), List.of(2L, "Grace"), List.of(3L, "Edsger"));
    }

    @Test
    void keepsAValueAnUpdateLeftOutAndTakesNewColumns() throws Exception {
        Setup setup = setup(ORDERS_VIEW);
        String large = "x".repeat(10_000);
        try (LogWriter log = new LogWriter(setup.topic()); Projector projector = Projector.start(setup.settings())) {
            log.commit(schemas(100).insert("customers", map("id", 1L), "id", 1L, "name", "Ada")
                    .insert("orders", map("id", 10L), "id", 10L, "customer_id", 1L, "status", "placed", "note", large));
            // an unchanged TOASTed note is not in the update's after image
            log.commit(new Tx(200).update("orders", map("id", 10L), "id", 10L, "customer_id", 1L, "status", "paid"));
            log.commit(new Tx(300)
                    .schema("orders", List.of("id"), "id", "int8", "customer_id", "int8", "status", "text", "note", "text",
                            "channel", "text")
                    .update("orders", map("id", 10L), "id", 10L, "customer_id", 1L, "status", "shipped", "note", large,
                            "channel", "web"));
            awaitWatermark(projector, 300);
        }
        assertThat(query(setup.storeUrl(), "SELECT status, length(note), channel FROM replica_shop.orders"))
                .containsExactly(List.of("shipped", 10_000, "web"));
    }

    @Test
    void appliesATransactionLargerThanABatchWholeInAStoreTransactionOfItsOwn() throws Exception {
        Setup setup = setup(ORDERS_VIEW);
        try (LogWriter log = new LogWriter(setup.topic()); Projector projector = Projector.start(setup.settings())) {
            log.commit(schemas(100).insert("customers", map("id", 1L), "id", 1L, "name", "Ada"));
            Tx big = new Tx(200);
            for (long i = 0; i < 1000; i++) { // batch-max-rows is 100
                big.insert("orders", map("id", i), "id", i, "customer_id", 1L, "status", "placed", "note", null);
            }
            // cut short once, then whole
            log.write(big.records.subList(0, 500));
            log.commit(big);
            log.commit(new Tx(300).update("customers", map("id", 1L), "id", 1L, "name", "Ada L."));
            awaitWatermark(projector, 300);
        }
        assertThat(query(setup.storeUrl(), "SELECT count(*) FROM replica_shop.orders")).containsExactly(List.of(1000L));
        assertThat(query(setup.storeUrl(), "SELECT count(*) FROM views.orders WHERE doc #>> '{customer,name}' = 'Ada L.'"))
                .containsExactly(List.of(1000L));
    }

    @Test
    void refusesAViewThatReadsATableWithoutAChangesEntry() throws Exception {
        String invalid = """
                  orders:
                    key: id
                    sql: SELECT o.id, c.name FROM orders o JOIN customers c ON c.id = o.customer_id
                    changes:
                      orders: id
                """;
        Setup setup = setup(invalid);
        try (LogWriter log = new LogWriter(setup.topic())) {
            log.commit(schemas(100));
        }
        // on a new store the view waits for its tables; once they appear it is checked, and the projector stops
        try (Projector projector = Projector.start(setup.settings())) {
            await().atMost(30, SECONDS).until(() -> projector.status().state() == Supervisor.State.FAILED);
            assertThat(projector.status().problem()).contains("view orders is invalid")
                    .contains("reads table customers but changes has no entry for it");
            assertThat(projector.status().watermark()).isEqualTo(SourcePosition.ZERO);
        }
        // on a store that has the tables, start refuses it
        Setup valid = new Setup(setup.storeUrl(), setup.topic(), setup(ORDERS_VIEW).settings()
                .withStore(setup.settings().region()).withTopic(setup.topic()));
        try (Projector projector = Projector.start(valid.settings())) {
            awaitWatermark(projector, 100);
        }
        assertThatThrownBy(() -> Projector.start(setup.settings())).isInstanceOf(OutpostException.class)
                .hasMessageContaining("view orders is invalid: its SQL reads table customers but changes has no entry");
    }

    @Test
    @DisplayName("the replica indexes a view declares are made once its tables appear; one naming a missing column stops "
            + "the projector, saying which")
    void makesTheIndexesAViewDeclares() throws Exception {
        String latest = """
                  latest:
                    key: id
                    sql: |
                      SELECT c.id, coalesce((SELECT json_agg(o.id ORDER BY o.status DESC, o.id DESC) FROM (SELECT id, status
                             FROM orders WHERE customer_id = c.id ORDER BY status DESC, id DESC LIMIT 2) o), '[]') AS latest
                      FROM customers c
                    changes: { customers: id, orders: customer_id }
                    indexes: ["orders(customer_id, status, id)"]
                """;
        Setup setup = setup(latest);
        try (LogWriter log = new LogWriter(setup.topic()); Projector projector = Projector.start(setup.settings())) {
            log.commit(schemas(100)
                    .insert("customers", map("id", 1L), "id", 1L, "name", "Ada")
                    .insert("orders", map("id", 10L), "id", 10L, "customer_id", 1L, "status", "a", "note", "x")
                    .insert("orders", map("id", 11L), "id", 11L, "customer_id", 1L, "status", "c", "note", "x")
                    .insert("orders", map("id", 12L), "id", 12L, "customer_id", 1L, "status", "b", "note", "x"));
            awaitWatermark(projector, 100);
            assertThat(documents(setup.storeUrl(), "latest").get("1").toString()).isEqualTo("{\"id\":1,\"latest\":[11,12]}");
        }
        assertThat(query(setup.storeUrl(), "SELECT indexdef FROM pg_indexes WHERE schemaname = 'replica_shop' "
                + "AND indexname = 'orders_by_customer_id_status_id'")).singleElement()
                .satisfies(row -> assertThat((String) row.getFirst()).endsWith("(customer_id, status, id)"));

        Setup missing = setup(latest.replace("orders(customer_id, status, id)", "orders(customer_id, placed_at)"));
        try (LogWriter log = new LogWriter(missing.topic()); Projector projector = Projector.start(missing.settings())) {
            log.commit(schemas(100));
            await().atMost(30, SECONDS).until(() -> projector.status().state() == Supervisor.State.FAILED);
            assertThat(projector.status().problem()).contains("view latest: index orders(customer_id, placed_at) names "
                    + "[placed_at], which public.orders does not have").contains("fix views.latest.indexes");
        }
    }

    @Test
    void stopsNamingTheViewTheKeyAndThePositionWhenTheViewFailsForAKey() throws Exception {
        Setup setup = setup(RATIOS_VIEW);
        try (LogWriter log = new LogWriter(setup.topic()); Projector projector = Projector.start(setup.settings())) {
            log.commit(schemas(100).insert("order_lines", map("order_id", 1L, "line_no", 1L), "order_id", 1L, "line_no", 1L,
                    "sku", "A", "qty", 4L));
            awaitWatermark(projector, 100);
            log.commit(new Tx(200).insert("order_lines", map("order_id", 2L, "line_no", 1L), "order_id", 2L, "line_no", 1L,
                    "sku", "B", "qty", 0L));
            await().atMost(30, SECONDS).until(() -> projector.status().state() == Supervisor.State.FAILED);
            assertThat(projector.status().problem()).contains("view ratios failed for key 2 at position 0/C8")
                    .contains("division by zero");
            assertThat(projector.status().watermark()).isEqualTo(SourcePosition.ofLsn(100));
        }
        assertThat(documents(setup.storeUrl(), "ratios")).containsOnlyKeys("1");
    }

    @Test
    void aStandbyWaitsForTheStoreLockAndTakesOver() throws Exception {
        Setup setup = setup(ORDERS_VIEW);
        try (LogWriter log = new LogWriter(setup.topic())) {
            log.commit(schemas(100).insert("customers", map("id", 1L), "id", 1L, "name", "Ada"));
            Projector active = Projector.start(setup.settings());
            awaitWatermark(active, 100);
            try (Projector standby = Projector.start(setup.settings())) {
                await().atMost(30, SECONDS).until(() -> standby.status().state() == Supervisor.State.WAITING_FOR_LOCK);
                active.close();
                log.commit(new Tx(200).insert("customers", map("id", 2L), "id", 2L, "name", "Grace"));
                awaitWatermark(standby, 200);
            }
        }
        assertThat(query(setup.storeUrl(), "SELECT count(*) FROM replica_shop.customers")).containsExactly(List.of(2L));
    }

    @Test
    void rebuildsAViewIntoANewTableThroughTheRunningProjectorOrAlone() throws Exception {
        Setup setup = setup(ORDERS_VIEW);
        try (LogWriter log = new LogWriter(setup.topic())) {
            Tx first = schemas(100).insert("customers", map("id", 1L), "id", 1L, "name", "Ada");
            for (long i = 1; i <= 50; i++) {
                first.insert("orders", map("id", i), "id", i, "customer_id", 1L, "status", "placed", "note", null);
            }
            log.commit(first);
            List<Rebuild.Progress> seen = new java.util.concurrent.CopyOnWriteArrayList<>();
            try (Projector projector = Projector.start(setup.settings())) {
                awaitWatermark(projector, 100);
                // a document changed behind the projector's back is put right by the rebuild
                query(setup.storeUrl(), "UPDATE views.orders SET doc = '{}' WHERE key = 7 RETURNING key");
                long documents = Rebuild.run(setup.settings(), "orders", seen::add, java.time.Duration.ofSeconds(60));
                assertThat(documents).isEqualTo(50);
                assertThat(seen).last().isEqualTo(new Rebuild.Progress("DONE", 50, 50L));
                try (Connection c = DriverManager.getConnection(setup.storeUrl())) { // what the dashboard shows
                    assertThat(io.outpost.store.Rebuilds.recent(c, java.time.Duration.ofMinutes(15), 10)).singleElement()
                            .satisfies(r -> assertThat(List.of(r.view(), r.state().name(), r.written(), r.total()))
                                    .containsExactly("orders", "DONE", 50L, 50L));
                }
                log.commit(new Tx(200).update("customers", map("id", 1L), "id", 1L, "name", "Ada L."));
                awaitWatermark(projector, 200);
            }
            assertThat(documents(setup.storeUrl(), "orders").get("7").at("/customer/name").asText()).isEqualTo("Ada L.");

            // with no projector running, the command does it itself
            query(setup.storeUrl(), "UPDATE views.orders SET doc = '{}' WHERE key = 8 RETURNING key");
            assertThat(Rebuild.run(setup.settings(), "orders", p -> { }, java.time.Duration.ofSeconds(60))).isEqualTo(50);
            assertThat(documents(setup.storeUrl(), "orders").get("8").at("/customer/name").asText()).isEqualTo("Ada L.");
            assertThatThrownBy(() -> Rebuild.run(setup.settings(), "nope", p -> { }, java.time.Duration.ofSeconds(5)))
                    .hasMessageContaining("there is no view nope");
        }
    }

    @Test
    void rebuildsAViewWhoseDefinitionChangedWhenItStarts() throws Exception {
        Setup setup = setup(ORDERS_VIEW);
        try (LogWriter log = new LogWriter(setup.topic())) {
            log.commit(schemas(100).insert("customers", map("id", 1L), "id", 1L, "name", "Ada")
                    .insert("orders", map("id", 10L), "id", 10L, "customer_id", 1L, "status", "placed", "note", "x"));
            try (Projector projector = Projector.start(setup.settings())) {
                awaitWatermark(projector, 100);
            }
        }
        Setup changed = setup(ORDERS_VIEW.replace("SELECT o.id, o.status,", "SELECT o.id, upper(o.status) AS status, o.note,"));
        ProjectorSettings settings = changed.settings().withStore(setup.settings().region()).withTopic(setup.topic());
        try (Projector projector = Projector.start(settings)) {
            awaitWatermark(projector, 100);
        }
        JsonNode order = documents(setup.storeUrl(), "orders").get("10");
        assertThat(order.get("status").asText()).isEqualTo("PLACED");
        assertThat(order.get("note").asText()).isEqualTo("x");
    }

    @Test
    void recordsAViewFailureAndGoesOnWhenToldTo() throws Exception {
        Setup setup = setup(RATIOS_VIEW, ", on-view-error: record");
        try (LogWriter log = new LogWriter(setup.topic()); Projector projector = Projector.start(setup.settings())) {
            log.commit(schemas(100).insert("order_lines", map("order_id", 1L, "line_no", 1L), "order_id", 1L, "line_no", 1L,
                    "sku", "A", "qty", 4L));
            awaitWatermark(projector, 100);
            log.commit(new Tx(200)
                    .insert("order_lines", map("order_id", 2L, "line_no", 1L), "order_id", 2L, "line_no", 1L, "sku", "B", "qty", 0L)
                    .insert("order_lines", map("order_id", 3L, "line_no", 1L), "order_id", 3L, "line_no", 1L, "sku", "C", "qty", 5L));
            awaitWatermark(projector, 200);
        }
        assertThat(documents(setup.storeUrl(), "ratios")).containsOnlyKeys("1", "3");
        assertThat(query(setup.storeUrl(), "SELECT view, key, position::text, message FROM outpost_errors"))
                .containsExactly(List.of("ratios", "2", "0/C8", "ERROR: division by zero"));
    }
}

package io.outpost.store;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.outpost.core.SourcePosition;
import java.sql.Connection;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/** The gateway's reads against a real store: documents by key and pages, with the watermark each read saw. */
class ViewReadsIT {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static StoreFixture store;

    /** Orders 1..30: status PAID for odd ids, PLACED for even; customer id*10 % 7; names Ada for multiples of 3. */
    @BeforeAll
    static void orders() throws Exception {
        store = StoreFixture.create("view_reads");
        try (Connection c = store.connect()) {
            ViewTables.create(c, "orders", StoreFixture.ORDERS, "int8");
        }
        store.execute("INSERT INTO views.orders (key, doc, position, updated_at) SELECT g, jsonb_build_object('id', g, "
                + "'status', CASE WHEN g % 2 = 1 THEN 'PAID' ELSE 'PLACED' END, 'customer', jsonb_build_object('id', g * 10 % 7, "
                + "'name', CASE WHEN g % 3 = 0 THEN 'Ada Lovelace' ELSE 'Grace Hopper' END)), '0/10', now() "
                + "FROM generate_series(1, 30) g");
        store.watermark("0/2A", "2026-12-02T12:00:00Z");
    }

    private static ViewReads.ListQuery query(List<ViewReads.Filter> filters, String sort, boolean descending,
                                             ViewReads.After after, String text, int limit) {
        return new ViewReads.ListQuery("orders", "int8", filters, sort, descending, after, text, limit);
    }

    private static List<Long> ids(ViewReads.Page page) throws Exception {
        List<Long> ids = new ArrayList<>();
        for (ViewReads.Item item : page.items()) {
            ids.add(JSON.readTree(item.doc()).path("id").asLong());
        }
        return ids;
    }

    @Test
    @DisplayName("view reads: a document by key comes with the watermark of the same snapshot; a missing one is null, watermark included")
    void aDocumentByKeyComesWithItsWatermark() throws Exception {
        try (Connection c = store.connect()) {
            ViewReads.One one = ViewReads.byKey(c, "shop", "orders", "int8", "7");
            assertThat(JSON.readTree(one.doc()).path("status").asText()).isEqualTo("PAID");
            assertThat(one.snapshot()).isEqualTo(new ViewReads.Snapshot(SourcePosition.parse("0/2A"),
                    Instant.parse("2026-12-02T12:00:00Z")));
            ViewReads.One none = ViewReads.byKey(c, "shop", "orders", "int8", "99");
            assertThat(none.doc()).isNull();
            assertThat(none.snapshot().position()).isEqualTo(SourcePosition.parse("0/2A"));
            assertThat(ViewReads.byKey(c, "other_source", "orders", "int8", "7").snapshot().position())
                    .as("a source the store has applied nothing of").isNull();
        }
    }

    @Test
    @DisplayName("view reads: pages filtered by any of several values, sorted by a field, follow each other with no gap or repeat")
    void pagesFollowEachOtherInOrder() throws Exception {
        List<ViewReads.Filter> paid = List.of(new ViewReads.Filter("status", ViewReads.Operator.EQ, List.of("\"PAID\"", "\"X\"")));
        List<Long> listed = new ArrayList<>();
        ViewReads.After after = null;
        try (Connection c = store.connect()) {
            for (int pages = 0; pages < 20; pages++) {
                ViewReads.Page page = ViewReads.list(c, "shop", query(paid, "customer.id", true, after, null, 4));
                assertThat(page.snapshot().position()).isEqualTo(SourcePosition.parse("0/2A"));
                listed.addAll(ids(page));
                if (!page.more()) {
                    break;
                }
                ViewReads.Item last = page.items().getLast();
                after = new ViewReads.After(last.sortValue(), last.key());
            }
        }
        // descending by customer id, then by key, both descending
        List<Long> expected = new ArrayList<>();
        for (long id = 1; id <= 30; id += 2) {
            expected.add(id);
        }
        expected.sort((a, b) -> a * 10 % 7 != b * 10 % 7 ? Long.compare(b * 10 % 7, a * 10 % 7) : Long.compare(b, a));
        assertThat(listed).containsExactlyElementsOf(expected);
    }

    @Test
    @DisplayName("view reads: ranges compare numbers as numbers, and full-text search finds names")
    void rangesAndSearch() throws Exception {
        try (Connection c = store.connect()) {
            ViewReads.Page low = ViewReads.list(c, "shop", query(List.of(new ViewReads.Filter("customer.id",
                    ViewReads.Operator.LT, List.of("2"))), null, false, null, null, 100));
            assertThat(ids(low)).isNotEmpty().allSatisfy(id -> assertThat(id * 10 % 7).isLessThan(2)).isSorted();
            ViewReads.Page ada = ViewReads.list(c, "shop", query(List.of(), null, false, null, "ada", 100));
            assertThat(ids(ada)).containsExactly(3L, 6L, 9L, 12L, 15L, 18L, 21L, 24L, 27L, 30L);
            ViewReads.Page adaPaid = ViewReads.list(c, "shop", query(List.of(new ViewReads.Filter("status", ViewReads.Operator.EQ,
                    List.of("\"PAID\""))), null, false, null, "ada", 100));
            assertThat(ids(adaPaid)).containsExactly(3L, 9L, 15L, 21L, 27L);
            ViewReads.Page nothing = ViewReads.list(c, "shop", query(List.of(new ViewReads.Filter("status",
                    ViewReads.Operator.EQ, List.of("\"SHIPPED\""))), null, false, null, null, 10));
            assertThat(nothing.items()).isEmpty();
            assertThat(nothing.more()).isFalse();
            assertThat(nothing.snapshot().position()).as("an empty page still says where the region is")
                    .isEqualTo(SourcePosition.parse("0/2A"));
        }
    }
}

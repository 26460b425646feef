package io.outpost.projector.internal;

import static org.assertj.core.api.Assertions.assertThat;

import io.outpost.core.config.ChangeMapping;
import io.outpost.core.config.ViewDefinition;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

class ViewSqlTest {

    private static final ViewDefinition ORDERS = new ViewDefinition("orders", "id",
            "  SELECT o.id, o.status FROM orders o ;; \n", Map.of("orders", ChangeMapping.parse("id")), List.of("status"),
            List.of());

    private static long placeholders(String sql) {
        return sql.chars().filter(c -> c == '?').count();
    }

    @Test
    @DisplayName("view SQL: the view's own SQL is nested without its blanks and trailing semicolons")
    void nestsTheViewSqlWithoutTrailingSemicolons() {
        assertThat(ViewSql.body(ORDERS.sql())).isEqualTo("SELECT o.id, o.status FROM orders o");
        assertThat(ViewSql.probe(ORDERS)).isEqualTo("SELECT * FROM (SELECT o.id, o.status FROM orders o) v LIMIT 0");
    }

    @Test
    @DisplayName("view SQL: documents are computed per key, cast to the key's type, all of them or those of a text array")
    void computesDocumentsPerKey() {
        assertThat(ViewSql.computed(ORDERS, "int8", false))
                .isEqualTo("SELECT v.\"id\"::int8 AS key, to_jsonb(v) AS doc FROM (SELECT o.id, o.status FROM orders o) v");
        assertThat(ViewSql.computed(ORDERS, "int8", true)).endsWith(" v WHERE v.\"id\" = ANY (?::text[]::int8[])");
    }

    @Test
    @DisplayName("view SQL: a recomputation upserts changed documents and deletes vanished keys, binding keys, position, keys")
    void recomputesByUpsertAndDelete() {
        String some = ViewSql.upsertAndDelete(ORDERS, "int8", "views.\"orders\"", true);
        assertThat(placeholders(some)).isEqualTo(3);
        assertThat(some.indexOf("ANY (?::text[]::int8[])")).as("the keys come first").isLessThan(some.indexOf("?::pg_lsn"));
        assertThat(some).contains("ON CONFLICT (key) DO UPDATE SET doc = EXCLUDED.doc",
                "WHERE t.doc IS DISTINCT FROM EXCLUDED.doc",
                "DELETE FROM views.\"orders\" t WHERE t.key = ANY (?::text[]::int8[]) AND NOT EXISTS");
        String all = ViewSql.upsertAndDelete(ORDERS, "int8", "views.\"orders\"", false);
        assertThat(placeholders(all)).as("the position alone").isEqualTo(1);
        assertThat(all).endsWith("DELETE FROM views.\"orders\" t WHERE NOT EXISTS (SELECT 1 FROM computed c WHERE c.key = t.key)");
    }

    @Test
    @DisplayName("view SQL: a key query reads the changed rows' parameters from one JSON array, typed like the table")
    void aKeyQueryReadsItsParametersFromJson() {
        ChangeMapping.KeyQuery query = (ChangeMapping.KeyQuery) ChangeMapping.parse(
                "SELECT id FROM orders WHERE customer_id = :id AND region = :region;");
        String sql = ViewSql.keyQuery(query, Map.of("id", "int8"));
        assertThat(sql).isEqualTo("SELECT DISTINCT m.k::text FROM jsonb_to_recordset(?::jsonb) AS p(\"id\" int8, \"region\" text) "
                + "CROSS JOIN LATERAL (SELECT id FROM orders WHERE customer_id = p.\"id\" AND region = p.\"region\") AS m(k)");
    }

    @Test
    @DisplayName("view SQL: an every-change mapping runs as it is, its keys as text")
    void anEveryChangeMappingRunsAsItIs() {
        assertThat(ViewSql.everyChangeQuery((ChangeMapping.EveryChange) ChangeMapping.parse("SELECT 'all'")))
                .isEqualTo("SELECT DISTINCT m.k::text FROM (SELECT 'all') AS m(k)");
    }

    @Test
    @DisplayName("view SQL: names are quoted, a quote in a name doubled")
    void quotesNames() {
        ViewDefinition odd = new ViewDefinition("odd", "we\"ird", "SELECT 1 AS \"we\"\"ird\"", Map.of(), List.of(), List.of());
        assertThat(ViewSql.distinctKeys(odd)).isEqualTo("SELECT DISTINCT v.\"we\"\"ird\"::text FROM (SELECT 1 AS \"we\"\"ird\") v");
        assertThat(ViewSql.insertComputed(odd, "int4", "views.\"odd__build\"", false)).startsWith(
                "INSERT INTO views.\"odd__build\" (key, doc, position, updated_at) SELECT key, doc, ?::pg_lsn, now() FROM (");
    }

    @Test
    @DisplayName("a declared index's name is <table>_by_<columns>, or within PostgreSQL's 63 bytes a start and a digest")
    void declaredIndexNames() {
        assertThat(ViewMaintainer.indexName("orders", List.of("customer_id", "placed_at"))).isEqualTo("orders_by_customer_id_placed_at");
        String longer = ViewMaintainer.indexName("order_lines", List.of("product_id", "order_id", "line_no", "unit_price", "qty"));
        String other = ViewMaintainer.indexName("order_lines", List.of("product_id", "order_id", "line_no", "unit_price", "sku"));
        assertThat(longer).hasSizeLessThanOrEqualTo(63).startsWith("order_lines_by_product_id_order_id").isNotEqualTo(other);
    }
}

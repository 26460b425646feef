package io.outpost.store;

import static org.assertj.core.api.Assertions.assertThat;

import io.outpost.core.config.ChangeMapping;
import io.outpost.core.config.ViewDefinition;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

class ViewTablesIT {

    private static List<String> strings(Connection c, String sql) throws Exception {
        List<String> values = new ArrayList<>();
        try (Statement s = c.createStatement(); ResultSet rs = s.executeQuery(sql)) {
            while (rs.next()) {
                values.add(rs.getString(1));
            }
        }
        return values;
    }

    @Test
    @DisplayName("view tables: a view's table has an indexed, never-NULL jsonb column per field and a searchable tsvector")
    void aViewTableHasItsFieldColumnsAndSearch() throws Exception {
        StoreFixture store = StoreFixture.create("view_tables");
        try (Connection c = store.connect()) {
            ViewTables.create(c, "orders", StoreFixture.ORDERS, "int8");
            assertThat(ViewTables.exists(c, "orders")).isTrue();
            assertThat(strings(c, "SELECT column_name || ' ' || data_type FROM information_schema.columns "
                    + "WHERE table_schema = 'views' AND table_name = 'orders' ORDER BY ordinal_position"))
                    .containsExactly("key bigint", "doc jsonb", "position pg_lsn", "updated_at timestamp with time zone",
                            "f_status jsonb", "f_customer_id jsonb", "search tsvector");
            assertThat(strings(c, "SELECT indexname FROM pg_indexes WHERE schemaname = 'views' AND tablename = 'orders' "
                    + "ORDER BY indexname")).containsExactly("orders_f_customer_id", "orders_f_status", "orders_pkey",
                    "orders_search");
            try (Statement s = c.createStatement()) {
                s.execute("INSERT INTO views.orders (key, doc, position, updated_at) VALUES "
                        + "(1, '{\"status\": \"PAID\", \"customer\": {\"id\": 7, \"name\": \"Ada Lovelace\"}}', '0/10', now()), "
                        + "(2, '{\"customer\": {\"name\": \"Grace Hopper\"}}', '0/10', now())");
            }
            assertThat(strings(c, "SELECT f_status::text FROM views.orders ORDER BY key")).containsExactly("\"PAID\"", "null");
            assertThat(strings(c, "SELECT f_customer_id::text FROM views.orders ORDER BY key")).containsExactly("7", "null");
            assertThat(strings(c, "SELECT key::text FROM views.orders WHERE search @@ websearch_to_tsquery('simple', 'grace')"))
                    .containsExactly("2");
        }
    }

    @Test
    @DisplayName("view tables: a built table swaps in under the view's name, indexes renamed, so the next build can swap too")
    void aBuiltTableSwapsIn() throws Exception {
        StoreFixture store = StoreFixture.create("view_swap");
        try (Connection c = store.connect()) {
            c.setAutoCommit(false);
            for (int build = 1; build <= 2; build++) {
                ViewTables.drop(c, "orders__build");
                ViewTables.create(c, "orders__build", StoreFixture.ORDERS, "int8");
                try (Statement s = c.createStatement()) {
                    s.execute("INSERT INTO views.orders__build (key, doc, position, updated_at) VALUES (" + build
                            + ", '{}', '0/10', now())");
                }
                ViewTables.swap(c, "orders", "orders__build");
                c.commit();
                assertThat(strings(c, "SELECT key::text FROM views.orders")).containsExactly(Integer.toString(build));
                assertThat(ViewTables.exists(c, "orders__build")).isFalse();
                assertThat(strings(c, "SELECT indexname FROM pg_indexes WHERE schemaname = 'views' ORDER BY indexname"))
                        .containsExactly("orders_f_customer_id", "orders_f_status", "orders_pkey", "orders_search");
            }
        }
    }

    @Test
    @DisplayName("view tables: the registry keeps each view's hash, key type, state and detail; unregister forgets it")
    void theRegistryKeepsEachViewsState() throws Exception {
        StoreFixture store = StoreFixture.create("view_registry");
        try (Connection c = store.connect()) {
            ViewTables.register(c, StoreFixture.ORDERS, null, ViewTables.State.WAITING, "waiting for [public.orders]");
            assertThat(ViewTables.registered(c)).containsExactly(Map.entry("orders", new ViewTables.Registered("orders",
                    ViewTables.hash(StoreFixture.ORDERS), null, ViewTables.State.WAITING, "waiting for [public.orders]")));
            ViewTables.register(c, StoreFixture.ORDERS, "int8", ViewTables.State.READY, null);
            assertThat(ViewTables.registered(c).get("orders").state()).isEqualTo(ViewTables.State.READY);
            assertThat(ViewTables.registered(c).get("orders").keyType()).isEqualTo("int8");
            ViewTables.unregister(c, "orders");
            assertThat(ViewTables.registered(c)).isEmpty();
        }
    }

    @Test
    @DisplayName("view tables: the hash follows what the table depends on (key, SQL, fields, search), not how changes map")
    void theHashFollowsWhatTheTableDependsOn() {
        ViewDefinition orders = StoreFixture.ORDERS;
        String hash = ViewTables.hash(orders);
        assertThat(ViewTables.hash(new ViewDefinition("orders", "id", orders.sql(), Map.of("orders",
                ChangeMapping.parse("SELECT 1")), orders.fields(), orders.search()))).isEqualTo(hash);
        assertThat(ViewTables.hash(new ViewDefinition("orders", "id", "SELECT 2 AS id", orders.changes(), orders.fields(),
                orders.search()))).isNotEqualTo(hash);
        assertThat(ViewTables.hash(new ViewDefinition("orders", "id", orders.sql(), orders.changes(), List.of("status"),
                orders.search()))).isNotEqualTo(hash);
        assertThat(ViewTables.hash(new ViewDefinition("orders", "id", orders.sql(), orders.changes(), orders.fields(),
                List.of()))).isNotEqualTo(hash);
    }
}

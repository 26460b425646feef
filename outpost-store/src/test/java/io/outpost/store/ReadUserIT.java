package io.outpost.store;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.outpost.core.OutpostException;
import io.outpost.core.config.RegionConfig;
import io.outpost.embedded.EmbeddedPostgres;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * {@code store.read-user}: the projector's migration grants the gateways' role SELECT on Outpost's
 * tables and on view tables made afterwards, and the gateways' reads work as that role — which can
 * change nothing.
 */
class ReadUserIT {

    @Test
    void gatewaysReadAsTheReadUserWhichMayChangeNothing() throws Exception {
        StoreFixture fixture = StoreFixture.create("read_user");
        String reader = "outpost_reader_" + ProcessHandle.current().pid();
        fixture.execute("DO $$ BEGIN IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = '" + reader + "') THEN "
                + "CREATE ROLE " + reader + " LOGIN; END IF; END $$");
        String url = fixture.url().replace("?user=" + EmbeddedPostgres.SUPERUSER, "");
        RegionConfig.Store config = new RegionConfig.Store(url, EmbeddedPostgres.SUPERUSER, "", 2, reader, "");
        try (RegionStore projector = RegionStore.open(config, "projector test", 2); Connection c = projector.connect()) {
            projector.migrate(c);
            ViewTables.create(c, "orders", StoreFixture.ORDERS, "int8"); // made after the grants: default privileges
        }
        fixture.execute("INSERT INTO views.orders (key, doc, position, updated_at) VALUES (7, '{\"id\": 7}', '0/10', now())");
        fixture.watermark("0/2A", "2026-12-02T12:00:00Z");

        assertThat(config.reader().user()).isEqualTo(reader);
        try (RegionStore gateway = RegionStore.open(config.reader(), "gateway test", 2); Connection c = gateway.connect()) {
            assertThat(ViewReads.byKey(c, "shop", "orders", "int8", "7").doc()).contains("\"id\": 7");
            assertThat(ViewTables.registered(c)).isEmpty();
            assertThat(RegionStore.watermark(c, "shop")).isPresent();
            assertThat(Rebuilds.recent(c, java.time.Duration.ofMinutes(15), 10)).as("the rebuilds, for the dashboard").isEmpty();
            try (Statement s = c.createStatement()) {
                for (String write : List.of("INSERT INTO views.orders (key, doc, position, updated_at) VALUES (8, '{}', '0/1', now())",
                        "DELETE FROM views.orders", "UPDATE public.outpost_watermark SET position = '0/1'",
                        "CREATE TABLE views.mine (id int)", "SELECT * FROM public.outpost_errors")) {
                    assertThatThrownBy(() -> s.execute(write)).as(write).isInstanceOfSatisfying(SQLException.class,
                            e -> assertThat(e.getSQLState()).isEqualTo("42501"));
                }
            }
        }
        try (WatermarkWatcher watcher = WatermarkWatcher.start(config.reader(), "shop", "read user test")) {
            org.awaitility.Awaitility.await().alias("the watcher follows the watermark as the read-user")
                    .atMost(java.time.Duration.ofSeconds(10)).until(watcher::connected);
        }

        RegionConfig.Store missing = new RegionConfig.Store(url, EmbeddedPostgres.SUPERUSER, "", 2, "no_such_reader", "");
        try (RegionStore projector = RegionStore.open(missing, "projector test", 2); Connection c = projector.connect()) {
            assertThatThrownBy(() -> projector.migrate(c)).isInstanceOf(OutpostException.class)
                    .hasMessageContaining("read-user no_such_reader does not exist").hasMessageContaining("CREATE ROLE");
        }
    }
}

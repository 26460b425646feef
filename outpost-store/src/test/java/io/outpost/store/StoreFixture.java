package io.outpost.store;

import io.outpost.core.config.ChangeMapping;
import io.outpost.core.config.RegionConfig;
import io.outpost.core.config.ViewDefinition;
import io.outpost.embedded.EmbeddedPostgres;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;

/** A store database of its own in the shared PostgreSQL, with Outpost's bookkeeping, for one test. */
record StoreFixture(String url, RegionConfig.Store config) {

    private static final AtomicInteger COUNTER = new AtomicInteger();

    /** The orders view of the tests: filterable by status and customer.id, searchable by customer.name. */
    static final ViewDefinition ORDERS = new ViewDefinition("orders", "id", "SELECT 1 AS id",
            Map.of("orders", ChangeMapping.parse("id")), List.of("status", "customer.id"), List.of("customer.name"));

    static StoreFixture create(String prefix) throws SQLException {
        String url = EmbeddedPostgres.shared().createDatabase(prefix + "_" + COUNTER.incrementAndGet() + "_"
                + ProcessHandle.current().pid());
        StoreFixture fixture = new StoreFixture(url, new RegionConfig.Store(url, EmbeddedPostgres.SUPERUSER, "", 2));
        try (RegionStore store = fixture.open(); Connection c = store.connect()) {
            store.migrate(c);
        }
        return fixture;
    }

    RegionStore open() {
        return RegionStore.open(config, "store test", 2);
    }

    Connection connect() throws SQLException {
        return DriverManager.getConnection(url);
    }

    /** Runs statements in one transaction. */
    void execute(String... sql) throws SQLException {
        try (Connection c = connect(); Statement s = c.createStatement()) {
            c.setAutoCommit(false);
            for (String statement : sql) {
                s.execute(statement);
            }
            c.commit();
        }
    }

    /** Moves the watermark of source {@code shop} to {@code position} and announces it, as a projector's commit does. */
    void watermark(String position, String commitTime) throws SQLException {
        execute("INSERT INTO public.outpost_watermark (source, position, commit_time, applied_at, log_offset) VALUES "
                        + "('shop', '" + position + "', '" + commitTime + "', now(), 0) ON CONFLICT (source) DO UPDATE "
                        + "SET position = EXCLUDED.position, commit_time = EXCLUDED.commit_time",
                "SELECT pg_notify('" + StoreLayout.WATERMARK_CHANNEL + "', 'shop " + position + "')");
    }
}

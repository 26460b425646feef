package io.outpost.store;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import io.outpost.core.OutpostException;
import io.outpost.core.SourcePosition;
import io.outpost.core.config.RegionConfig;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Optional;
import javax.sql.DataSource;

/**
 * A region's PostgreSQL store: a connection pool (sessions in UTC, so documents built from
 * timestamps are the same everywhere) and Outpost's bookkeeping tables.
 */
public final class RegionStore implements AutoCloseable {

    private static final String BOOKKEEPING = """
            CREATE TABLE IF NOT EXISTS public.outpost_watermark (
                source      text PRIMARY KEY,
                position    pg_lsn NOT NULL,
                commit_time timestamptz NOT NULL,
                applied_at  timestamptz NOT NULL,
                log_offset  bigint NOT NULL);
            CREATE TABLE IF NOT EXISTS public.outpost_replicas (
                source      text NOT NULL,
                source_table text NOT NULL,
                schema      jsonb NOT NULL,
                PRIMARY KEY (source, source_table));
            CREATE TABLE IF NOT EXISTS public.outpost_views (
                name        text PRIMARY KEY,
                hash        text NOT NULL,
                key_type    text,
                state       text NOT NULL,
                detail      text,
                fields      jsonb NOT NULL,
                search      jsonb NOT NULL,
                updated_at  timestamptz NOT NULL);
            CREATE TABLE IF NOT EXISTS public.outpost_errors (
                id          bigserial PRIMARY KEY,
                view        text NOT NULL,
                key         text NOT NULL,
                position    pg_lsn NOT NULL,
                message     text NOT NULL,
                at          timestamptz NOT NULL DEFAULT now());
            CREATE TABLE IF NOT EXISTS public.outpost_rebuilds (
                id           bigserial PRIMARY KEY,
                view         text NOT NULL,
                state        text NOT NULL,
                written      bigint NOT NULL DEFAULT 0,
                total        bigint,
                requested_at timestamptz NOT NULL DEFAULT now(),
                finished_at  timestamptz,
                detail       text);
            CREATE SCHEMA IF NOT EXISTS views;
            """;

    private final String description;
    private final HikariDataSource pool;
    /** The role gateways read as, granted SELECT by {@link #migrate}; null when they read as the pool's user. */
    private final String readUser;

    private RegionStore(String description, HikariDataSource pool, String readUser) {
        this.readUser = readUser;
        this.description = description;
        this.pool = pool;
    }

    /**
     * A pool over the store. It connects lazily: an unreachable store shows up when a connection
     * is asked for, as an {@link OutpostException.Retriable} from {@link #connect}.
     *
     * @param purpose what the connections are for (shown in {@code pg_stat_activity})
     */
    public static RegionStore open(RegionConfig.Store store, String purpose, int poolSize) {
        HikariConfig config = new HikariConfig();
        config.setJdbcUrl(store.url());
        config.setUsername(store.user());
        config.setPassword(store.password());
        config.setMaximumPoolSize(poolSize);
        config.setMinimumIdle(0);
        config.setInitializationFailTimeout(-1);
        config.setConnectionTimeout(5000);
        config.setConnectionInitSql("SET TIME ZONE 'UTC'");
        config.setPoolName("outpost-store-" + purpose);
        config.addDataSourceProperty("ApplicationName", "outpost " + purpose);
        config.addDataSourceProperty("reWriteBatchedInserts", "true");
        return new RegionStore(description(store.url()), new HikariDataSource(config), store.readUser());
    }

    /** A store's JDBC URL for messages, a password in it masked. */
    static String description(String url) {
        return url.replaceAll("(?i)(password=)[^&]*", "$1***");
    }

    /** The pool. */
    public DataSource dataSource() {
        return pool;
    }

    /** Where the store is, for messages. */
    public String description() {
        return description;
    }

    /**
     * A connection from the pool.
     *
     * @throws OutpostException.Retriable when the store cannot be reached
     */
    public Connection connect() {
        try {
            return pool.getConnection();
        } catch (SQLException e) {
            throw new OutpostException.Retriable("cannot reach the region store at " + description + ": "
                    + e.getMessage(), e);
        }
    }

    /**
     * Creates Outpost's bookkeeping tables and the {@code views} schema where missing; with a
     * {@code read-user}, grants it SELECT on them and on every table this role creates in
     * {@code views} from now on (and nothing else).
     *
     * @throws OutpostException when the read-user does not exist
     */
    public void migrate(Connection connection) throws SQLException {
        try (Statement s = connection.createStatement()) {
            // concurrent CREATE IF NOT EXISTS can still collide in the catalog: serialize them
            s.execute("SELECT pg_advisory_xact_lock(hashtextextended('outpost-store-migrate', 0))");
            s.execute(BOOKKEEPING);
            if (readUser != null) {
                String reader = StoreLayout.quote(readUser);
                try {
                    s.execute("GRANT USAGE ON SCHEMA views TO " + reader);
                    s.execute("GRANT SELECT ON ALL TABLES IN SCHEMA views TO " + reader);
                    s.execute("GRANT SELECT ON public.outpost_watermark, public.outpost_views, public.outpost_rebuilds TO " + reader);
                    s.execute("ALTER DEFAULT PRIVILEGES IN SCHEMA views GRANT SELECT ON TABLES TO " + reader);
                } catch (SQLException e) {
                    if ("42704".equals(e.getSQLState())) {
                        throw new OutpostException("the store's read-user " + readUser + " does not exist in " + description
                                + "; create it (CREATE ROLE " + reader + " LOGIN PASSWORD '…') or remove store.read-user", e);
                    }
                    throw e;
                }
            }
        }
    }

    /** The store's watermark of {@code source}; empty before the first transaction is applied. */
    public static Optional<Watermark> watermark(Connection connection, String source) throws SQLException {
        try (PreparedStatement s = connection.prepareStatement("SELECT position::text, commit_time, applied_at, log_offset "
                + "FROM public.outpost_watermark WHERE source = ?")) {
            s.setString(1, source);
            try (ResultSet rs = s.executeQuery()) {
                if (!rs.next()) {
                    return Optional.empty();
                }
                return Optional.of(new Watermark(source, SourcePosition.parse(rs.getString(1)),
                        rs.getTimestamp(2).toInstant(), rs.getTimestamp(3).toInstant(), rs.getLong(4)));
            }
        } catch (SQLException e) {
            if ("42P01".equals(e.getSQLState())) { // no bookkeeping yet: nothing applied
                return Optional.empty();
            }
            throw e;
        }
    }

    /** The watermark of {@code source}, read on a connection of its own. */
    public Optional<Watermark> watermark(String source) {
        try (Connection c = connect()) {
            return watermark(c, source);
        } catch (SQLException e) {
            throw new OutpostException.Retriable("cannot read the watermark from the region store at " + description
                    + ": " + e.getMessage(), e);
        }
    }

    @Override
    public void close() {
        pool.close();
    }
}

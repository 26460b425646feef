package io.outpost.runtime;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Objects;
import java.util.Optional;

/**
 * A PostgreSQL session-level advisory lock: held by a session of its own, released by PostgreSQL
 * when that session ends, also when the process holding it is killed. One capture per source
 * (lock {@code outpost-capture:<slot>} in the source) and one projector per region (lock
 * {@code outpost-projector:<source>} in the store) are active through it.
 */
public final class AdvisoryLock implements ExclusiveLock {

    /** Opens the session that takes and holds the lock. */
    @FunctionalInterface
    public interface Connector {
        Connection open() throws SQLException;
    }

    private final String key;
    private final String where;
    private final Connector connector;

    private AdvisoryLock(String key, String where, Connector connector) {
        this.key = Objects.requireNonNull(key, "key");
        this.where = Objects.requireNonNull(where, "where");
        this.connector = Objects.requireNonNull(connector, "connector");
    }

    /**
     * The lock named {@code key} in the database {@code connector} reaches.
     *
     * @param where the database, for messages ({@code the source database at jdbc:postgresql://…})
     */
    public static AdvisoryLock of(String key, String where, Connector connector) {
        return new AdvisoryLock(key, where, connector);
    }

    /**
     * Takes the lock on a new session if it is free. The session is closed unless it holds the
     * lock, also when the lock query fails.
     */
    @Override
    public Optional<Held> tryAcquire() throws SQLException {
        Connection c = connector.open();
        try (PreparedStatement s = c.prepareStatement("SELECT pg_try_advisory_lock(hashtextextended(?, 0))")) {
            s.setString(1, key);
            try (ResultSet rs = s.executeQuery()) {
                if (rs.next() && rs.getBoolean(1)) {
                    return Optional.of(new Session(c));
                }
            }
        } catch (SQLException | RuntimeException e) {
            try {
                c.close();
            } catch (SQLException closing) {
                e.addSuppressed(closing);
            }
            throw e;
        }
        c.close();
        return Optional.empty();
    }

    @Override
    public String where() {
        return where;
    }

    /** The session that holds the lock. */
    private static final class Session implements Held {

        private final Connection connection;

        Session(Connection connection) {
            this.connection = connection;
        }

        @Override
        public boolean held() {
            try (Statement s = connection.createStatement()) {
                s.setQueryTimeout(5);
                s.execute("SELECT 1");
                return true;
            } catch (SQLException e) {
                return false;
            }
        }

        @Override
        public void close() {
            try {
                connection.close();
            } catch (SQLException ignored) {
                // closing the session releases the lock either way
            }
        }
    }
}

package io.outpost.capture.internal;

import io.outpost.core.config.SourceConfig;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;

/**
 * The advisory lock that makes one capture per source active: held on its own session, released
 * by PostgreSQL when that session ends, also when the process holding it is killed.
 */
public final class SourceLock implements AutoCloseable {

    private final Connection connection;

    private SourceLock(Connection connection) {
        this.connection = connection;
    }

    /** Takes the lock of {@code name} on {@code source} if it is free; empty otherwise. */
    public static java.util.Optional<SourceLock> tryAcquire(SourceConfig source, String name) throws SQLException {
        Connection c = SourceConnections.open(source, "capture lock");
        try (PreparedStatement s = c.prepareStatement("SELECT pg_try_advisory_lock(hashtextextended(?, 0))")) {
            s.setString(1, "outpost-capture:" + name);
            try (ResultSet rs = s.executeQuery()) {
                rs.next();
                if (rs.getBoolean(1)) {
                    return java.util.Optional.of(new SourceLock(c));
                }
            }
        }
        c.close();
        return java.util.Optional.empty();
    }

    /** Whether the session that holds the lock is still alive. */
    public boolean held() {
        try (var s = connection.createStatement()) {
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

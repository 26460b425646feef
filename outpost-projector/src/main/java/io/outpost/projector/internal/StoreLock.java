package io.outpost.projector.internal;

import io.outpost.core.config.RegionConfig;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.Optional;
import java.util.Properties;

/**
 * The advisory lock that makes one projector per region and source active: held by a session of
 * its own, released by PostgreSQL when that session ends (also when its process is killed).
 */
public final class StoreLock implements AutoCloseable {

    private final Connection connection;

    private StoreLock(Connection connection) {
        this.connection = connection;
    }

    /** Takes the lock if it is free; empty if another projector holds it. */
    public static Optional<StoreLock> tryAcquire(RegionConfig.Store store, String source) throws SQLException {
        Properties properties = new Properties();
        properties.setProperty("user", store.user());
        properties.setProperty("password", store.password());
        properties.setProperty("ApplicationName", "outpost projector lock");
        properties.setProperty("connectTimeout", "5");
        Connection c = DriverManager.getConnection(store.url(), properties);
        try (PreparedStatement s = c.prepareStatement("SELECT pg_try_advisory_lock(hashtextextended(?, 0))")) {
            s.setString(1, "outpost-projector:" + source);
            try (ResultSet rs = s.executeQuery()) {
                rs.next();
                if (rs.getBoolean(1)) {
                    return Optional.of(new StoreLock(c));
                }
            }
        } catch (SQLException e) {
            c.close();
            throw e;
        }
        c.close();
        return Optional.empty();
    }

    /** Whether the session holding the lock is still alive. */
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

package io.outpost.capture.internal;

import io.outpost.core.config.SourceConfig;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.util.Properties;

/** Plain JDBC sessions to the source that capture opens besides Debezium's own. */
public final class SourceConnections {

    private SourceConnections() {
    }

    /**
     * Opens a session as the configured user, named in {@code pg_stat_activity} by {@code purpose},
     * failing after 5 s when the source cannot be reached.
     */
    public static Connection open(SourceConfig source, String purpose) throws SQLException {
        Properties props = new Properties();
        props.setProperty("user", source.user());
        props.setProperty("password", source.password());
        props.setProperty("ApplicationName", "outpost " + purpose);
        props.setProperty("connectTimeout", "5");
        props.setProperty("tcpKeepAlive", "true");
        return DriverManager.getConnection(source.url(), props);
    }
}

package io.outpost.examples.shop;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.List;
import javax.sql.DataSource;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Applies the schema migrations ({@code shop/migrations/V<n>__<name>.sql}) that the database has not
 * seen yet, each in its own transaction, in order. An advisory lock keeps two shops starting at
 * once from applying the same migration twice.
 */
final class Migrations {

    private static final Logger LOG = LoggerFactory.getLogger(Migrations.class);
    private static final List<String> SCRIPTS = List.of("V1__schema.sql", "V2__commands_witnessed.sql");
    private static final long LOCK_ID = 0x5340_0001L;

    private Migrations() {
    }

    static void apply(DataSource dataSource) throws SQLException {
        try (Connection c = dataSource.getConnection()) {
            c.setAutoCommit(false);
            try (Statement s = c.createStatement()) {
                s.execute("SELECT pg_advisory_xact_lock(" + LOCK_ID + ")");
                s.execute("CREATE TABLE IF NOT EXISTS shop_schema_version (version integer PRIMARY KEY, "
                        + "script text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())");
                int current;
                try (var rs = s.executeQuery("SELECT coalesce(max(version), 0) FROM shop_schema_version")) {
                    rs.next();
                    current = rs.getInt(1);
                }
                for (int version = current + 1; version <= SCRIPTS.size(); version++) {
                    String script = SCRIPTS.get(version - 1);
                    s.execute(read(script));
                    try (var record = c.prepareStatement("INSERT INTO shop_schema_version (version, script) VALUES (?, ?)")) {
                        record.setInt(1, version);
                        record.setString(2, script);
                        record.executeUpdate();
                    }
                    LOG.info("applied schema migration {}", script);
                }
            }
            c.commit();
        }
    }

    private static String read(String script) {
        try (InputStream in = Migrations.class.getResourceAsStream("/shop/migrations/" + script)) {
            if (in == null) {
                throw new IllegalStateException("migration " + script + " is missing from the classpath");
            }
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}

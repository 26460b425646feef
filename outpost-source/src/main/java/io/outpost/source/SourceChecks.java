package io.outpost.source;

import io.outpost.core.config.SourceConfig;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;

/**
 * What capture needs from the source database, checked before it starts so that a
 * misconfiguration is one short message that says what to fix, not a stack trace from deep inside
 * logical replication.
 */
public final class SourceChecks {

    private SourceChecks() {
    }

    /** Every problem found, each a sentence with the fix; empty when capture can start. */
    public static List<String> problems(Connection c, SourceConfig source) throws SQLException {
        List<String> problems = new ArrayList<>();
        String walLevel = scalar(c, "SHOW wal_level");
        if (!"logical".equals(walLevel)) {
            problems.add("the source database runs with wal_level=" + walLevel + "; capture needs wal_level=logical. "
                    + "Set it in postgresql.conf (ALTER SYSTEM SET wal_level = logical) and restart PostgreSQL");
        }
        boolean superuser = "on".equals(scalar(c, "SHOW is_superuser"));
        boolean replication;
        try (ResultSet rs = c.createStatement().executeQuery("SELECT rolreplication FROM pg_roles WHERE rolname = current_user")) {
            replication = rs.next() && rs.getBoolean(1);
        }
        String user = scalar(c, "SELECT current_user");
        if (!superuser && !replication) {
            problems.add("the user " + user + " may not use logical replication; run ALTER ROLE " + user + " WITH REPLICATION");
        }
        for (String table : source.tables()) {
            problems.addAll(tableProblems(c, table, user, superuser || published(c, source.publication(), table)));
        }
        return problems;
    }

    /** Whether {@code publication} exists and holds {@code table} (made by its owner, as outpost init-source does). */
    private static boolean published(Connection c, String publication, String table) throws SQLException {
        try (PreparedStatement s = c.prepareStatement("SELECT EXISTS (SELECT 1 FROM pg_publication_tables WHERE pubname = ? "
                + "AND schemaname = ? AND tablename = ?)")) {
            String[] parts = table.split("\\.", 2);
            s.setString(1, publication);
            s.setString(2, parts[0]);
            s.setString(3, parts[1]);
            try (ResultSet rs = s.executeQuery()) {
                return rs.next() && rs.getBoolean(1);
            }
        }
    }

    /** @param mayPublish whether the table needs no owner to be published (a superuser, or already published) */
    private static List<String> tableProblems(Connection c, String table, String user, boolean mayPublish)
            throws SQLException {
        List<String> problems = new ArrayList<>();
        try (PreparedStatement s = c.prepareStatement("""
                SELECT cls.relreplident,
                       EXISTS (SELECT 1 FROM pg_index i WHERE i.indrelid = cls.oid AND i.indisprimary),
                       has_table_privilege(cls.oid, 'SELECT'),
                       pg_get_userbyid(cls.relowner)
                FROM pg_class cls JOIN pg_namespace n ON n.oid = cls.relnamespace
                WHERE n.nspname = ? AND cls.relname = ? AND cls.relkind IN ('r', 'p')""")) {
            String[] parts = table.split("\\.", 2);
            s.setString(1, parts[0]);
            s.setString(2, parts[1]);
            try (ResultSet rs = s.executeQuery()) {
                if (!rs.next()) {
                    problems.add("source.tables names " + table + ", which does not exist in the source database; "
                            + "create it, or remove it from source.tables");
                    return problems;
                }
                String identity = rs.getString(1);
                boolean primaryKey = rs.getBoolean(2);
                if (!primaryKey && !"f".equals(identity)) {
                    problems.add("the table " + table + " has no primary key, so its updates and deletes cannot be "
                            + "matched to rows; add a primary key, or run ALTER TABLE " + table + " REPLICA IDENTITY FULL");
                }
                if (!rs.getBoolean(3)) {
                    problems.add("the user " + user + " may not read " + table + "; run GRANT SELECT ON " + table
                            + " TO " + user);
                }
                if (!mayPublish && !user.equals(rs.getString(4))) {
                    problems.add("the user " + user + " does not own " + table + ", so it cannot add it to the "
                            + "publication; create the publication as the owner (outpost init-source prints the SQL), or "
                            + "make " + user + " the owner");
                }
            }
        }
        return problems;
    }

    private static String scalar(Connection c, String sql) throws SQLException {
        try (var s = c.createStatement(); ResultSet rs = s.executeQuery(sql)) {
            rs.next();
            return rs.getString(1);
        }
    }
}

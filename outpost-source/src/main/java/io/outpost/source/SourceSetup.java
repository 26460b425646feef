package io.outpost.source;

import io.outpost.core.config.SourceConfig;
import java.util.ArrayList;
import java.util.List;

/**
 * The least a source database must grant Outpost, as SQL a database owner runs once
 * ({@code outpost init-source} prints it, or runs it with {@code --apply}):
 * <ul>
 *   <li>the role {@code source.user}: LOGIN and REPLICATION (logical decoding), USAGE on the captured
 *       tables' schemas and SELECT on the captured tables — nothing else of the monolith's;</li>
 *   <li>the publication {@code source.publication} of exactly the captured tables, created here by
 *       the owner (a role that owns no table cannot create it, and capture then finds it made);</li>
 *   <li>the schema {@code outpost}, owned by that role: the idempotency ledger's table, which the
 *       gateways of regions with a route to the monolith create and write there;</li>
 *   <li>with a {@code source.gateway-user} of its own: that role (LOGIN, nothing more), the ledger's
 *       table made ahead, and the right to read and write that table only — fences are logical-decoding
 *       messages, which need no grant.</li>
 * </ul>
 * Every statement can run again: roles and the publication are created only when missing, grants
 * repeat harmlessly. Passwords are not set here (they do not belong in a printed script): set them
 * with {@code ALTER ROLE … PASSWORD}.
 */
public final class SourceSetup {

    private SourceSetup() {
    }

    /** The statements, in order, for {@code source}. */
    public static List<String> statements(SourceConfig source) {
        String role = identifier(source.user());
        List<String> tables = source.tables().stream().map(SourceSetup::qualified).toList();
        List<String> schemas = source.tables().stream().map(t -> identifier(t.substring(0, t.indexOf('.')))).distinct().toList();
        List<String> sql = new ArrayList<>();
        sql.add("DO $$ BEGIN IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = " + literal(source.user()) + ") THEN "
                + "CREATE ROLE " + role + " LOGIN REPLICATION; END IF; END $$");
        sql.add("ALTER ROLE " + role + " WITH LOGIN REPLICATION NOSUPERUSER NOCREATEDB NOCREATEROLE");
        sql.add("GRANT USAGE ON SCHEMA " + String.join(", ", schemas) + " TO " + role);
        sql.add("GRANT SELECT ON TABLE " + String.join(", ", tables) + " TO " + role);
        sql.add("DO $$ BEGIN IF NOT EXISTS (SELECT 1 FROM pg_publication WHERE pubname = " + literal(source.publication())
                + ") THEN CREATE PUBLICATION " + identifier(source.publication()) + " FOR TABLE " + String.join(", ", tables)
                + "; END IF; END $$");
        sql.add("CREATE SCHEMA IF NOT EXISTS outpost AUTHORIZATION " + role);
        sql.add("ALTER SCHEMA outpost OWNER TO " + role);
        if (!source.gatewayUser().equals(source.user())) {
            String gateway = identifier(source.gatewayUser());
            sql.add("DO $$ BEGIN IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = " + literal(source.gatewayUser())
                    + ") THEN CREATE ROLE " + gateway + " LOGIN; END IF; END $$");
            sql.add("ALTER ROLE " + gateway + " WITH LOGIN NOREPLICATION NOSUPERUSER NOCREATEDB NOCREATEROLE");
            for (String statement : IdempotencyLedger.SCHEMA.split(";")) {
                if (!statement.isBlank()) {
                    sql.add(statement.strip());
                }
            }
            sql.add("ALTER TABLE outpost.idempotency OWNER TO " + role);
            sql.add("GRANT USAGE ON SCHEMA outpost TO " + gateway);
            sql.add("GRANT SELECT, INSERT, UPDATE, DELETE ON outpost.idempotency TO " + gateway);
        }
        return sql;
    }

    /** The statements as a script to read and run (psql), with what each part is for. */
    public static String script(SourceConfig source, String configFile) {
        List<String> sql = statements(source);
        StringBuilder out = new StringBuilder();
        out.append("-- Outpost's least-privilege set-up of source ").append(source.name()).append(" (").append(source.url())
                .append("),\n-- from ").append(configFile).append(". Run as a superuser or the captured tables' owner; ")
                .append("every statement may run again.\n");
        out.append("\n-- capture's role: logical replication, and reading the captured tables only\n");
        sql.subList(0, 4).forEach(statement -> out.append(statement).append(";\n"));
        out.append("-- then set its password: ALTER ROLE ").append(identifier(source.user())).append(" PASSWORD '…';\n");
        out.append("\n-- the publication of exactly the captured tables (capture's role owns none, so it cannot make it)\n");
        out.append(sql.get(4)).append(";\n");
        out.append("\n-- schema outpost, the role's own: the idempotency ledger that gateways with a route to the monolith keep\n");
        sql.subList(5, 7).forEach(statement -> out.append(statement).append(";\n"));
        if (sql.size() > 7) {
            out.append("\n-- the gateways' role (source.gateway-user): fences and the idempotency ledger, nothing else\n");
            sql.subList(7, sql.size()).forEach(statement -> out.append(statement).append(";\n"));
            out.append("-- then set its password: ALTER ROLE ").append(identifier(source.gatewayUser())).append(" PASSWORD '…';\n");
        }
        return out.toString();
    }

    private static String qualified(String table) {
        int dot = table.indexOf('.');
        return identifier(table.substring(0, dot)) + "." + identifier(table.substring(dot + 1));
    }

    static String identifier(String name) {
        return '"' + name.replace("\"", "\"\"") + '"';
    }

    private static String literal(String text) {
        return "'" + text.replace("'", "''") + "'";
    }
}

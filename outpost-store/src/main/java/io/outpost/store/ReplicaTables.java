package io.outpost.store;

import static io.outpost.store.StoreLayout.quote;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.outpost.core.SourcePosition;
import io.outpost.core.change.TableSchema;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Replica tables: created and altered from the change log's schema records. A replica has the
 * source table's columns and primary key and nothing else (no other constraints: the source
 * already enforced them, and a replica must take whatever the source committed). Column types are
 * the source's, except types the store does not know (enums, domains, extensions' types), which
 * become {@code text}: their values arrive as text.
 *
 * <p>The last schema applied per table is kept in {@code outpost_replicas}, so a schema record is
 * compared with exactly what was applied before.
 */
public final class ReplicaTables {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Pattern TYPE = Pattern.compile("([a-z0-9_ ]+?)(\\(\\d+(,\\d+)?\\))?(\\[\\])?");
    /** Built-in types a replica keeps as they are. */
    private static final Set<String> BUILT_IN = Set.of("int2", "int4", "int8", "smallint", "integer", "bigint",
            "numeric", "decimal", "float4", "float8", "real", "double precision", "money", "text", "varchar", "bpchar",
            "char", "name", "bool", "boolean", "date", "time", "timetz", "timestamp", "timestamptz", "interval", "uuid",
            "json", "jsonb", "bytea", "inet", "cidr", "macaddr", "macaddr8", "xml", "oid", "tsvector", "point");

    private ReplicaTables() {
    }

    /** The replica column type of a source type name ({@code int8}, {@code numeric(12,2)}, {@code order_status[]}). */
    public static String replicaType(String sourceType) {
        String type = sourceType.toLowerCase(Locale.ROOT).trim();
        Matcher m = TYPE.matcher(type);
        if (!m.matches()) {
            return "text";
        }
        String base = m.group(1);
        String array = m.group(4) == null ? "" : "[]";
        if (!BUILT_IN.contains(base)) {
            return "text" + array;
        }
        return type;
    }

    /** The schemas applied so far, by source table ({@code public.orders}). */
    public static Map<String, TableSchema> applied(Connection c, String source) throws SQLException {
        Map<String, TableSchema> schemas = new LinkedHashMap<>();
        try (PreparedStatement s = c.prepareStatement(
                "SELECT source_table, schema::text FROM public.outpost_replicas WHERE source = ? ORDER BY source_table")) {
            s.setString(1, source);
            try (ResultSet rs = s.executeQuery()) {
                while (rs.next()) {
                    schemas.put(rs.getString(1), fromJson(source, rs.getString(1), rs.getString(2)));
                }
            }
        }
        return schemas;
    }

    /**
     * Makes the replica of {@code schema.table()} match {@code schema}: creates it, or adds, drops
     * and retypes columns and replaces the primary key. Runs in the caller's transaction.
     *
     * @param previous what was applied before for this table, or {@code null}
     * @return whether anything changed
     */
    public static boolean apply(Connection c, TableSchema schema, TableSchema previous) throws SQLException {
        String table = quote(StoreLayout.replicaSchema(schema.source())) + "." + quote(StoreLayout.replicaTable(schema.table()));
        List<String> ddl = new ArrayList<>();
        if (previous == null) {
            ddl.add("CREATE SCHEMA IF NOT EXISTS " + quote(StoreLayout.replicaSchema(schema.source())));
            List<String> columns = new ArrayList<>();
            for (TableSchema.Column column : schema.columns()) {
                columns.add(quote(column.name()) + " " + replicaType(column.type()));
            }
            if (!schema.primaryKey().isEmpty()) {
                columns.add("PRIMARY KEY (" + String.join(", ", schema.primaryKey().stream().map(StoreLayout::quote).toList()) + ")");
            }
            // IF NOT EXISTS: a store whose bookkeeping was lost still gets its tables back in line below
            ddl.add("CREATE TABLE IF NOT EXISTS " + table + " (" + String.join(", ", columns) + ")");
        } else {
            Map<String, String> before = new LinkedHashMap<>();
            previous.columns().forEach(col -> before.put(col.name(), replicaType(col.type())));
            Map<String, String> after = new LinkedHashMap<>();
            schema.columns().forEach(col -> after.put(col.name(), replicaType(col.type())));
            boolean keyChanged = !previous.primaryKey().equals(schema.primaryKey());
            if (keyChanged && !previous.primaryKey().isEmpty()) {
                ddl.add("ALTER TABLE " + table + " DROP CONSTRAINT IF EXISTS "
                        + quote(StoreLayout.replicaTable(schema.table()) + "_pkey"));
            }
            for (String gone : before.keySet()) {
                if (!after.containsKey(gone)) {
                    ddl.add("ALTER TABLE " + table + " DROP COLUMN IF EXISTS " + quote(gone));
                }
            }
            after.forEach((name, type) -> {
                String old = before.get(name);
                if (old == null) {
                    ddl.add("ALTER TABLE " + table + " ADD COLUMN IF NOT EXISTS " + quote(name) + " " + type);
                } else if (!old.equals(type)) {
                    ddl.add("ALTER TABLE " + table + " ALTER COLUMN " + quote(name) + " TYPE " + type
                            + " USING " + quote(name) + "::text::" + type);
                }
            });
            if (keyChanged && !schema.primaryKey().isEmpty()) {
                ddl.add("ALTER TABLE " + table + " ADD PRIMARY KEY ("
                        + String.join(", ", schema.primaryKey().stream().map(StoreLayout::quote).toList()) + ")");
            }
        }
        try (Statement s = c.createStatement()) {
            for (String statement : ddl) {
                s.execute(statement);
            }
        }
        try (PreparedStatement s = c.prepareStatement("INSERT INTO public.outpost_replicas (source, source_table, schema) "
                + "VALUES (?, ?, ?::jsonb) ON CONFLICT (source, source_table) DO UPDATE SET schema = EXCLUDED.schema")) {
            s.setString(1, schema.source());
            s.setString(2, schema.table());
            s.setString(3, toJson(schema));
            s.executeUpdate();
        }
        return !ddl.isEmpty();
    }

    private static String toJson(TableSchema schema) {
        Map<String, Object> json = new LinkedHashMap<>();
        json.put("columns", schema.columns().stream()
                .map(c -> Map.of("name", c.name(), "type", c.type(), "nullable", c.nullable())).toList());
        json.put("primary_key", schema.primaryKey());
        try {
            return JSON.writeValueAsString(json);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

    @SuppressWarnings("unchecked")
    private static TableSchema fromJson(String source, String table, String text) {
        try {
            Map<String, Object> json = JSON.readValue(text, Map.class);
            List<TableSchema.Column> columns = new ArrayList<>();
            for (Map<String, Object> c : (List<Map<String, Object>>) json.get("columns")) {
                columns.add(new TableSchema.Column((String) c.get("name"), (String) c.get("type"), (Boolean) c.get("nullable")));
            }
            return new TableSchema(source, SourcePosition.ZERO, 0, table, columns, (List<String>) json.get("primary_key"));
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("outpost_replicas holds a schema of " + table + " that is not JSON: " + e.getMessage(), e);
        }
    }
}

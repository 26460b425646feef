package io.outpost.projector.internal;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.outpost.core.OutpostException;
import io.outpost.core.change.TableSchema;
import io.outpost.core.config.ChangeMapping;
import io.outpost.store.StoreLayout;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.ResultSetMetaData;
import java.sql.SQLException;
import java.sql.Savepoint;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * Checks a view definition against the replica tables, writing nothing: its SQL runs and yields its
 * key column; it reads only replica tables, each with a {@code changes} entry (found in its plan);
 * and each mapping names columns its table has and runs. What fails is an {@link OutpostException}
 * naming the view and the reason, which the projector refuses to start with.
 */
final class ViewValidator {

    private static final ObjectMapper JSON = new ObjectMapper();

    private final String source;

    ViewValidator(String source) {
        this.source = source;
    }

    /**
     * Validates {@code view} in the caller's transaction (failed statements are rolled back to
     * savepoints); returns the SQL type of its key column.
     *
     * @throws OutpostException naming the view and the reason when the definition is invalid
     */
    String validate(Connection c, MaintainedView view, Map<String, TableSchema> schemas) throws SQLException {
        String keyType = keyType(c, view);
        checkRelations(c, view);
        for (var entry : view.mappings.entrySet()) {
            checkMapping(c, view, entry.getKey(), entry.getValue(), schemas.get(entry.getKey()));
        }
        return keyType;
    }

    private String keyType(Connection c, MaintainedView view) throws SQLException {
        Savepoint savepoint = c.setSavepoint();
        try (PreparedStatement s = c.prepareStatement(ViewSql.probe(view.definition)); ResultSet rs = s.executeQuery()) {
            ResultSetMetaData meta = rs.getMetaData();
            List<String> columns = new ArrayList<>();
            for (int i = 1; i <= meta.getColumnCount(); i++) {
                columns.add(meta.getColumnName(i));
            }
            int keyIndex = columns.indexOf(view.definition.key());
            if (keyIndex < 0) {
                throw invalid(view, "its SQL yields no column " + view.definition.key() + " (the key); its columns are "
                        + columns);
            }
            return meta.getColumnTypeName(keyIndex + 1);
        } catch (SQLException e) {
            c.rollback(savepoint);
            throw invalid(view, "its SQL fails on the replica tables: " + firstLine(e));
        }
    }

    /** Every relation the view's plan reads is a replica table with a {@code changes} entry. */
    private void checkRelations(Connection c, MaintainedView view) throws SQLException {
        Set<String> read = new TreeSet<>();
        try (Statement s = c.createStatement(); ResultSet rs = s.executeQuery(ViewSql.explain(view.definition))) {
            rs.next();
            relations(JSON.readTree(rs.getString(1)), read);
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new IllegalStateException("EXPLAIN returned no JSON: " + e.getMessage(), e);
        }
        String replicas = StoreLayout.replicaSchema(source);
        Set<String> mapped = new TreeSet<>();
        view.mappings.keySet().forEach(t -> mapped.add(StoreLayout.replicaTable(t)));
        for (String relation : read) {
            String schema = relation.substring(0, relation.indexOf('.'));
            String table = relation.substring(relation.indexOf('.') + 1);
            if (!schema.equals(replicas)) {
                throw invalid(view, "its SQL reads " + relation + ", which is not a replica table (a view reads only "
                        + "the captured tables, by their names)");
            }
            if (!mapped.contains(table)) {
                throw invalid(view, "its SQL reads table " + table + " but changes has no entry for it, so its "
                        + "changes would never reach the view; add changes." + table
                        + " (the column of " + table + " holding the view key, or a SELECT yielding the keys)");
            }
        }
    }

    private static void relations(JsonNode node, Set<String> into) {
        if (node.isObject()) {
            if (node.has("Relation Name")) {
                into.add(node.path("Schema").asText() + "." + node.get("Relation Name").asText());
            }
            node.forEach(child -> relations(child, into));
        } else if (node.isArray()) {
            node.forEach(child -> relations(child, into));
        }
    }

    private void checkMapping(Connection c, MaintainedView view, String table, ChangeMapping mapping, TableSchema schema)
            throws SQLException {
        Set<String> columns = new TreeSet<>();
        schema.columns().forEach(col -> columns.add(col.name()));
        String where = "changes." + StoreLayout.replicaTable(table);
        switch (mapping) {
            case ChangeMapping.KeyColumn key -> {
                if (!columns.contains(key.column())) {
                    throw invalid(view, where + " names column " + key.column() + ", which " + table
                            + " does not have (its columns: " + columns + ")");
                }
            }
            case ChangeMapping.KeyQuery query -> {
                for (String parameter : query.parameters()) {
                    if (!columns.contains(parameter)) {
                        throw invalid(view, where + " uses :" + parameter + ", which is not a column of " + table
                                + " (its columns: " + columns + ")");
                    }
                }
                run(c, view, where, ViewSql.keyQuery(query, declaredTypes(schema)), "[]");
            }
            case ChangeMapping.EveryChange every -> run(c, view, where, ViewSql.everyChangeQuery(every), null);
        }
    }

    /** Runs a mapping's query once (with an empty set of rows for a key query) to see that it works. */
    private static void run(Connection c, MaintainedView view, String where, String sql, String rows) throws SQLException {
        Savepoint before = c.setSavepoint();
        try (PreparedStatement s = c.prepareStatement(sql)) {
            if (rows != null) {
                s.setString(1, rows);
            }
            s.executeQuery().close();
        } catch (SQLException e) {
            c.rollback(before);
            throw invalid(view, where + " fails: " + firstLine(e));
        }
    }

    /** Each column's type in a {@code jsonb_to_recordset} record definition of the table's rows. */
    static Map<String, String> declaredTypes(TableSchema schema) {
        Map<String, String> types = new HashMap<>();
        schema.columns().forEach(col -> types.put(col.name(), ColumnCodec.declaredType(col.type())));
        return types;
    }

    private static OutpostException invalid(MaintainedView view, String reason) {
        return new OutpostException("view " + view.name() + " is invalid: " + reason);
    }

    static String firstLine(SQLException e) {
        String message = String.valueOf(e.getMessage());
        int newline = message.indexOf('\n');
        return newline < 0 ? message : message.substring(0, newline);
    }
}

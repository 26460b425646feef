package io.outpost.projector.internal;

import static io.outpost.store.StoreLayout.quote;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.outpost.core.OutpostException;
import io.outpost.core.change.RowChange;
import io.outpost.core.change.TableSchema;
import io.outpost.store.StoreLayout;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * The net effect of a run of row changes on one replica table, written with a few set-based
 * statements: each row ends up deleted, or with its final values. Several changes of one row
 * collapse into one (the whole run commits together, so the intermediate states are never
 * visible). An update whose after image lacks a column (an unchanged TOAST value) leaves that
 * column as it was.
 *
 * <p>Design: rows go to PostgreSQL as one JSON array per statement, unpacked by
 * {@code jsonb_to_recordset} with the replica's column types — one statement per table and column
 * set, whatever the number of rows. The writes of different tables touch different rows, and each
 * row ends up either deleted or written once, so the statements may run in any order.
 */
final class TableBuffer {

    private static final ObjectMapper JSON = new ObjectMapper().enable(JsonGenerator.Feature.WRITE_BIGDECIMAL_AS_PLAIN);

    /** A row's state after the changes seen so far. */
    private static final class Row {
        final List<Object> key;
        boolean deleted;
        /** Known columns; for a partial update, only the ones the update carried. */
        Map<String, Object> values;
        /**
         * Whether the row may exist in the replica from before this run of changes: false when
         * the first change was an insert (the source had no such row then, so neither has the replica).
         */
        boolean mayExistBefore;

        Row(List<Object> key) {
            this.key = key;
        }
    }

    private final TableSchema schema;
    private final String table;
    private final Map<String, String> types = new HashMap<>();
    private final Map<List<Object>, Row> rows = new LinkedHashMap<>();

    TableBuffer(TableSchema schema) {
        this.schema = schema;
        this.table = quote(StoreLayout.replicaSchema(schema.source())) + "." + quote(StoreLayout.replicaTable(schema.table()));
        schema.columns().forEach(c -> types.put(c.name(), c.type()));
        if (schema.primaryKey().isEmpty()) {
            throw new OutpostException("table " + schema.table() + " has no primary key; the projector needs one to "
                    + "apply its changes (tables with REPLICA IDENTITY FULL and no key are not supported by the projector yet)");
        }
    }

    TableSchema schema() {
        return schema;
    }

    boolean isEmpty() {
        return rows.isEmpty();
    }

    int size() {
        return rows.size();
    }

    void add(RowChange change) {
        Map<String, Object> image = change.after() != null ? change.after() : change.before();
        if (!types.keySet().containsAll(image.keySet())) {
            List<String> unknown = image.keySet().stream().filter(column -> !types.containsKey(column)).toList();
            throw new OutpostException("the change log is inconsistent: a row of " + schema.table() + " at "
                    + change.position() + "/" + change.sequence() + " has column(s) " + unknown + " that no schema "
                    + "record before it announced; the projector stopped rather than drop their values");
        }
        List<Object> key = new ArrayList<>(schema.primaryKey().size());
        for (String column : schema.primaryKey()) {
            key.add(change.key().get(column));
        }
        Row row = rows.get(key);
        if (row == null) {
            row = new Row(key);
            row.mayExistBefore = change.operation() != io.outpost.core.change.Operation.CREATE;
            rows.put(key, row);
        }
        switch (change.operation()) {
            case DELETE -> {
                row.deleted = true;
                row.values = null;
            }
            case CREATE, READ -> {
                row.deleted = false;
                row.values = new LinkedHashMap<>(change.after());
            }
            case UPDATE -> {
                if (row.values != null && !row.deleted) {
                    row.values.putAll(change.after());
                } else {
                    row.deleted = false;
                    row.values = new LinkedHashMap<>(change.after());
                }
            }
        }
    }

    /** A data-modifying statement with one JSON parameter (the rows). */
    record Write(String sql, String json) {
    }

    /**
     * Takes the buffered rows out as writes (deletes, and upserts per column set), for the caller to
     * send; reads the mapping columns' old values first where a view needs them.
     *
     * @param mappingColumns columns whose values before and after the change views need
     *                       ({@code images} receives them)
     * @param images         receives, for every touched row, its mapping columns' values as they
     *                       were in the replica before and as they are after
     */
    List<Write> drain(Connection c, Set<String> mappingColumns, List<Map<String, Object>> images) throws SQLException {
        if (rows.isEmpty()) {
            return List.of();
        }
        Map<List<Object>, Map<String, Object>> before = Map.of();
        boolean needBefore = !mappingColumns.isEmpty() && !schema.primaryKey().containsAll(mappingColumns);
        if (needBefore) {
            before = read(c, mappingColumns);
            images.addAll(before.values());
        }
        List<Map<String, Object>> deletes = new ArrayList<>();
        Map<Set<String>, List<Map<String, Object>>> upserts = new LinkedHashMap<>();
        for (Row row : rows.values()) {
            if (row.deleted) {
                deletes.add(keyMap(row.key));
            } else {
                upserts.computeIfAbsent(new TreeSet<>(row.values.keySet()), k -> new ArrayList<>()).add(row.values);
            }
            if (!mappingColumns.isEmpty()) {
                Map<String, Object> after = new HashMap<>(before.getOrDefault(row.key, Map.of()));
                after.putAll(keyMap(row.key));
                if (!row.deleted) {
                    row.values.forEach((k, v) -> {
                        if (mappingColumns.contains(k)) {
                            after.put(k, v);
                        }
                    });
                }
                images.add(after);
            }
        }
        List<Write> writes = new ArrayList<>();
        if (!deletes.isEmpty()) {
            writes.add(new Write("DELETE FROM " + table + " t USING jsonb_to_recordset(?::jsonb) AS d("
                    + recordDefinition(schema.primaryKey()) + ") WHERE " + keyMatch("d"), json(deletes)));
        }
        for (var entry : upserts.entrySet()) {
            writes.add(new Write(upsertSql(entry.getKey()), json(entry.getValue())));
        }
        rows.clear();
        return writes;
    }

    private Map<String, Object> keyMap(List<Object> key) {
        Map<String, Object> values = new LinkedHashMap<>();
        for (int i = 0; i < key.size(); i++) {
            values.put(schema.primaryKey().get(i), key.get(i));
        }
        return values;
    }

    private String recordDefinition(Iterable<String> columns) {
        List<String> definitions = new ArrayList<>();
        for (String column : columns) {
            definitions.add(quote(column) + " " + ColumnCodec.declaredType(types.get(column)));
        }
        return String.join(", ", definitions);
    }

    private String keyMatch(String alias) {
        List<String> conditions = new ArrayList<>();
        for (String column : schema.primaryKey()) {
            conditions.add("t." + quote(column) + " = " + ColumnCodec.expression(alias, column, types.get(column)));
        }
        return String.join(" AND ", conditions);
    }

    /**
     * The mapping columns' current values (as text, which both kinds of mapping accept) of every
     * buffered row that exists in the replica, by buffered key.
     */
    private Map<List<Object>, Map<String, Object>> read(Connection c, Set<String> columns) throws SQLException {
        Set<String> wanted = new LinkedHashSet<>(columns);
        wanted.retainAll(types.keySet());
        List<String> select = new ArrayList<>(List.of("k.\"_i\""));
        wanted.forEach(col -> select.add("t." + quote(col) + "::text"));
        List<String> keyColumns = new ArrayList<>(schema.primaryKey());
        String sql = "SELECT " + String.join(", ", select) + " FROM " + table + " t JOIN jsonb_to_recordset(?::jsonb) AS k("
                + recordDefinition(keyColumns) + ", \"_i\" int4) ON " + keyMatch("k");
        List<List<Object>> order = new ArrayList<>();
        for (Row row : rows.values()) {
            if (row.mayExistBefore) {
                order.add(row.key);
            }
        }
        if (order.isEmpty()) {
            return Map.of();
        }
        List<Map<String, Object>> keys = new ArrayList<>();
        for (int i = 0; i < order.size(); i++) {
            Map<String, Object> key = keyMap(order.get(i));
            key.put("_i", i);
            keys.add(key);
        }
        List<String> names = new ArrayList<>(wanted);
        Map<List<Object>, Map<String, Object>> found = new HashMap<>();
        try (PreparedStatement s = c.prepareStatement(sql)) {
            s.setString(1, json(keys));
            try (ResultSet rs = s.executeQuery()) {
                while (rs.next()) {
                    Map<String, Object> values = new HashMap<>();
                    for (int i = 0; i < names.size(); i++) {
                        values.put(names.get(i), rs.getString(i + 2));
                    }
                    found.put(order.get(rs.getInt(1)), values);
                }
            }
        }
        return found;
    }

    private String upsertSql(Set<String> columns) {
        List<String> names = columns.stream().map(io.outpost.store.StoreLayout::quote).toList();
        List<String> expressions = columns.stream().map(col -> ColumnCodec.expression("r", col, types.get(col))).toList();
        List<String> updates = new ArrayList<>();
        for (String column : columns) {
            if (!schema.primaryKey().contains(column)) {
                updates.add(quote(column) + " = EXCLUDED." + quote(column));
            }
        }
        return "INSERT INTO " + table + " (" + String.join(", ", names) + ") SELECT " + String.join(", ", expressions)
                + " FROM jsonb_to_recordset(?::jsonb) AS r(" + recordDefinition(columns) + ") ON CONFLICT ("
                + String.join(", ", schema.primaryKey().stream().map(io.outpost.store.StoreLayout::quote).toList()) + ") "
                + (updates.isEmpty() ? "DO NOTHING" : "DO UPDATE SET " + String.join(", ", updates));
    }

    static String json(Object value) {
        try {
            return JSON.writeValueAsString(value);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }
}

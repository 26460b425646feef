package io.outpost.core.config;

import static io.outpost.core.config.Def.Setting.optional;
import static io.outpost.core.config.Def.Setting.required;

import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.regex.Pattern;

/**
 * A view: SQL over the replica tables that yields one JSON document per key, and how a changed
 * source row maps to the keys it affects.
 *
 * @param key     the column of {@code sql}'s result that identifies a document
 * @param changes source table (as written) → how a changed row of it maps to the keys it affects
 * @param fields  document fields (dotted paths) that can be filtered and sorted on
 * @param search  document fields (dotted paths) indexed for full-text search
 * @param read    who may read its documents; null when the configuration does not say (allowed only
 *                without authentication, where every view is public)
 * @param indexes indexes its SQL needs on replica tables, beside those Outpost makes for {@code changes}
 */
public record ViewDefinition(String name, String key, String sql, Map<String, ChangeMapping> changes,
                             List<String> fields, List<String> search, ReadPolicy read, List<ReplicaIndex> indexes) {

    private static final Pattern COLUMN = Pattern.compile("[A-Za-z_][A-Za-z0-9_]*");
    private static final Pattern SELECT = Pattern.compile("(?is)\\s*select\\s.+");

    static final Type<String> FIELD_PATH = Type.string("a document field path such as customer.name",
            Pattern.compile("[A-Za-z_][A-Za-z0-9_]*(\\.[A-Za-z_][A-Za-z0-9_]*)*"));
    static final Type<String> CHANGE_MAPPING = Type.string(
            "a column name, or a SELECT that yields the affected keys (from the changed row's :column values, or the "
                    + "same keys whatever row changed)",
            Pattern.compile("(?s)([A-Za-z_][A-Za-z0-9_]*|\\s*[Ss][Ee][Ll][Ee][Cc][Tt]\\s.+)"));

    static final Def.Setting<String> KEY = required("key", Type.string("a column name", COLUMN),
            "The column of the view's SQL result that identifies a document.");
    static final Def.Setting<String> SQL = required("sql", Type.NON_EMPTY,
            "A SELECT over the replica tables yielding one row per key; the row becomes the JSON document.");
    static final Def.Setting<Map<String, String>> CHANGES = required("changes",
            Type.mapOf(Type.TABLE, CHANGE_MAPPING),
            "For each table the SQL reads: the changed row's column holding the view key, "
                    + "or a SELECT yielding the affected keys (use :column for the changed row's values; a SELECT "
                    + "without any, such as SELECT 'all', yields the keys every change of the table affects).");
    static final Def.Setting<List<String>> FIELDS = optional("fields", Type.listOf(FIELD_PATH), List.of(),
            "Document fields that can be filtered and sorted on; each gets an index.");
    static final Def.Setting<List<String>> SEARCH = optional("search", Type.listOf(FIELD_PATH), List.of(),
            "Document fields indexed for full-text search (the q= parameter).");

    static final Def.Setting<com.fasterxml.jackson.databind.JsonNode> READ = optional("read", Type.raw(ReadPolicy.RULE),
            null, "Who may read the view's documents when auth.mode is not none (then required): public, or rules; "
                    + "a caller sees a row when a rule whose scope it has allows it. See docs/security.md.");

    static final Def.Setting<List<String>> INDEXES = optional("indexes", Type.listOf(ReplicaIndex.TYPE), List.of(),
            "Indexes the SQL needs on replica tables, as table(column, ...): each region's projector creates them "
                    + "when the table appears (the columns changes maps by are indexed without asking).");

    static final Def.MapOf DEF = new Def.MapOf("views", "view", Type.NAME, false,
            Def.Section.of("view", true, "One view.", KEY, SQL, CHANGES, FIELDS, SEARCH, READ, INDEXES),
            "Denormalized, queryable read models, declared as SQL over the replica tables.");

    public ViewDefinition {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(key, "key");
        Objects.requireNonNull(sql, "sql");
        changes = Map.copyOf(changes);
        fields = List.copyOf(fields);
        search = List.copyOf(search);
        indexes = List.copyOf(indexes);
    }

    /** A view without indexes of its own. */
    public ViewDefinition(String name, String key, String sql, Map<String, ChangeMapping> changes, List<String> fields,
                          List<String> search, ReadPolicy read) {
        this(name, key, sql, changes, fields, search, read, List.of());
    }

    /** A view without a read policy (every view is public without authentication) nor indexes of its own. */
    public ViewDefinition(String name, String key, String sql, Map<String, ChangeMapping> changes, List<String> fields,
                          List<String> search) {
        this(name, key, sql, changes, fields, search, null, List.of());
    }

    static ViewDefinition read(String name, Cursor c, List<String> capturedTables) {
        int before = c.problemCount();
        String key = c.get(KEY);
        String sql = c.get(SQL);
        if (sql != null && !SELECT.matcher(sql).matches() && !sql.trim().toLowerCase(java.util.Locale.ROOT).startsWith("with")) {
            c.problem(SQL.key(), "must be a SELECT (or WITH … SELECT) query, but starts with \""
                    + sql.trim().split("\\s+", 2)[0] + "\"");
        }
        Map<String, String> written = c.get(CHANGES);
        Map<String, ChangeMapping> changes = new java.util.LinkedHashMap<>();
        if (written != null) {
            if (written.isEmpty()) {
                c.problem(CHANGES.key(), "must map at least one source table to the view's keys");
            }
            for (var entry : written.entrySet()) {
                String table = SourceConfig.qualify(entry.getKey());
                if (!capturedTables.isEmpty() && !capturedTables.contains(table)) {
                    c.problem(CHANGES.key() + "." + entry.getKey(), "is not a captured table; add " + table
                            + " to source.tables, or remove it here (captured: " + capturedTables + ")");
                }
                try {
                    changes.put(entry.getKey(), ChangeMapping.parse(entry.getValue()));
                } catch (IllegalArgumentException e) {
                    c.problem(CHANGES.key() + "." + entry.getKey(), e.getMessage());
                }
            }
        }
        List<String> fields = c.get(FIELDS);
        List<String> search = c.get(SEARCH);
        List<ReplicaIndex> indexes = new java.util.ArrayList<>();
        List<String> writtenIndexes = c.get(INDEXES);
        for (int i = 0; writtenIndexes != null && i < writtenIndexes.size(); i++) {
            ReplicaIndex index = ReplicaIndex.parse(writtenIndexes.get(i));
            String table = SourceConfig.qualify(index.table());
            if (written != null && written.keySet().stream().map(SourceConfig::qualify).noneMatch(table::equals)) {
                c.problem(INDEXES.key(), "item " + (i + 1) + " (" + index + ") is not on a table the view reads; index one "
                        + "of the tables of its changes (" + String.join(", ", written.keySet()) + ")");
            }
            indexes.add(index);
        }
        com.fasterxml.jackson.databind.JsonNode readNode = c.get(READ);
        ReadPolicy read = readNode == null || readNode.isNull() || fields == null || key == null ? null
                : ReadPolicy.read(readNode, c, READ.key(), fields, key);
        if (c.failedSince(before)) {
            return null;
        }
        return new ViewDefinition(name, key, sql, changes, fields, search, read, indexes);
    }
}

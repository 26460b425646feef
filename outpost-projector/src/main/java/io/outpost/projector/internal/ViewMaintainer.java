package io.outpost.projector.internal;

import static io.outpost.store.StoreLayout.quote;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.outpost.core.OutpostException;
import io.outpost.core.SourcePosition;
import io.outpost.core.change.TableSchema;
import io.outpost.core.config.ProjectorConfig;
import io.outpost.core.config.SourceConfig;
import io.outpost.core.config.ViewDefinition;
import io.outpost.store.StoreLayout;
import io.outpost.store.ViewTables;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.ResultSetMetaData;
import java.sql.SQLException;
import java.sql.Savepoint;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps the view tables equal to their SQL over the replicas. Per batch: the row images of every
 * changed row (before and after) are mapped to the keys they affect ({@link #collect}); at the
 * batch's end each affected key is recomputed once from the post-batch replicas, its document
 * upserted, or deleted when the SQL yields no row for it ({@link #maintain}). A view whose tables
 * have not all appeared in the log yet waits and is built whole once they have.
 *
 * <p>Thread confinement: only the projector's apply thread uses an instance.
 */
public final class ViewMaintainer {

    private static final Logger LOG = LoggerFactory.getLogger(ViewMaintainer.class);
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Pattern COLUMN = Pattern.compile("[A-Za-z_][A-Za-z0-9_]*");
    private static final Pattern PARAMETER = Pattern.compile("(?<!:):([A-Za-z_][A-Za-z0-9_]*)");
    /** Beyond this many affected keys in one batch a view is recomputed whole. */
    private static final int FULL_REBUILD_KEYS = 50_000;

    private sealed interface Mapping permits ByColumn, BySql {
    }

    private record ByColumn(String column) implements Mapping {
    }

    /** {@code sql} with every {@code :column} replaced by {@code p."column"}. */
    private record BySql(String sql, List<String> parameters) implements Mapping {
    }

    private static final class View {
        final ViewDefinition definition;
        final String hash;
        /** By source table ({@code public.orders}). */
        final Map<String, Mapping> mappings = new LinkedHashMap<>();
        String keyType;
        ViewTables.State state = ViewTables.State.WAITING;
        final Set<String> keys = new LinkedHashSet<>();
        final Map<String, Set<List<Object>>> parameters = new HashMap<>();
        boolean full;

        View(ViewDefinition definition) {
            this.definition = definition;
            this.hash = ViewTables.hash(definition);
        }
    }

    private final String region;
    private final String source;
    private final ProjectorConfig.OnViewError onError;
    private final Map<String, View> views = new LinkedHashMap<>();

    /** @param region the region whose store this maintains (for log lines) */
    public ViewMaintainer(String region, String source, Collection<ViewDefinition> definitions,
                          ProjectorConfig.OnViewError onError) {
        this.region = region;
        this.source = source;
        this.onError = onError;
        for (ViewDefinition definition : definitions) {
            View view = new View(definition);
            definition.changes().forEach((table, mapping) -> view.mappings.put(SourceConfig.qualify(table),
                    COLUMN.matcher(mapping).matches() ? new ByColumn(mapping) : bySql(mapping)));
            views.put(definition.name(), view);
        }
    }

    private static BySql bySql(String mapping) {
        List<String> parameters = new ArrayList<>();
        Matcher m = PARAMETER.matcher(mapping);
        StringBuilder sql = new StringBuilder();
        while (m.find()) {
            if (!parameters.contains(m.group(1))) {
                parameters.add(m.group(1));
            }
            m.appendReplacement(sql, Matcher.quoteReplacement("p." + quote(m.group(1))));
        }
        m.appendTail(sql);
        return new BySql(sql.toString(), parameters);
    }

    /** Columns of {@code table} whose values some view needs to find the keys a change affects. */
    public Set<String> mappingColumns(String table) {
        Set<String> columns = new TreeSet<>();
        for (View view : views.values()) {
            switch (view.mappings.get(table)) {
                case ByColumn byColumn -> columns.add(byColumn.column());
                case BySql bySql -> columns.addAll(bySql.parameters());
                case null -> { }
            }
        }
        return columns;
    }

    /** Records the keys that changed rows of {@code table} affect; {@code images} hold their mapping columns. */
    public void collect(String table, List<Map<String, Object>> images) {
        for (View view : views.values()) {
            Mapping mapping = view.mappings.get(table);
            if (mapping == null || view.full) {
                continue;
            }
            switch (mapping) {
                case ByColumn byColumn -> {
                    for (Map<String, Object> image : images) {
                        Object key = image.get(byColumn.column());
                        if (key != null) {
                            view.keys.add(key.toString());
                        }
                    }
                }
                case BySql bySql -> {
                    Set<List<Object>> tuples = view.parameters.computeIfAbsent(table, t -> new LinkedHashSet<>());
                    for (Map<String, Object> image : images) {
                        List<Object> tuple = new ArrayList<>();
                        for (String parameter : bySql.parameters()) {
                            tuple.add(image.get(parameter));
                        }
                        tuples.add(tuple);
                    }
                }
            }
            if (view.keys.size() > FULL_REBUILD_KEYS) {
                view.full = true;
                view.keys.clear();
                view.parameters.clear();
            }
        }
    }

    /** Forgets what {@link #collect} gathered (the batch was rolled back). */
    public void reset() {
        for (View view : views.values()) {
            view.keys.clear();
            view.parameters.clear();
            view.full = false;
        }
    }

    /** Every view's state, by name. */
    public Map<String, ViewTables.State> states() {
        Map<String, ViewTables.State> states = new LinkedHashMap<>();
        views.forEach((name, view) -> states.put(name, view.state));
        return states;
    }

    /**
     * Validates every view whose tables exist, writing nothing: what {@code Projector.start} refuses.
     *
     * @throws OutpostException naming the view and the reason when a definition is invalid
     */
    public void check(Connection c, Map<String, TableSchema> schemas) throws SQLException {
        for (View view : views.values()) {
            if (tablesPresent(view, schemas)) {
                validate(c, view, schemas);
            }
        }
    }

    /**
     * At start, in the caller's transaction: drops views no longer configured, validates every view
     * whose tables exist, and builds a view that is new or whose definition changed (into a new
     * table, swapped in when complete). A view whose tables have not appeared yet waits.
     *
     * @throws OutpostException naming the view and the reason when a definition is invalid
     */
    public void prepare(Connection c, Map<String, TableSchema> schemas, SourcePosition position) throws SQLException {
        Map<String, ViewTables.Registered> registered = ViewTables.registered(c);
        for (String name : registered.keySet()) {
            if (!views.containsKey(name)) {
                ViewTables.drop(c, name);
                try (PreparedStatement s = c.prepareStatement("DELETE FROM public.outpost_views WHERE name = ?")) {
                    s.setString(1, name);
                    s.executeUpdate();
                }
                LOG.info("region {}: view {} is no longer configured: its table was dropped", region, name);
            }
        }
        for (View view : views.values()) {
            ViewTables.Registered known = registered.get(view.definition.name());
            if (!tablesPresent(view, schemas)) {
                view.state = ViewTables.State.WAITING;
                ViewTables.register(c, view.definition, null, ViewTables.State.WAITING,
                        "waiting for " + missingTables(view, schemas) + " to appear in the change log");
                continue;
            }
            view.keyType = validate(c, view, schemas);
            ensureIndexes(c, view, schemas);
            if (known != null && known.hash().equals(view.hash) && known.state() == ViewTables.State.READY
                    && ViewTables.exists(c, view.definition.name())) {
                view.state = ViewTables.State.READY;
                continue;
            }
            build(c, view, position, null);
            LOG.info("region {}: view {} {} at position {}", region, view.definition.name(),
                    known == null ? "built" : "rebuilt (its definition changed)", position);
        }
    }

    /**
     * Builds {@code view} afresh into a new table from the replicas and swaps it in, in the
     * caller's transaction; readers keep the old documents until it commits.
     *
     * @param progress receives the number of documents written so far and their total
     */
    public void rebuild(Connection c, String name, Map<String, TableSchema> schemas, SourcePosition position,
                        Progress progress) throws SQLException {
        View view = views.get(name);
        if (view == null) {
            throw new OutpostException("there is no view " + name + " in the configuration (views: " + views.keySet() + ")");
        }
        if (!tablesPresent(view, schemas)) {
            throw new OutpostException("view " + name + " cannot be built yet: it is waiting for "
                    + missingTables(view, schemas) + " to appear in the change log");
        }
        view.keyType = validate(c, view, schemas);
        ensureIndexes(c, view, schemas);
        build(c, view, position, progress);
    }

    /**
     * At the end of a batch, in its store transaction: builds waiting views whose tables have all
     * appeared, and recomputes every affected key of the others. {@code pending} holds the batch's
     * row writes, not yet sent: they are sent first where something must read the replicas after
     * them (a view to build, a SELECT mapping to resolve). Normally each view's recomputation is
     * added to {@code pending}, for the caller to send with the watermark in one round trip; when
     * {@code careful} (after such a round trip failed; the caller has sent the writes), views are
     * recomputed here one by one under savepoints, key by key where one fails.
     *
     * @throws ViewFailure when a view's SQL fails for a key and the projector is set to stop
     */
    void maintain(Connection c, Pipeline pending, Map<String, TableSchema> schemas, SourcePosition position,
                  boolean careful) throws SQLException {
        try {
            for (View view : views.values()) {
                if (view.state != ViewTables.State.READY && tablesPresent(view, schemas)) {
                    pending.execute(c);
                    view.keyType = validate(c, view, schemas);
                    ensureIndexes(c, view, schemas);
                    build(c, view, position, null);
                    LOG.info("region {}: view {} built at position {}: its tables have all appeared", region,
                            view.definition.name(), position);
                    view.keys.clear();
                    view.parameters.clear();
                    view.full = false;
                }
            }
            for (View view : views.values()) {
                if (view.state != ViewTables.State.READY) {
                    continue;
                }
                resolveParameters(c, pending, view, schemas);
                if (view.full) {
                    pending.execute(c);
                    recomputeAll(c, view, position);
                } else if (!view.keys.isEmpty() && careful) {
                    recompute(c, view, new ArrayList<>(view.keys), position);
                } else if (!view.keys.isEmpty()) {
                    // no savepoint: a failure spoils the batch, which is applied again carefully
                    String[] keys = view.keys.toArray(String[]::new);
                    pending.add(upsertAndDelete(view, StoreLayout.viewTable(view.definition.name()), true), keys,
                            position.toString(), keys);
                }
            }
        } finally {
            for (View view : views.values()) {
                view.keys.clear();
                view.parameters.clear();
                view.full = false;
            }
        }
    }

    // ---- validation ---------------------------------------------------------------------------

    private boolean tablesPresent(View view, Map<String, TableSchema> schemas) {
        return schemas.keySet().containsAll(view.mappings.keySet());
    }

    private List<String> missingTables(View view, Map<String, TableSchema> schemas) {
        return view.mappings.keySet().stream().filter(t -> !schemas.containsKey(t)).toList();
    }

    private OutpostException invalid(View view, String reason) {
        return new OutpostException("view " + view.definition.name() + " is invalid: " + reason);
    }

    private static String body(String sql) {
        String s = sql.strip();
        while (s.endsWith(";")) {
            s = s.substring(0, s.length() - 1).strip();
        }
        return s;
    }

    /** Checks the definition against the replicas; returns the key column's SQL type. */
    private String validate(Connection c, View view, Map<String, TableSchema> schemas) throws SQLException {
        ViewDefinition definition = view.definition;
        String keyType;
        List<String> columns = new ArrayList<>();
        Savepoint savepoint = c.setSavepoint();
        try (PreparedStatement s = c.prepareStatement("SELECT * FROM (" + body(definition.sql()) + ") v LIMIT 0");
             ResultSet rs = s.executeQuery()) {
            ResultSetMetaData meta = rs.getMetaData();
            int keyIndex = -1;
            for (int i = 1; i <= meta.getColumnCount(); i++) {
                columns.add(meta.getColumnName(i));
                if (meta.getColumnName(i).equals(definition.key())) {
                    keyIndex = i;
                }
            }
            if (keyIndex < 0) {
                throw invalid(view, "its SQL yields no column " + definition.key() + " (the key); its columns are " + columns);
            }
            keyType = meta.getColumnTypeName(keyIndex);
        } catch (SQLException e) {
            c.rollback(savepoint);
            throw invalid(view, "its SQL fails on the replica tables: " + firstLine(e));
        }
        try (Statement s = c.createStatement();
             ResultSet rs = s.executeQuery("EXPLAIN (VERBOSE, FORMAT JSON) " + body(definition.sql()))) {
            rs.next();
            Set<String> read = new TreeSet<>();
            relations(JSON.readTree(rs.getString(1)), read);
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
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new IllegalStateException("EXPLAIN returned no JSON: " + e.getMessage(), e);
        }
        for (var entry : view.mappings.entrySet()) {
            TableSchema schema = schemas.get(entry.getKey());
            Set<String> tableColumns = new TreeSet<>();
            schema.columns().forEach(col -> tableColumns.add(col.name()));
            String where = "changes." + StoreLayout.replicaTable(entry.getKey());
            switch (entry.getValue()) {
                case ByColumn byColumn -> {
                    if (!tableColumns.contains(byColumn.column())) {
                        throw invalid(view, where + " names column " + byColumn.column() + ", which "
                                + entry.getKey() + " does not have (its columns: " + tableColumns + ")");
                    }
                }
                case BySql bySql -> {
                    for (String parameter : bySql.parameters()) {
                        if (!tableColumns.contains(parameter)) {
                            throw invalid(view, where + " uses :" + parameter + ", which is not a column of "
                                    + entry.getKey() + " (its columns: " + tableColumns + ")");
                        }
                    }
                    Savepoint before = c.setSavepoint();
                    try (PreparedStatement s = c.prepareStatement(mappingQuery(bySql, schema))) {
                        s.setString(1, "[]");
                        s.executeQuery().close();
                    } catch (SQLException e) {
                        c.rollback(before);
                        throw invalid(view, where + " fails: " + firstLine(e));
                    }
                }
            }
        }
        return keyType;
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

    static String firstLine(SQLException e) {
        String message = String.valueOf(e.getMessage());
        int newline = message.indexOf('\n');
        return newline < 0 ? message : message.substring(0, newline);
    }

    /**
     * Indexes the replica columns a view's {@code changes} maps by (when not the start of the
     * primary key): they are the columns its SQL joins and filters on (an order's lines by order,
     * a product's lines by product), and replicas have no index but their key.
     */
    private void ensureIndexes(Connection c, View view, Map<String, TableSchema> schemas) throws SQLException {
        for (var entry : view.mappings.entrySet()) {
            if (entry.getValue() instanceof ByColumn byColumn) {
                TableSchema schema = schemas.get(entry.getKey());
                if (schema == null || (!schema.primaryKey().isEmpty() && schema.primaryKey().getFirst().equals(byColumn.column()))) {
                    continue;
                }
                String table = StoreLayout.replicaTable(entry.getKey());
                try (Statement s = c.createStatement()) {
                    s.execute("CREATE INDEX IF NOT EXISTS " + quote(table + "_by_" + byColumn.column()) + " ON "
                            + quote(StoreLayout.replicaSchema(source)) + "." + quote(table) + " (" + quote(byColumn.column()) + ")");
                }
            }
        }
    }

    // ---- keys ---------------------------------------------------------------------------------

    private String mappingQuery(BySql bySql, TableSchema schema) {
        Map<String, String> types = new HashMap<>();
        schema.columns().forEach(col -> types.put(col.name(), ColumnCodec.declaredType(col.type())));
        List<String> definitions = new ArrayList<>();
        for (String parameter : bySql.parameters()) {
            definitions.add(quote(parameter) + " " + types.getOrDefault(parameter, "text"));
        }
        return "SELECT DISTINCT m.k::text FROM jsonb_to_recordset(?::jsonb) AS p(" + String.join(", ", definitions)
                + ") CROSS JOIN LATERAL (" + body(bySql.sql()) + ") AS m(k)";
    }

    /** Runs {@code view}'s SELECT mappings for the parameters collected (after the batch's writes, sent first). */
    private void resolveParameters(Connection c, Pipeline pending, View view, Map<String, TableSchema> schemas)
            throws SQLException {
        for (var entry : view.parameters.entrySet()) {
            if (entry.getValue().isEmpty()) {
                continue;
            }
            pending.execute(c);
            BySql bySql = (BySql) view.mappings.get(entry.getKey());
            List<Map<String, Object>> rows = new ArrayList<>();
            for (List<Object> tuple : entry.getValue()) {
                Map<String, Object> row = new LinkedHashMap<>();
                for (int i = 0; i < bySql.parameters().size(); i++) {
                    row.put(bySql.parameters().get(i), tuple.get(i));
                }
                rows.add(row);
            }
            try (PreparedStatement s = c.prepareStatement(mappingQuery(bySql, schemas.get(entry.getKey())))) {
                s.setString(1, TableBuffer.json(rows));
                try (ResultSet rs = s.executeQuery()) {
                    while (rs.next()) {
                        if (rs.getString(1) != null) {
                            view.keys.add(rs.getString(1));
                        }
                    }
                }
            }
        }
    }

    // ---- documents ----------------------------------------------------------------------------

    private String computed(View view, boolean someKeys) {
        String key = quote(view.definition.key());
        return "SELECT v." + key + "::" + view.keyType + " AS key, to_jsonb(v) AS doc FROM (" + body(view.definition.sql())
                + ") v" + (someKeys ? " WHERE v." + key + " = ANY (?::text[]::" + view.keyType + "[])" : "");
    }

    private String upsertAndDelete(View view, String table, boolean someKeys) {
        return "WITH computed AS (" + computed(view, someKeys) + "), upserted AS (INSERT INTO " + table
                + " AS t (key, doc, position, updated_at) SELECT key, doc, ?::pg_lsn, now() FROM computed "
                + "ON CONFLICT (key) DO UPDATE SET doc = EXCLUDED.doc, position = EXCLUDED.position, "
                + "updated_at = EXCLUDED.updated_at WHERE t.doc IS DISTINCT FROM EXCLUDED.doc) "
                + "DELETE FROM " + table + " t WHERE " + (someKeys ? "t.key = ANY (?::text[]::" + view.keyType + "[]) AND " : "")
                + "NOT EXISTS (SELECT 1 FROM computed c WHERE c.key = t.key)";
    }

    private void recompute(Connection c, View view, List<String> keys, SourcePosition position) throws SQLException {
        Savepoint savepoint = c.setSavepoint();
        try {
            runRecompute(c, view, keys, position);
            c.releaseSavepoint(savepoint);
        } catch (SQLException e) {
            c.rollback(savepoint);
            if (keys.size() == 1) {
                failed(c, view, keys.getFirst(), position, e);
                return;
            }
            // find the key(s) the SQL fails for; the others are recomputed
            for (String key : keys) {
                recompute(c, view, List.of(key), position);
            }
        }
    }

    private void runRecompute(Connection c, View view, List<String> keys, SourcePosition position) throws SQLException {
        Pipeline one = new Pipeline();
        String[] array = keys.toArray(String[]::new);
        one.add(upsertAndDelete(view, StoreLayout.viewTable(view.definition.name()), true), array, position.toString(), array);
        one.execute(c);
    }

    private void recomputeAll(Connection c, View view, SourcePosition position) throws SQLException {
        try (PreparedStatement s = c.prepareStatement(upsertAndDelete(view, StoreLayout.viewTable(view.definition.name()), false))) {
            s.setString(1, position.toString());
            s.executeUpdate();
        } catch (SQLException e) {
            throw new ViewFailure("view " + view.definition.name() + " failed while recomputing every document at position "
                    + position + ": " + firstLine(e) + "; the projector stopped (nothing after " + position + " is applied)", e);
        }
    }

    private void failed(Connection c, View view, String key, SourcePosition position, SQLException e) throws SQLException {
        if (onError == ProjectorConfig.OnViewError.STOP) {
            throw new ViewFailure("view " + view.definition.name() + " failed for key " + key + " at position " + position
                    + ": " + firstLine(e) + "; the projector stopped (nothing from " + position + " on is applied). Fix the "
                    + "view's SQL, or set projector.on-view-error: record to record such failures and go on", e);
        }
        LOG.error("region {}: view {} failed for key {} at position {}: {}; recorded in outpost_errors, the document keeps its "
                + "previous state", region, view.definition.name(), key, position, firstLine(e));
        try (PreparedStatement s = c.prepareStatement(
                "INSERT INTO public.outpost_errors (view, key, position, message) VALUES (?, ?, ?::pg_lsn, ?)")) {
            s.setString(1, view.definition.name());
            s.setString(2, key);
            s.setString(3, position.toString());
            s.setString(4, firstLine(e));
            s.executeUpdate();
        }
    }

    /** Keys per statement when a rebuild reports progress. */
    private static final int REBUILD_CHUNK = 2000;

    /**
     * Builds the view into {@code <view>__build} and swaps it in. With a {@code progress} listener
     * (a rebuild someone watches) it goes in chunks of keys and reports {@code (written, total)}
     * after each; otherwise in one statement.
     */
    private void build(Connection c, View view, SourcePosition position, Progress progress) throws SQLException {
        String name = view.definition.name();
        String built = name + "__build";
        ViewTables.drop(c, built);
        ViewTables.create(c, built, view.definition, view.keyType);
        String table = StoreLayout.VIEWS_SCHEMA + "." + quote(built);
        try {
            if (progress == null) {
                try (PreparedStatement s = c.prepareStatement("INSERT INTO " + table + " (key, doc, position, updated_at) "
                        + "SELECT key, doc, ?::pg_lsn, now() FROM (" + computed(view, false) + ") computed")) {
                    s.setString(1, position.toString());
                    s.executeUpdate();
                }
            } else {
                List<String> keys = new ArrayList<>();
                try (PreparedStatement s = c.prepareStatement("SELECT DISTINCT v." + quote(view.definition.key())
                        + "::text FROM (" + body(view.definition.sql()) + ") v");
                     ResultSet rs = s.executeQuery()) {
                    while (rs.next()) {
                        keys.add(rs.getString(1));
                    }
                }
                long written = 0;
                progress.report(0, keys.size());
                try (PreparedStatement s = c.prepareStatement("INSERT INTO " + table + " (key, doc, position, updated_at) "
                        + "SELECT key, doc, ?::pg_lsn, now() FROM (" + computed(view, true) + ") computed")) {
                    for (int from = 0; from < keys.size(); from += REBUILD_CHUNK) {
                        List<String> chunk = keys.subList(from, Math.min(keys.size(), from + REBUILD_CHUNK));
                        s.setString(1, position.toString());
                        s.setArray(2, c.createArrayOf("text", chunk.toArray()));
                        written += s.executeUpdate();
                        progress.report(written, keys.size());
                    }
                }
            }
        } catch (SQLException e) {
            throw new ViewFailure("view " + name + " could not be built at position " + position + ": " + firstLine(e), e);
        }
        ViewTables.swap(c, name, built);
        ViewTables.register(c, view.definition, view.keyType, ViewTables.State.READY, null);
        view.state = ViewTables.State.READY;
    }

    /** Reports a rebuild's progress: documents written of the total. */
    @FunctionalInterface
    public interface Progress {
        void report(long written, long total) throws SQLException;
    }
}

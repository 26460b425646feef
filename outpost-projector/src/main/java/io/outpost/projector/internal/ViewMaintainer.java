package io.outpost.projector.internal;

import static io.outpost.store.StoreLayout.quote;

import io.outpost.core.OutpostException;
import io.outpost.core.SourcePosition;
import io.outpost.core.change.TableSchema;
import io.outpost.core.config.ChangeMapping;
import io.outpost.core.config.ProjectorConfig;
import io.outpost.core.config.ReplicaIndex;
import io.outpost.core.config.SourceConfig;
import io.outpost.core.config.ViewDefinition;
import io.outpost.store.StoreLayout;
import io.outpost.store.ViewTables;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Savepoint;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps the view tables equal to their SQL over the replicas. Per batch: the row images of every
 * changed row (before and after) are mapped to the keys they affect ({@link #collect}, see
 * {@link AffectedKeys}); at the batch's end each affected key is recomputed once from the
 * post-batch replicas, its document upserted, or deleted when the SQL yields no row for it
 * ({@link #maintain}). A view whose tables have not all appeared in the log yet waits and is built
 * whole once they have ({@link ViewBuilder}). Definitions are checked by {@link ViewValidator}; the
 * SQL comes from {@link ViewSql}.
 *
 * <p>Thread confinement: only the projector's apply thread uses an instance.
 */
public final class ViewMaintainer {

    private static final Logger LOG = LoggerFactory.getLogger(ViewMaintainer.class);

    private final String region;
    private final String source;
    private final ProjectorConfig.OnViewError onError;
    private final ViewValidator validator;
    private final ViewBuilder builder;
    private final Map<String, MaintainedView> views = new LinkedHashMap<>();

    /** @param region the region whose store this maintains (for log lines) */
    public ViewMaintainer(String region, String source, Collection<ViewDefinition> definitions,
                          ProjectorConfig.OnViewError onError) {
        this.region = region;
        this.source = source;
        this.onError = onError;
        this.validator = new ViewValidator(source);
        this.builder = new ViewBuilder();
        for (ViewDefinition definition : definitions) {
            views.put(definition.name(), new MaintainedView(definition));
        }
    }

    /** Columns of {@code table} whose values some view needs to find the keys a change affects. */
    public Set<String> mappingColumns(String table) {
        Set<String> columns = new TreeSet<>();
        for (MaintainedView view : views.values()) {
            switch (view.mappings.get(table)) {
                case ChangeMapping.KeyColumn key -> columns.add(key.column());
                case ChangeMapping.KeyQuery query -> columns.addAll(query.parameters());
                case ChangeMapping.EveryChange every -> { }
                case null -> { }
            }
        }
        return columns;
    }

    /** Records the keys that changed rows of {@code table} affect; {@code images} hold their mapping columns. */
    public void collect(String table, List<Map<String, Object>> images) {
        for (MaintainedView view : views.values()) {
            ChangeMapping mapping = view.mappings.get(table);
            if (mapping != null) {
                view.affected.collect(table, mapping, images);
            }
        }
    }

    /** Forgets what {@link #collect} gathered (the batch was rolled back). */
    public void reset() {
        views.values().forEach(view -> view.affected.reset());
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
        for (MaintainedView view : views.values()) {
            if (view.tablesPresent(schemas)) {
                validator.validate(c, view, schemas);
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
                ViewTables.unregister(c, name);
                LOG.info("region {}: view {} is no longer configured: its table was dropped", region, name);
            }
        }
        for (MaintainedView view : views.values()) {
            ViewTables.Registered known = registered.get(view.name());
            if (!view.tablesPresent(schemas)) {
                view.state = ViewTables.State.WAITING;
                ViewTables.register(c, view.definition, null, ViewTables.State.WAITING,
                        "waiting for " + view.missingTables(schemas) + " to appear in the change log");
                continue;
            }
            ready(c, view, schemas);
            if (known != null && known.hash().equals(view.hash) && known.state() == ViewTables.State.READY
                    && ViewTables.exists(c, view.name())) {
                view.state = ViewTables.State.READY;
                continue;
            }
            builder.build(c, view, position, null);
            LOG.info("region {}: view {} {} at position {}", region, view.name(),
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
        MaintainedView view = views.get(name);
        if (view == null) {
            throw new OutpostException("there is no view " + name + " in the configuration (views: " + views.keySet() + ")");
        }
        if (!view.tablesPresent(schemas)) {
            throw new OutpostException("view " + name + " cannot be built yet: it is waiting for "
                    + view.missingTables(schemas) + " to appear in the change log");
        }
        ready(c, view, schemas);
        builder.build(c, view, position, progress);
    }

    /** Validates {@code view} (learning its key type) and makes the replica indexes it needs. */
    private void ready(Connection c, MaintainedView view, Map<String, TableSchema> schemas) throws SQLException {
        view.keyType = validator.validate(c, view, schemas);
        ensureIndexes(c, view, schemas);
    }

    /**
     * At the end of a batch, in its store transaction: builds waiting views whose tables have all
     * appeared, and recomputes every affected key of the others. {@code pending} holds the batch's
     * row writes, not yet sent: they are sent first where something must read the replicas after
     * them (a view to build, a mapping query to resolve). Normally each view's recomputation is
     * added to {@code pending}, for the caller to send with the watermark in one round trip; when
     * {@code careful} (after such a round trip failed; the caller has sent the writes), views are
     * recomputed here one by one under savepoints, key by key where one fails.
     *
     * @throws ViewFailure when a view's SQL fails for a key and the projector is set to stop
     */
    void maintain(Connection c, Pipeline pending, Map<String, TableSchema> schemas, SourcePosition position,
                  boolean careful, boolean timed, ViewMeters meters) throws SQLException {
        try {
            for (MaintainedView view : views.values()) {
                if (view.state != ViewTables.State.READY && view.tablesPresent(schemas)) {
                    pending.execute(c);
                    ready(c, view, schemas);
                    builder.build(c, view, position, null);
                    LOG.info("region {}: view {} built at position {}: its tables have all appeared", region,
                            view.name(), position);
                    view.affected.reset();
                }
            }
            for (MaintainedView view : views.values()) {
                if (view.state != ViewTables.State.READY) {
                    continue;
                }
                resolve(c, pending, view, schemas);
                AffectedKeys affected = view.affected;
                String table = StoreLayout.viewTable(view.name());
                if (affected.everything()) {
                    pending.execute(c);
                    long started = System.nanoTime();
                    recomputeAll(c, view, position);
                    meters.recomputed(view.name(), -1, System.nanoTime() - started);
                } else if (!affected.keys().isEmpty() && careful) {
                    meters.keys(view.name(), affected.keys().size());
                    recompute(c, view, new ArrayList<>(affected.keys()), position);
                } else if (!affected.keys().isEmpty()) {
                    // no savepoint: a failure spoils the batch, which is applied again carefully
                    String[] keys = affected.keys().toArray(String[]::new);
                    meters.keys(view.name(), keys.length);
                    if (timed) {
                        pending.execute(c); // what comes before, so that the view's own time is measured
                    }
                    pending.add(ViewSql.upsertAndDelete(view.definition, view.keyType, table, true), keys,
                            position.toString(), keys);
                    if (timed) {
                        long started = System.nanoTime();
                        pending.execute(c);
                        meters.recomputed(view.name(), keys.length, System.nanoTime() - started);
                    }
                }
            }
        } finally {
            reset();
        }
    }

    /** Turns the key queries' parameters and the every-change tables collected into keys (after the batch's writes, sent first). */
    private void resolve(Connection c, Pipeline pending, MaintainedView view, Map<String, TableSchema> schemas)
            throws SQLException {
        AffectedKeys affected = view.affected;
        for (var entry : affected.parameters().entrySet()) {
            if (entry.getValue().isEmpty()) {
                continue;
            }
            pending.execute(c);
            ChangeMapping.KeyQuery query = (ChangeMapping.KeyQuery) view.mappings.get(entry.getKey());
            List<Map<String, Object>> rows = new ArrayList<>();
            for (List<Object> tuple : entry.getValue()) {
                Map<String, Object> row = new LinkedHashMap<>();
                for (int i = 0; i < query.parameters().size(); i++) {
                    row.put(query.parameters().get(i), tuple.get(i));
                }
                rows.add(row);
            }
            keys(c, ViewSql.keyQuery(query, ViewValidator.declaredTypes(schemas.get(entry.getKey()))),
                    TableBuffer.json(rows), affected);
        }
        for (String table : affected.changedTables()) {
            pending.execute(c);
            keys(c, ViewSql.everyChangeQuery((ChangeMapping.EveryChange) view.mappings.get(table)), null, affected);
        }
    }

    private static void keys(Connection c, String sql, String rows, AffectedKeys into) throws SQLException {
        try (PreparedStatement s = c.prepareStatement(sql)) {
            if (rows != null) {
                s.setString(1, rows);
            }
            try (ResultSet rs = s.executeQuery()) {
                while (rs.next()) {
                    if (rs.getString(1) != null) {
                        into.add(rs.getString(1));
                    }
                }
            }
        }
    }

    /**
     * Indexes the replica columns a view's {@code changes} maps by (when not the start of the
     * primary key): they are the columns its SQL joins and filters on (an order's lines by order,
     * a product's lines by product), and replicas have no index but their key; then the indexes
     * the view declares ({@code indexes}).
     *
     * @throws OutpostException when a declared index names a column its table does not have
     */
    private void ensureIndexes(Connection c, MaintainedView view, Map<String, TableSchema> schemas) throws SQLException {
        for (ReplicaIndex index : view.definition.indexes()) {
            String qualified = SourceConfig.qualify(index.table());
            TableSchema schema = schemas.get(qualified);
            if (schema == null) {
                continue; // not appeared yet: made when it has (the view waits for its tables)
            }
            List<String> columns = schema.columns().stream().map(TableSchema.Column::name).toList();
            List<String> unknown = index.columns().stream().filter(column -> !columns.contains(column)).toList();
            if (!unknown.isEmpty()) {
                throw new OutpostException("view " + view.name() + ": index " + index + " names " + unknown + ", which "
                        + qualified + " does not have (its columns: " + columns + "); fix views." + view.name() + ".indexes");
            }
            String table = StoreLayout.replicaTable(qualified);
            try (Statement s = c.createStatement()) {
                s.execute("CREATE INDEX IF NOT EXISTS " + quote(indexName(table, index.columns())) + " ON "
                        + quote(StoreLayout.replicaSchema(source)) + "." + quote(table) + " ("
                        + index.columns().stream().map(StoreLayout::quote).collect(java.util.stream.Collectors.joining(", ")) + ")");
            }
        }
        for (var entry : view.mappings.entrySet()) {
            if (entry.getValue() instanceof ChangeMapping.KeyColumn key) {
                TableSchema schema = schemas.get(entry.getKey());
                if (schema == null || (!schema.primaryKey().isEmpty() && schema.primaryKey().getFirst().equals(key.column()))) {
                    continue;
                }
                String table = StoreLayout.replicaTable(entry.getKey());
                try (Statement s = c.createStatement()) {
                    s.execute("CREATE INDEX IF NOT EXISTS " + quote(table + "_by_" + key.column()) + " ON "
                            + quote(StoreLayout.replicaSchema(source)) + "." + quote(table) + " (" + quote(key.column()) + ")");
                }
            }
        }
    }

    /**
     * A declared index's name: {@code <table>_by_<columns>}, or, past PostgreSQL's 63 bytes, its
     * start and a digest of the whole (a truncated name could match another index's and be skipped).
     */
    static String indexName(String table, List<String> columns) {
        String name = table + "_by_" + String.join("_", columns);
        if (name.getBytes(java.nio.charset.StandardCharsets.UTF_8).length <= 63) {
            return name;
        }
        String digest = Integer.toHexString(name.hashCode() & 0x7fffffff);
        String start = name.substring(0, Math.min(name.length(), 40));
        while (start.getBytes(java.nio.charset.StandardCharsets.UTF_8).length > 40) {
            start = start.substring(0, start.length() - 1);
        }
        return start + "_" + digest;
    }

    /** Recomputes {@code keys} under a savepoint; when that fails, key by key, to find the key(s) the SQL fails for. */
    private void recompute(Connection c, MaintainedView view, List<String> keys, SourcePosition position) throws SQLException {
        Savepoint savepoint = c.setSavepoint();
        try {
            Pipeline one = new Pipeline();
            String[] array = keys.toArray(String[]::new);
            one.add(ViewSql.upsertAndDelete(view.definition, view.keyType, StoreLayout.viewTable(view.name()), true),
                    array, position.toString(), array);
            one.execute(c);
            c.releaseSavepoint(savepoint);
        } catch (SQLException e) {
            c.rollback(savepoint);
            if (keys.size() == 1) {
                failed(c, view, keys.getFirst(), position, e);
                return;
            }
            for (String key : keys) {
                recompute(c, view, List.of(key), position);
            }
        }
    }

    private void recomputeAll(Connection c, MaintainedView view, SourcePosition position) throws SQLException {
        try (PreparedStatement s = c.prepareStatement(ViewSql.upsertAndDelete(view.definition, view.keyType,
                StoreLayout.viewTable(view.name()), false))) {
            s.setString(1, position.toString());
            s.executeUpdate();
        } catch (SQLException e) {
            throw new ViewFailure("view " + view.name() + " failed while recomputing every document at position "
                    + position + ": " + ViewValidator.firstLine(e) + "; the projector stopped (nothing after " + position
                    + " is applied)", e);
        }
    }

    private void failed(Connection c, MaintainedView view, String key, SourcePosition position, SQLException e)
            throws SQLException {
        String reason = ViewValidator.firstLine(e);
        if (onError == ProjectorConfig.OnViewError.STOP) {
            throw new ViewFailure("view " + view.name() + " failed for key " + key + " at position " + position
                    + ": " + reason + "; the projector stopped (nothing from " + position + " on is applied). Fix the "
                    + "view's SQL, or set projector.on-view-error: record to record such failures and go on", e);
        }
        LOG.error("region {}: view {} failed for key {} at position {}: {}; recorded in outpost_errors, the document keeps its "
                + "previous state", region, view.name(), key, position, reason);
        try (PreparedStatement s = c.prepareStatement(
                "INSERT INTO public.outpost_errors (view, key, position, message) VALUES (?, ?, ?::pg_lsn, ?)")) {
            s.setString(1, view.name());
            s.setString(2, key);
            s.setString(3, position.toString());
            s.setString(4, reason);
            s.executeUpdate();
        }
    }

    /** Reports a rebuild's progress: documents written of the total. */
    @FunctionalInterface
    public interface Progress {
        void report(long written, long total) throws SQLException;
    }
}

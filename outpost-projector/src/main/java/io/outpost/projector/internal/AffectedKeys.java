package io.outpost.projector.internal;

import io.outpost.core.config.ChangeMapping;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The keys of one view that a batch's row changes affect, gathered from the changed rows' images
 * (before and after) as the batch's writes are prepared, through each table's {@link ChangeMapping}:
 * keys at once for a key column; the rows' parameter values for a key query, and the tables
 * changed for an every-change mapping, both turned into keys once the writes are in the store.
 * Beyond {@value #FULL_REBUILD_KEYS} keys the whole view is recomputed instead.
 *
 * <p>Thread confinement: only the projector's apply thread uses an instance.
 */
final class AffectedKeys {

    /** Beyond this many affected keys in one batch a view is recomputed whole. */
    static final int FULL_REBUILD_KEYS = 50_000;

    private final Set<String> keys = new LinkedHashSet<>();
    /** Per table with a key query: the parameter tuples of its changed rows. */
    private final Map<String, Set<List<Object>>> parameters = new LinkedHashMap<>();
    /** Tables with an every-change mapping that changed. */
    private final Set<String> changedTables = new LinkedHashSet<>();
    private boolean everything;

    /** Records what rows of {@code table} changed, {@code images} holding their mapping columns. */
    void collect(String table, ChangeMapping mapping, List<Map<String, Object>> images) {
        if (everything) {
            return;
        }
        switch (mapping) {
            case ChangeMapping.KeyColumn column -> {
                for (Map<String, Object> image : images) {
                    Object key = image.get(column.column());
                    if (key != null) {
                        keys.add(key.toString());
                    }
                }
            }
            case ChangeMapping.KeyQuery query -> {
                Set<List<Object>> tuples = parameters.computeIfAbsent(table, t -> new LinkedHashSet<>());
                for (Map<String, Object> image : images) {
                    List<Object> tuple = new ArrayList<>(query.parameters().size());
                    for (String parameter : query.parameters()) {
                        tuple.add(image.get(parameter));
                    }
                    tuples.add(tuple);
                }
            }
            case ChangeMapping.EveryChange every -> changedTables.add(table);
        }
        if (keys.size() > FULL_REBUILD_KEYS) {
            reset();
            everything = true;
        }
    }

    /** Adds keys that a key query or an every-change mapping yielded. */
    void add(String key) {
        if (!everything) {
            keys.add(key);
        }
    }

    /** Per table with a key query, the parameter tuples collected; the caller resolves them into keys. */
    Map<String, Set<List<Object>>> parameters() {
        return parameters;
    }

    /** Tables with an every-change mapping that changed; the caller resolves them into keys. */
    Set<String> changedTables() {
        return changedTables;
    }

    Set<String> keys() {
        return keys;
    }

    /** Whether so many keys were affected that the whole view is recomputed. */
    boolean everything() {
        return everything;
    }

    /** Forgets everything collected (the batch committed, was rolled back, or the view was built whole). */
    void reset() {
        keys.clear();
        parameters.clear();
        changedTables.clear();
        everything = false;
    }
}

package io.outpost.projector.internal;

import io.outpost.core.change.TableSchema;
import io.outpost.core.config.ChangeMapping;
import io.outpost.core.config.SourceConfig;
import io.outpost.core.config.ViewDefinition;
import io.outpost.store.ViewTables;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A view as one region's projector maintains it: its definition and change mappings (by qualified
 * source table), its key's SQL type once validated, its state, and the keys the open batch affects.
 *
 * <p>Thread confinement: only the projector's apply thread uses an instance.
 */
final class MaintainedView {

    final ViewDefinition definition;
    /** What the view table depends on ({@link ViewTables#hash}): a different hash means a rebuild. */
    final String hash;
    /** By source table ({@code public.orders}). */
    final Map<String, ChangeMapping> mappings;
    final AffectedKeys affected = new AffectedKeys();
    /** The SQL type of the view's key column; known once validated. */
    String keyType;
    ViewTables.State state = ViewTables.State.WAITING;

    MaintainedView(ViewDefinition definition) {
        this.definition = definition;
        this.hash = ViewTables.hash(definition);
        Map<String, ChangeMapping> byTable = new LinkedHashMap<>();
        definition.changes().forEach((table, mapping) -> byTable.put(SourceConfig.qualify(table), mapping));
        this.mappings = Collections.unmodifiableMap(byTable);
    }

    String name() {
        return definition.name();
    }

    /** Whether every table the view maps has appeared in the change log. */
    boolean tablesPresent(Map<String, TableSchema> schemas) {
        return schemas.keySet().containsAll(mappings.keySet());
    }

    /** The tables it maps that have not appeared in the change log yet. */
    List<String> missingTables(Map<String, TableSchema> schemas) {
        return mappings.keySet().stream().filter(t -> !schemas.containsKey(t)).toList();
    }
}

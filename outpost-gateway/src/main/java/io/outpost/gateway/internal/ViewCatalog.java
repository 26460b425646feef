package io.outpost.gateway.internal;

import io.outpost.core.config.ViewDefinition;
import io.outpost.store.RegionStore;
import io.outpost.store.ViewTables;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.Map;

/**
 * The views a gateway serves: their definitions from the configuration, their key types and
 * states from the store's registry (re-read at most once a second, since a rebuild or a view
 * becoming ready changes them).
 */
public final class ViewCatalog {

    /** A view that can be queried now. */
    public record View(ViewDefinition definition, String keyType) {
    }

    private static final long REFRESH_NANOS = 1_000_000_000L;

    private final Map<String, ViewDefinition> definitions;
    private final RegionStore store;
    private volatile Map<String, ViewTables.Registered> registered = Map.of();
    private volatile long readAt;

    public ViewCatalog(Map<String, ViewDefinition> definitions, RegionStore store) {
        this.definitions = Map.copyOf(definitions);
        this.store = store;
    }

    /**
     * The view named {@code name}, ready to be queried.
     *
     * @throws Problem 404 when there is no such view, 503 when it is not built yet
     */
    public View get(String name) throws SQLException {
        ViewDefinition definition = definitions.get(name);
        if (definition == null) {
            throw new Problem(404, "unknown-view", "No such view", "there is no view \"" + name + "\"; the views are "
                    + definitions.keySet().stream().sorted().toList());
        }
        ViewTables.Registered entry = registered(false).get(name);
        if (entry == null || entry.state() != ViewTables.State.READY) {
            entry = registered(true).get(name);
        }
        if (entry == null || entry.state() != ViewTables.State.READY || entry.keyType() == null) {
            throw new Problem(503, "view-not-ready", "The view is not ready in this region",
                    "view \"" + name + "\" is not built in this region yet"
                            + (entry != null && entry.detail() != null ? " (" + entry.detail() + ")" : "")
                            + "; try again shortly").header("Retry-After", "5");
        }
        return new View(definition, entry.keyType());
    }

    private Map<String, ViewTables.Registered> registered(boolean force) throws SQLException {
        long now = System.nanoTime();
        if (force && now - readAt > REFRESH_NANOS / 10 || now - readAt > REFRESH_NANOS) {
            try (Connection c = store.connect()) {
                registered = ViewTables.registered(c);
                readAt = now;
            } catch (SQLException e) {
                if (!"42P01".equals(e.getSQLState())) { // no registry yet: the projector has not started here
                    throw e;
                }
            }
        }
        return registered;
    }
}

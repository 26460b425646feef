package io.outpost.gateway.internal;

import com.github.benmanes.caffeine.cache.CacheLoader;
import com.github.benmanes.caffeine.cache.Caffeine;
import com.github.benmanes.caffeine.cache.LoadingCache;
import io.outpost.core.OutpostException;
import io.outpost.core.Ticker;
import io.outpost.core.config.ViewDefinition;
import io.outpost.store.RegionStore;
import io.outpost.store.ViewTables;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CompletionException;
import java.util.concurrent.Executor;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The views a gateway serves: their definitions from the configuration; their key types and states
 * from the store's registry ({@code outpost_views}), which a rebuild or a view becoming ready
 * changes. The registry is kept in one Caffeine entry, refreshed in the background once it is
 * {@link #REFRESH} old: queries and health read what was last loaded and never wait for the store,
 * except for the first load; a query for a view that is not ready re-reads it at once (at most every
 * {@link #REREAD}); status reads it afresh.
 */
public final class ViewRegistry {

    private static final Logger LOG = LoggerFactory.getLogger(ViewRegistry.class);
    static final Duration REFRESH = Duration.ofSeconds(1);
    static final Duration REREAD = Duration.ofMillis(100);
    private static final String REGISTRY = "registry";

    /** A view that can be queried now. */
    public record View(ViewDefinition definition, String keyType) {
    }

    private final Map<String, ViewDefinition> definitions;
    private final Loader loader;
    private final Executor executor;
    private final LoadingCache<String, Map<String, ViewTables.Registered>> registry;

    /** @param executor where the registry is re-read in the background */
    public ViewRegistry(Map<String, ViewDefinition> definitions, RegionStore store, Ticker ticker, Executor executor) {
        this.definitions = Map.copyOf(definitions);
        this.loader = new Loader(store);
        this.executor = executor;
        this.registry = Caffeine.newBuilder().refreshAfterWrite(REFRESH).ticker(ticker::read).executor(executor)
                .build(loader);
    }

    /**
     * The view named {@code name}, ready to be queried.
     *
     * @throws Problem 404 when there is no such view, 503 when it is not built yet
     * @throws SQLException when the registry cannot be read for the first time
     */
    public View get(String name) throws SQLException {
        ViewDefinition definition = definitions.get(name);
        if (definition == null) {
            throw new Problem(ProblemType.UNKNOWN_VIEW, "there is no view \"" + name + "\"; the views are "
                    + definitions.keySet().stream().sorted().toList());
        }
        ViewTables.Registered entry = load().get(name);
        if (entry == null || entry.state() != ViewTables.State.READY) {
            entry = reread().get(name);
        }
        if (entry == null || entry.state() != ViewTables.State.READY || entry.keyType() == null) {
            throw new Problem(ProblemType.VIEW_NOT_READY, "view \"" + name + "\" is not built in this region yet"
                            + (entry != null && entry.detail() != null ? " (" + entry.detail() + ")" : "")
                            + "; try again shortly").header("Retry-After", "5");
        }
        return new View(definition, entry.keyType());
    }

    /** The registry as last read, without waiting for the store (empty before the first read). */
    public Map<String, ViewTables.Registered> lastRead() {
        Map<String, ViewTables.Registered> known = registry.getIfPresent(REGISTRY);
        if (known == null) {
            executor.execute(() -> {
                try {
                    registry.get(REGISTRY);
                } catch (RuntimeException e) {
                    LOG.debug("the views' registry could not be read ({})", e.getMessage());
                }
            });
            return Map.of();
        }
        return known;
    }

    /**
     * The registry read from the store now (and kept for the others).
     *
     * @throws SQLException when the store cannot answer
     * @throws OutpostException.Retriable when the store cannot be reached
     */
    public Map<String, ViewTables.Registered> readNow() throws SQLException {
        Map<String, ViewTables.Registered> fresh = loader.load(REGISTRY);
        registry.put(REGISTRY, fresh);
        return fresh;
    }

    private Map<String, ViewTables.Registered> load() throws SQLException {
        return unwrap(() -> registry.get(REGISTRY));
    }

    /** Reads the registry again unless it was read within {@link #REREAD}. */
    private Map<String, ViewTables.Registered> reread() throws SQLException {
        boolean recent = registry.policy().refreshAfterWrite()
                .flatMap(refresh -> refresh.ageOf(REGISTRY))
                .map(age -> age.compareTo(REREAD) < 0).orElse(false);
        return recent ? load() : readNow();
    }

    private interface Read {
        Map<String, ViewTables.Registered> get();
    }

    /** Caffeine wraps what the loader threw: the store's own failure comes out as it was. */
    private static Map<String, ViewTables.Registered> unwrap(Read read) throws SQLException {
        try {
            return read.get();
        } catch (CompletionException e) {
            if (e.getCause() instanceof SQLException sql) {
                throw sql;
            }
            if (e.getCause() instanceof RuntimeException runtime) {
                throw runtime;
            }
            throw e;
        }
    }

    private static final class Loader implements CacheLoader<String, Map<String, ViewTables.Registered>> {

        private final RegionStore store;

        Loader(RegionStore store) {
            this.store = store;
        }

        @Override
        public Map<String, ViewTables.Registered> load(String key) throws SQLException {
            try (Connection c = store.connect()) {
                return ViewTables.registered(c);
            } catch (SQLException e) {
                if ("42P01".equals(e.getSQLState())) { // no registry yet: the projector has not started here
                    return Map.of();
                }
                throw e;
            }
        }

        /** A background refresh that fails keeps what was read before: queries then find out for themselves. */
        @Override
        public Map<String, ViewTables.Registered> reload(String key, Map<String, ViewTables.Registered> oldValue) {
            try {
                return load(key);
            } catch (SQLException | OutpostException e) {
                LOG.debug("the views' registry could not be re-read ({}); the last one read stays", e.getMessage());
                return oldValue;
            }
        }
    }
}

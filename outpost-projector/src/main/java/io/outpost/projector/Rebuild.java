package io.outpost.projector;

import io.outpost.core.OutpostException;
import io.outpost.core.SourcePosition;
import io.outpost.core.change.TableSchema;
import io.outpost.core.config.ViewDefinition;
import io.outpost.projector.internal.StoreLock;
import io.outpost.projector.internal.ViewMaintainer;
import io.outpost.runtime.ExclusiveLock;
import io.outpost.store.Rebuilds;
import io.outpost.store.RegionStore;
import io.outpost.store.ReplicaTables;
import io.outpost.store.StoreLayout;
import io.outpost.store.Watermark;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import java.util.function.Consumer;

/**
 * Rebuilds one view of a region afresh from its replicas, into a new table that replaces the old
 * one atomically when complete (readers keep the old documents until then). When the region's
 * projector is running, it does the rebuild between two batches and this waits for it; when none
 * is, this takes the projector's lock and does it itself.
 */
public final class Rebuild {

    /** Documents written so far, of the total ({@code total} is null until known). */
    public record Progress(String state, long written, Long total) {
    }

    private Rebuild() {
    }

    /**
     * Rebuilds {@code view} and returns how many documents it has.
     *
     * @throws OutpostException when the view is unknown or invalid, its tables have not appeared,
     *                          the store cannot be reached, or the rebuild failed (with the reason)
     */
    public static long run(ProjectorSettings settings, String view, Consumer<Progress> listener, Duration timeout) {
        if (settings.views().stream().map(ViewDefinition::name).noneMatch(view::equals)) {
            throw new OutpostException("there is no view " + view + " in the configuration (views: "
                    + settings.views().stream().map(ViewDefinition::name).toList() + ")");
        }
        try (RegionStore store = RegionStore.open(settings.region().store(), "rebuild " + settings.region().name(), 2)) {
            Optional<ExclusiveLock.Held> lock;
            try {
                lock = StoreLock.of(settings.region().store(), settings.source(), "the region store at " + store.description())
                        .tryAcquire();
            } catch (SQLException e) {
                throw new OutpostException.Retriable("cannot reach the region store at " + store.description() + ": "
                        + e.getMessage(), e);
            }
            try {
                return lock.isPresent() ? locally(settings, store, view, listener) : byProjector(store, view, listener, timeout);
            } catch (SQLException e) {
                throw new OutpostException("the rebuild of view " + view + " failed: " + e.getMessage(), e);
            } finally {
                lock.ifPresent(ExclusiveLock.Held::close);
            }
        }
    }

    private static long locally(ProjectorSettings settings, RegionStore store, String view, Consumer<Progress> listener)
            throws SQLException {
        try (Connection c = store.connect()) {
            c.setAutoCommit(false);
            try (Statement s = c.createStatement()) {
                s.execute("SET search_path = " + StoreLayout.quote(StoreLayout.replicaSchema(settings.source())) + ", public");
            }
            store.migrate(c);
            Map<String, TableSchema> schemas = ReplicaTables.applied(c, settings.source());
            SourcePosition position = RegionStore.watermark(c, settings.source()).map(Watermark::position)
                    .orElse(SourcePosition.ZERO);
            long[] written = {0};
            new ViewMaintainer(settings.region().name(), settings.source(), settings.views(),
                    settings.projector().onViewError())
                    .rebuild(c, view, schemas, position, (done, total) -> {
                        written[0] = done;
                        listener.accept(new Progress("RUNNING", done, total));
                    });
            c.commit();
            listener.accept(new Progress("DONE", written[0], written[0]));
            return written[0];
        }
    }

    private static long byProjector(RegionStore store, String view, Consumer<Progress> listener, Duration timeout)
            throws SQLException {
        long id;
        try (Connection c = store.connect()) {
            c.setAutoCommit(true);
            store.migrate(c);
            id = Rebuilds.request(c, view);
        }
        long deadline = System.nanoTime() + timeout.toNanos();
        while (true) {
            Rebuilds.Request request;
            try (Connection c = store.connect()) {
                c.setAutoCommit(true);
                request = Rebuilds.get(c, id).orElseThrow();
            }
            listener.accept(new Progress(request.state().name(), request.written(), request.total()));
            switch (request.state()) {
                case DONE -> {
                    return request.written();
                }
                case FAILED -> throw new OutpostException("the region's projector could not rebuild view " + view + ": "
                        + request.detail());
                default -> {
                    if (System.nanoTime() > deadline) {
                        throw new OutpostException("the region's projector did not finish the rebuild of view " + view
                                + " within " + timeout.toSeconds() + " s (request " + id + " in outpost_rebuilds is "
                                + request.state() + "; it goes on in the background)");
                    }
                }
            }
            try {
                Thread.sleep(200);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new OutpostException("interrupted while waiting for the rebuild of view " + view, e);
            }
        }
    }
}

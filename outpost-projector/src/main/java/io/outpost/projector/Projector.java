package io.outpost.projector;

import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.outpost.core.OutpostException;
import io.outpost.core.SourcePosition;
import io.outpost.core.Ticker;
import io.outpost.core.change.TableSchema;
import io.outpost.log.ChangeLogReader;
import io.outpost.log.ReadAhead;
import io.outpost.projector.internal.Applier;
import io.outpost.projector.internal.ProjectorMeters;
import io.outpost.projector.internal.RecomputeFailed;
import io.outpost.projector.internal.StoreLock;
import io.outpost.projector.internal.ViewFailure;
import io.outpost.projector.internal.ViewMaintainer;
import io.outpost.runtime.Meters;
import io.outpost.runtime.Supervisor;
import io.outpost.store.Rebuilds;
import io.outpost.store.RegionStore;
import io.outpost.store.ReplicaTables;
import io.outpost.store.StoreLayout;
import io.outpost.store.Watermark;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Applies a source's change log to one region's store, keeping its replicas and views a
 * transaction-consistent prefix of the source.
 *
 * <p>Life of a projector, under a {@link Supervisor}: take the store's advisory lock (a standby
 * waits there and takes over when the active one dies); create or migrate the bookkeeping, check
 * and (re)build the views; read the log from the offset after the watermark and apply it (see
 * {@link Applier}). An unreachable store or broker is retried with backoff (1 s doubling to 30 s),
 * one log line per attempt. A view that fails for a key stops the projector for good (state
 * {@link Supervisor.State#FAILED}), naming the view, the key and the position, unless the
 * configuration says to record such failures and go on. An invalid view definition is refused by
 * {@link #start}.
 */
public final class Projector implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(Projector.class);

    /**
     * What a projector has done.
     *
     * @param watermark    the position its store has applied up to
     * @param commitTime   when the transaction at the watermark committed at the source (null before any)
     * @param transactions source transactions, fences and heartbeats applied since start
     * @param rows         row changes applied since start
     * @param problem      why it is retrying or failed; null otherwise
     */
    public record Status(Supervisor.State state, SourcePosition watermark, Instant commitTime, long transactions, long rows,
                         String problem) {
    }

    private final ProjectorSettings settings;
    private final RegionStore store;
    private final InstantSource clock;
    private final Ticker ticker;
    private final Supervisor supervisor;
    private final AtomicReference<SourcePosition> watermark = new AtomicReference<>(SourcePosition.ZERO);
    private final AtomicReference<Instant> commitTime = new AtomicReference<>();
    private final AtomicLong transactions = new AtomicLong();
    private final AtomicLong rows = new AtomicLong();
    private final Meters meters;
    private final ProjectorMeters figures;

    private Projector(ProjectorSettings settings, InstantSource clock, Supervisor.Timing timing, MeterRegistry registry) {
        this.settings = settings;
        this.clock = clock;
        this.ticker = timing.monotonic();
        String region = settings.region().name();
        this.meters = Meters.of(registry, "region", region);
        this.figures = new ProjectorMeters(meters, settings.source());
        this.store = RegionStore.open(settings.region().store(), "projector " + region, 2);
        try {
            checkViews();
        } catch (OutpostException.Retriable e) {
            LOG.warn("projector of region {} cannot reach its store yet ({}); it will keep trying", region, e.getMessage());
        } catch (RuntimeException e) {
            store.close();
            throw e;
        }
        this.supervisor = Supervisor.start(Supervisor.Settings.of("projector of region " + region), timing,
                StoreLock.of(settings.region().store(), settings.source(), "the region store at " + store.description()),
                this::project, "outpost-projector-" + region);
        supervisor.register(meters, "outpost.projector", "projector");
        meters.counted("outpost.projector.transactions", "Source transactions, fences and heartbeats applied since start",
                this, p -> p.transactions.get());
        meters.counted("outpost.projector.rows", "Row changes applied since start", this, p -> p.rows.get());
        meters.gauge("outpost.projector.watermark.lag", "Now minus the source commit time of the store's watermark (NaN "
                + "before anything is applied)", "seconds", this, p -> {
                    Instant at = p.commitTime.get();
                    return at == null ? Double.NaN : Math.max(0, p.clock.millis() - at.toEpochMilli()) / 1000.0;
                });
    }

    /**
     * Starts projecting in the background. When the store is reachable, the views are checked
     * first, and an invalid one is refused here.
     *
     * @throws OutpostException naming the view and the reason when a view definition is invalid
     */
    public static Projector start(ProjectorSettings settings) {
        return start(settings, new SimpleMeterRegistry());
    }

    /**
     * The same, with its metrics in {@code registry} (the process's), tagged with the region:
     * {@code outpost_projector_*} and the polled and applied stages of {@code outpost_freshness_*}.
     */
    public static Projector start(ProjectorSettings settings, MeterRegistry registry) {
        return start(settings, InstantSource.system(), Supervisor.Timing.system(), registry);
    }

    /** The same, with the time it keeps: the clock stamps {@code applied_at}, the timing paces retries and batches. */
    static Projector start(ProjectorSettings settings, InstantSource clock, Supervisor.Timing timing) {
        return start(settings, clock, timing, new SimpleMeterRegistry());
    }

    static Projector start(ProjectorSettings settings, InstantSource clock, Supervisor.Timing timing, MeterRegistry registry) {
        return new Projector(settings, clock, timing, registry);
    }

    /** Validates the views whose tables exist, in a transaction rolled back afterwards. */
    private void checkViews() {
        try (Connection c = store.connect()) {
            c.setAutoCommit(false);
            try {
                prepareSession(c);
                store.migrate(c);
                Map<String, TableSchema> schemas = ReplicaTables.applied(c, settings.source());
                // only checked here: building a changed view is the supervisor's, once
                views().check(c, schemas);
            } finally {
                c.rollback();
            }
        } catch (SQLException e) {
            throw new OutpostException.Retriable("cannot check the views in the store at " + store.description() + ": "
                    + e.getMessage(), e);
        }
    }

    private ViewMaintainer views() {
        return new ViewMaintainer(settings.region().name(), settings.source(), settings.views(),
                settings.projector().onViewError());
    }

    private void prepareSession(Connection c) throws SQLException {
        try (Statement s = c.createStatement()) {
            s.execute("SET search_path = " + StoreLayout.quote(StoreLayout.replicaSchema(settings.source())) + ", public");
            // the same few statements run for every batch: plan them once (see docs/decisions.md)
            s.execute("SET plan_cache_mode = force_generic_plan");
        }
    }

    public Status status() {
        Supervisor.Status supervised = supervisor.status();
        return new Status(supervised.state(), watermark.get(), commitTime.get(), transactions.get(), rows.get(),
                supervised.problem());
    }

    /** The region this projector serves. */
    public String region() {
        return settings.region().name();
    }

    /**
     * One run under the lock. A batch whose statements failed together (a {@link RecomputeFailed})
     * is applied again at once, step by step, to name what fails; anything else goes to the
     * supervisor, which stops for a {@link ViewFailure} and retries the rest.
     */
    private void project(Supervisor.Run run) throws SQLException {
        boolean careful = false;
        while (!run.closing()) {
            try {
                apply(run, careful);
                return;
            } catch (RecomputeFailed e) {
                LOG.info("projector of region {}: {}", settings.region().name(), e.getMessage());
                careful = true;
            }
        }
    }

    /** Applies the log until something fails, the lock is lost, or the projector closes. */
    private void apply(Supervisor.Run run, boolean careful) throws SQLException {
        try (Connection c = store.connect()) {
            c.setAutoCommit(false);
            prepareSession(c);
            store.migrate(c);
            Map<String, TableSchema> schemas = ReplicaTables.applied(c, settings.source());
            Optional<Watermark> stored = RegionStore.watermark(c, settings.source());
            ViewMaintainer views = views();
            views.prepare(c, schemas, stored.map(Watermark::position).orElse(SourcePosition.ZERO));
            c.commit();
            stored.ifPresent(w -> {
                watermark.set(w.position());
                commitTime.set(w.commitTime());
            });
            Applier applier = new Applier(c, settings.source(), settings.projector(), views, schemas,
                    stored.orElse(null), clock, ticker, careful, figures);
            long offset = stored.map(Watermark::logOffset).orElse(0L);
            try (ReadAhead reader = ReadAhead.openAt(settings.region().log(), settings.changesTopic(), offset,
                    "outpost-projector-" + settings.region().name() + "-log")) {
                run.running();
                LOG.info("projector of region {} applies {} from offset {} (watermark {})", settings.region().name(),
                        settings.changesTopic(), offset, applier.committed());
                long lockCheckedAt = ticker.read();
                while (!run.closing()) {
                    List<ChangeLogReader.Entry> entries;
                    try {
                        entries = reader.poll(applier.hasBatch() ? Duration.ZERO : Duration.ofMillis(200));
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                        break;
                    }
                    for (ChangeLogReader.Entry entry : entries) {
                        applier.accept(entry);
                    }
                    // fewer records than a poll can return, and none read ahead: nothing more is waiting, commit now
                    applier.commitIfDue(entries.size() < ChangeLogReader.MAX_POLL_RECORDS && !reader.hasBacklog());
                    watermark.set(applier.committed());
                    commitTime.set(applier.committedTime());
                    transactions.set(applier.transactionsApplied());
                    rows.set(applier.rowsApplied());
                    if (ticker.read() - lockCheckedAt > TimeUnit.MILLISECONDS.toNanos(500)) {
                        if (!run.lockHeld()) {
                            throw new OutpostException.Retriable("lost the store's advisory lock (its session ended)");
                        }
                        if (!applier.hasBatch() && !applier.dirty()) {
                            rebuildRequested(c, views, applier);
                        }
                        lockCheckedAt = ticker.read();
                    }
                }
            } finally {
                if (!c.isClosed()) {
                    c.rollback();
                }
            }
        }
    }

    /**
     * Carries out the oldest rebuild request, between two batches: the view is built from the
     * replicas at the watermark, in this projector's session, and swapped in when complete.
     */
    private void rebuildRequested(Connection c, ViewMaintainer views, Applier applier) throws SQLException {
        Optional<Rebuilds.Request> next = Rebuilds.next(c);
        c.commit();
        if (next.isEmpty()) {
            return;
        }
        Rebuilds.Request request = next.get();
        try (Connection progress = store.connect()) {
            progress.setAutoCommit(true);
            Rebuilds.progress(progress, request.id(), Rebuilds.State.RUNNING, 0, null, null);
            LOG.info("projector of region {} rebuilds view {} at {} (request {})", settings.region().name(), request.view(),
                    applier.committed(), request.id());
            long[] last = {0, 0};
            try {
                views.rebuild(c, request.view(), applier.schemas(), applier.committed(), (written, total) -> {
                    last[0] = written;
                    last[1] = total;
                    Rebuilds.progress(progress, request.id(), Rebuilds.State.RUNNING, written, total, null);
                });
                c.commit();
                Rebuilds.progress(progress, request.id(), Rebuilds.State.DONE, last[0], last[1],
                        "built at " + applier.committed());
                LOG.info("projector of region {} rebuilt view {}: {} documents", settings.region().name(), request.view(), last[0]);
            } catch (OutpostException | SQLException e) {
                c.rollback();
                Rebuilds.progress(progress, request.id(), Rebuilds.State.FAILED, last[0], last[1], describe(e));
                LOG.warn("projector of region {} could not rebuild view {}: {}", settings.region().name(), request.view(),
                        describe(e));
            }
        }
    }

    private static String describe(Throwable e) {
        String message = e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
        return message.lines().findFirst().orElse(message);
    }

    /** Stops applying (an open batch is rolled back; it is applied again on the next start). */
    @Override
    public void close() {
        try {
            supervisor.close();
        } finally {
            store.close();
            meters.close();
        }
    }
}

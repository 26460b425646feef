package io.outpost.capture;

import io.debezium.embedded.Connect;
import io.debezium.engine.DebeziumEngine;
import io.debezium.engine.RecordChangeEvent;
import io.debezium.engine.format.ChangeEventFormat;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.outpost.capture.internal.CommitPolicy;
import io.outpost.capture.internal.EngineProperties;
import io.outpost.capture.internal.SlotLag;
import io.outpost.capture.internal.SourceConnections;
import io.outpost.capture.internal.TransactionAssembler;
import io.outpost.core.OutpostException;
import io.outpost.core.SourcePosition;
import io.outpost.log.ChangeLogReader;
import io.outpost.log.KafkaChangeLog;
import io.outpost.log.Topics;
import io.outpost.runtime.AdvisoryLock;
import io.outpost.runtime.Freshness;
import io.outpost.runtime.Meters;
import io.outpost.runtime.Supervisor;
import io.outpost.source.SourceChecks;
import io.outpost.source.SourceSchemas;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Duration;
import java.time.InstantSource;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.kafka.connect.source.SourceRecord;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Captures every committed transaction of one source into its change log, in commit order, and
 * keeps doing so across failures without an operator.
 *
 * <p>Life of a capture, under a {@link Supervisor}: take the source's advisory lock (a second
 * capture of the same source waits there, and takes over when the first dies); open the change log;
 * run Debezium's engine, whose {@link TransactionAssembler} publishes whole transactions; when
 * anything fails, the supervisor logs one line that says what and when the next attempt is, and
 * starts again with backoff (1 s doubling to 30 s). Misconfigurations found before the first start
 * are not retried: {@link #start} throws them, each with its fix.
 */
public final class Capture implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(Capture.class);

    /**
     * What a capture has done.
     *
     * @param attempts how many times it has started the engine
     * @param retries  how many failures it has retried
     * @param problem  why it is retrying; null otherwise
     */
    public record Status(Supervisor.State state, long transactions, long rows, SourcePosition lastPosition, long attempts,
                         long retries, String problem) {
    }

    private final CaptureSettings settings;
    private final Supervisor supervisor;
    private final AtomicReference<DebeziumEngine<RecordChangeEvent<SourceRecord>>> engine = new AtomicReference<>();
    private final AtomicReference<TransactionAssembler> assembler = new AtomicReference<>();
    private final AtomicLong transactionsBefore = new AtomicLong();
    private final AtomicLong rowsBefore = new AtomicLong();
    private final Meters meters;
    private final Freshness freshness;
    private final InstantSource wall;

    private Capture(CaptureSettings settings, Supervisor.Timing timing, MeterRegistry registry) {
        this.settings = settings;
        String name = settings.source().name();
        this.meters = Meters.of(registry, "source", name);
        this.freshness = Freshness.of(meters, "region", "");
        this.wall = timing.wall();
        AdvisoryLock lock = AdvisoryLock.of("outpost-capture:" + settings.source().slot(),
                "the source database at " + settings.source().url(),
                () -> SourceConnections.open(settings.source(), "capture lock"));
        this.supervisor = Supervisor.start(Supervisor.Settings.of("capture of source " + name), timing, lock,
                this::runEngine, "outpost-capture-" + name);
        supervisor.register(meters, "outpost.capture", "capture");
        meters.counted("outpost.capture.transactions", "Source transactions published, durable in the change log",
                this, c -> c.status().transactions());
        meters.counted("outpost.capture.rows", "Row changes published, durable in the change log", this, c -> c.status().rows());
        meters.gauge("outpost.capture.slot.lag", "How far the source's WAL is ahead of what capture confirmed to its "
                + "replication slot (read from the source at most every 5 s; NaN while it cannot be)", "bytes",
                new SlotLag(settings.source(), timing.monotonic()), SlotLag::bytes);
    }

    /**
     * Checks the source and starts capturing in the background.
     *
     * @throws OutpostException listing every misconfiguration of the source, each with its fix
     */
    public static Capture start(CaptureSettings settings) {
        return start(settings, new SimpleMeterRegistry());
    }

    /**
     * The same, with its metrics in {@code registry} (the process's), tagged with the source:
     * {@code outpost_capture_*} and the first stage of {@code outpost_freshness_*}.
     */
    public static Capture start(CaptureSettings settings, MeterRegistry registry) {
        List<String> problems = preflight(settings);
        if (!problems.isEmpty()) {
            throw new OutpostException("capture of source " + settings.source().name() + " cannot start:\n  - "
                    + String.join("\n  - ", problems));
        }
        return new Capture(settings, Supervisor.Timing.system(), registry);
    }

    /** Problems that need an operator; an unreachable source is not one (it is retried). */
    private static List<String> preflight(CaptureSettings settings) {
        try (Connection c = SourceConnections.open(settings.source(), "capture checks")) {
            return SourceChecks.problems(c, settings.source());
        } catch (SQLException e) {
            LOG.warn("capture of source {} cannot reach its database at {} yet ({}); it will keep trying",
                    settings.source().name(), settings.source().url(), e.getMessage());
            return List.of();
        }
    }

    /** The Debezium engine configuration a capture with these settings runs (for baselines and support). */
    public static Properties engineProperties(CaptureSettings settings) {
        return EngineProperties.of(settings);
    }

    public Status status() {
        TransactionAssembler current = assembler.get();
        long transactions = transactionsBefore.get() + (current == null ? 0 : current.transactions());
        long rows = rowsBefore.get() + (current == null ? 0 : current.rows());
        Supervisor.Status supervised = supervisor.status();
        return new Status(supervised.state(), transactions, rows,
                current == null ? SourcePosition.ZERO : current.lastPosition(), supervised.attempts(), supervised.retries(),
                supervised.problem());
    }

    /**
     * Runs one engine until it fails, the lock is lost, or the capture closes. Every failure is
     * retried: the engine's own (whatever its type), the change log's, and the source's.
     */
    private void runEngine(Supervisor.Run run) throws InterruptedException {
        String name = settings.source().name();
        KafkaChangeLog log;
        try {
            // Debezium's offsets: made here, compacted and replicated like the log, before Kafka
            // Connect would make it with the broker's defaults
            Topics.ensure(settings.kafka(), settings.offsetsTopic(), Map.of("cleanup.policy", "compact"), "capture's offsets");
            log = KafkaChangeLog.open(settings.kafka(), settings.changesTopic(), settings.retention());
        } catch (OutpostException e) {
            throw retriable(e);
        }
        try (log) {
            awaitSlotReleased(run);
            SourcePosition completeUpTo = ChangeLogReader.completeUpTo(settings.kafka(), settings.changesTopic());
            CommitPolicy commits = new CommitPolicy(Duration.ofSeconds(1));
            TransactionAssembler next = new TransactionAssembler(name, EngineProperties.topicPrefix(settings), log,
                    settings.memoryLimit(), settings.spillDirectory(), completeUpTo, commits, this::announceSchemas,
                    wall, freshness);
            TransactionAssembler previous = assembler.getAndSet(next);
            if (previous != null) {
                transactionsBefore.addAndGet(previous.transactions());
                rowsBefore.addAndGet(previous.rows());
            }
            CompletableFuture<Throwable> done = new CompletableFuture<>();
            DebeziumEngine<RecordChangeEvent<SourceRecord>> current = DebeziumEngine.create(ChangeEventFormat.of(Connect.class))
                    .using(EngineProperties.of(settings))
                    .notifying(next)
                    .using(commits)
                    .using((success, message, error) -> done.complete(success ? null
                            : error != null ? error : new IllegalStateException(message)))
                    .build();
            engine.set(current);
            run.running();
            Thread runner = new Thread(current, "outpost-capture-engine-" + name);
            runner.setDaemon(true);
            runner.start();
            LOG.info("capture of source {} running: {} → Kafka topic {}", name, settings.source().url(),
                    settings.changesTopic());
            try {
                Throwable failure = awaitEngine(run, done);
                if (failure != null) {
                    throw retriable(failure);
                }
            } finally {
                closeEngine(current);
            }
        } catch (RuntimeException e) {
            // anything unforeseen (Kafka gone while reading the log's end, say) is one more failure to retry
            throw retriable(e);
        }
    }

    /** Waits for the engine to end; its failure, or null when the capture closes. */
    private static Throwable awaitEngine(Supervisor.Run run, CompletableFuture<Throwable> done) throws InterruptedException {
        while (!run.closing()) {
            try {
                return done.get(5, TimeUnit.SECONDS);
            } catch (java.util.concurrent.TimeoutException stillRunning) {
                if (!run.lockHeld()) {
                    return new OutpostException.Retriable("lost the connection that holds the source's advisory lock");
                }
            } catch (java.util.concurrent.ExecutionException e) {
                return e.getCause();
            }
        }
        return null;
    }

    private static OutpostException.Retriable retriable(Throwable failure) {
        return failure instanceof OutpostException.Retriable retriable ? retriable
                : new OutpostException.Retriable(describe(failure), failure);
    }

    /**
     * Waits (up to 10 s) until no session streams from the replication slot. After a capture stops,
     * its walsender takes a moment to go; an engine started meanwhile finds the slot busy and
     * Debezium waits 10 s before trying again.
     */
    private void awaitSlotReleased(Supervisor.Run run) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        try (Connection c = SourceConnections.open(settings.source(), "capture slot check");
             var s = c.prepareStatement("SELECT active FROM pg_replication_slots WHERE slot_name = ?")) {
            s.setString(1, settings.source().slot());
            while (System.nanoTime() < deadline && !run.closing()) {
                try (var rs = s.executeQuery()) {
                    if (!rs.next() || !rs.getBoolean(1)) {
                        return;
                    }
                }
                run.sleep(Duration.ofMillis(100));
            }
        } catch (SQLException e) {
            // the engine's own start reports an unreachable source, with the retry that follows
        }
    }

    /** Writes the captured tables' shapes into the source's WAL; false (to try again later) when that fails. */
    private boolean announceSchemas() {
        try (Connection c = SourceConnections.open(settings.source(), "capture schemas")) {
            String at = SourceSchemas.announce(c, settings.source().tables());
            LOG.info("capture of source {} announced the shapes of {} at {}", settings.source().name(),
                    settings.source().tables(), at);
            return true;
        } catch (SQLException e) {
            LOG.warn("capture of source {} could not announce its tables' shapes ({}); it tries again at the next heartbeat",
                    settings.source().name(), e.getMessage());
            return false;
        }
    }

    /** One line on why the engine stopped, with the fix where the cause is known to need one. */
    static String describe(Throwable failure) {
        if (failure instanceof OutpostException outpost) {
            return outpost.getMessage(); // ours say what failed and where
        }
        Throwable root = failure;
        while (root.getCause() != null && root.getCause() != root) {
            root = root.getCause();
        }
        String message = root.getMessage() == null ? root.getClass().getSimpleName() : root.getMessage();
        String line = "the engine stopped: " + message.lines().findFirst().orElse(message);
        if (message.contains("all replication slots are in use")) {
            line += " (the source's max_replication_slots is reached: drop the slots nothing uses any more "
                    + "with pg_drop_replication_slot, or raise max_replication_slots and restart PostgreSQL)";
        }
        return line;
    }

    /** Closes the engine, waiting at most 15 s (a broker that is gone can hold Debezium's close for minutes). */
    private static void closeEngine(DebeziumEngine<RecordChangeEvent<SourceRecord>> current) {
        Thread closer = new Thread(() -> {
            try {
                current.close();
            } catch (Exception e) {
                LOG.debug("closing the engine: {}", e.toString());
            }
        }, "outpost-capture-engine-close");
        closer.setDaemon(true);
        closer.start();
        try {
            closer.join(Duration.ofSeconds(15));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        if (closer.isAlive()) {
            LOG.warn("Debezium's engine did not stop within 15 s; capture goes on stopping without it "
                    + "(what it had not acknowledged is published again by the next capture)");
        }
    }

    /** Stops the engine (flushing what was published) and waits for the supervisor to end. */
    @Override
    public void close() {
        supervisor.requestStop();
        DebeziumEngine<RecordChangeEvent<SourceRecord>> current = engine.get();
        if (current != null) {
            closeEngine(current);
        }
        supervisor.close();
        meters.close();
    }
}

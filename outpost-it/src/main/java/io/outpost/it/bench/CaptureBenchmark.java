package io.outpost.it.bench;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import io.outpost.capture.Capture;
import io.outpost.capture.CaptureSettings;
import io.outpost.core.change.RowChange;
import io.outpost.core.config.OutpostConfig;
import io.outpost.embedded.EmbeddedKafka;
import io.outpost.embedded.EmbeddedPostgres;
import io.outpost.log.ChangeLogReader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongSupplier;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * Capture's two figures, each beside the bare Debezium engine (same connector settings, no Kafka,
 * no mapping: a consumer that only counts) measured in the same run on the same database server:
 * <ol>
 *   <li>bulk throughput: with each side's engine running, bursts of {@code rows} rows in transactions
 *       of {@code txSize} committed at once (see {@link #bulkRound}), rows/s from the first row published
 *       to the last; the median of the measured rounds, after warm-up rounds;</li>
 *   <li>latency at {@code rate} single-row transactions a second: from the commit (as the writing
 *       client sees it) to the row being readable from the change log (Outpost) or handed to the
 *       consumer (bare engine). Writer and reader share one clock (this JVM's nanoTime).</li>
 * </ol>
 */
@Command(name = "capture", mixinStandardHelpOptions = true,
        description = "Capture throughput and commit → published latency, beside the bare Debezium engine.")
final class CaptureBenchmark implements Callable<Integer> {

    @Option(names = "--rows", defaultValue = "100000", description = "Rows of the bulk phase (default: ${DEFAULT-VALUE}).")
    int rows;

    @Option(names = "--warm-up-rounds", defaultValue = "4",
            description = "Bulk rounds run before the measured ones and reported apart (default: ${DEFAULT-VALUE}): in a "
                    + "fresh JVM the JIT compiler works on the broker's and the Kafka clients' code for longer than on the "
                    + "bare engine's, and a capture runs for days.")
    int warmUpRounds;

    @Option(names = "--rounds", defaultValue = "5",
            description = "Measured bulk rounds after the warm-up rounds; the report gives the median (default: ${DEFAULT-VALUE}).")
    int rounds;

    @Option(names = "--tx-size", defaultValue = "1000", description = "Rows per bulk transaction (default: ${DEFAULT-VALUE}).")
    int txSize;

    @Option(names = "--rate", defaultValue = "200", description = "Transactions a second in the latency phase (default: ${DEFAULT-VALUE}).")
    int rate;

    @Option(names = "--latency-transactions", defaultValue = "2000",
            description = "Measured transactions of the latency phase (default: ${DEFAULT-VALUE}).")
    int latencyTransactions;

    @Option(names = "--latency-warm-up", defaultValue = "1000",
            description = "Transactions written before the measured ones of the latency phase, on each side "
                    + "(default: ${DEFAULT-VALUE}): the bulk rounds warm up other code paths than single-row "
                    + "transactions take (the producer's and the broker's for small requests, the reader's fetches).")
    int latencyWarmUp;

    @Option(names = "--out", defaultValue = "target/bench/capture.json", description = "Where the JSON report goes (default: ${DEFAULT-VALUE}).")
    Path out;

    private EmbeddedPostgres postgres;
    private EmbeddedKafka kafka;

    @Override
    public Integer call() throws Exception {
        if (rounds < 1 || warmUpRounds < 0) {
            throw new picocli.CommandLine.ParameterException(new picocli.CommandLine(this),
                    "--rounds must be at least 1 and --warm-up-rounds at least 0 (they were " + rounds + " and "
                            + warmUpRounds + ")");
        }
        if (latencyTransactions < 100 || latencyWarmUp < 0 || rate < 1) {
            throw new picocli.CommandLine.ParameterException(new picocli.CommandLine(this),
                    "--latency-transactions must be at least 100, --latency-warm-up at least 0 and --rate at least 1 "
                            + "(they were " + latencyTransactions + ", " + latencyWarmUp + " and " + rate + ")");
        }
        Files.createDirectories(out.toAbsolutePath().getParent());
        System.out.println("capture benchmark: starting embedded PostgreSQL and Kafka…");
        try (EmbeddedPostgres pg = EmbeddedPostgres.start(); EmbeddedKafka broker = EmbeddedKafka.start()) {
            postgres = pg;
            kafka = broker;
            System.out.printf("bulk: %d warm-up and %d measured rounds of %,d rows in transactions of %,d "
                    + "(Outpost and bare Debezium taking turns to go first)%n", warmUpRounds, rounds, rows, txSize);
            List<Double> outpostRounds = new ArrayList<>();
            List<Double> bareRounds = new ArrayList<>();
            for (int round = 1 - warmUpRounds; round <= rounds; round++) {
                String name = round <= 0 ? "warmup" + (round + warmUpRounds) : "r" + round;
                boolean outpostFirst = round % 2 == 0;
                double outpostRate = outpostFirst ? bulkRound("outpost", name) : 0;
                double bareRate = bulkRound("bare", name);
                if (!outpostFirst) {
                    outpostRate = bulkRound("outpost", name);
                }
                System.out.printf("bulk %-8s Outpost %,8.0f rows/s   bare Debezium %,8.0f rows/s   ratio %.2f%n",
                        name, outpostRate, bareRate, outpostRate / bareRate);
                if (round > 0) {
                    outpostRounds.add(outpostRate);
                    bareRounds.add(bareRate);
                }
            }
            System.out.printf("latency: %,d single-row transactions at %d/s after %,d to warm up, Outpost…%n",
                    latencyTransactions, rate, latencyWarmUp);
            Latencies outpostLatency = outpostLatency();
            System.out.println("latency: bare Debezium…");
            Latencies bareLatency = bareLatency();
            report(outpostRounds, bareRounds, outpostLatency, bareLatency);
        }
        return 0;
    }

    // ---- Outpost ------------------------------------------------------------------------------

    private CaptureSettings settings(String name, String url) {
        String yaml = """
                source: { name: %s, url: "%s", user: postgres, tables: [bench] }
                log: { bootstrap-servers: "%s" }
                monolith: { url: "http://localhost:8080" }
                regions: { bench: { monolith-route: true, store: { url: "jdbc:postgresql://x/y", user: u }, gateway: { url: "http://localhost:7001" } } }
                auth: { mode: none }
                """.formatted(name, url, kafka.bootstrapServers());
        return CaptureSettings.of(OutpostConfig.parse(yaml, n -> null));
    }

    private String database(String name) throws Exception {
        String url = postgres.createDatabase(name);
        try (Connection c = DriverManager.getConnection(url); Statement s = c.createStatement()) {
            s.execute("CREATE TABLE IF NOT EXISTS bench (id bigint PRIMARY KEY, n int NOT NULL, payload text NOT NULL)");
        }
        return url;
    }

    /** A side's engine, running on its own database, and how many rows of the bench table it has published. */
    private record Running(AutoCloseable engine, LongSupplier published) {
    }

    /**
     * One bulk round of one side, alone on the machine: a fresh database and replication slot, the
     * side's engine started and streaming, then a burst (timed from its first row published to its
     * last), then the engine stopped and the database dropped. Only one engine runs at a time: an
     * idle Debezium engine is not idle (its queue's poll loop wakes every poll interval, and
     * spins in the last millisecond of each), and the other side's would take CPU from the side
     * measured, more from the one that needs more of it. Engines start afresh each round, but in the same
     * JVM, so the warm-up rounds leave the compiled code of both in place.
     *
     * <p>The burst: {@code rows} rows written as open transactions of {@code txSize} rows, one per
     * connection; once the slot's sender has read them from the WAL, all are committed at once, as
     * from a bulk job on the monolith.
     */
    private double bulkRound(String side, String round) throws Exception {
        String name = "bench_" + side + "_" + round;
        String url = database(name);
        CaptureSettings settings = settings(name, url);
        List<Connection> writers = new ArrayList<>();
        try {
            for (int i = 0; i < rows; i += txSize) {
                Connection c = DriverManager.getConnection(url);
                c.setAutoCommit(false);
                writers.add(c);
            }
            Running running = side.equals("outpost") ? outpostEngine(settings) : bareEngine(settings);
            try {
                return burst(writers, running.published(), settings.source().slot());
            } finally {
                running.engine().close();
            }
        } finally {
            for (Connection writer : writers) {
                writer.close();
            }
            drop(name, settings.source().slot());
        }
    }

    private double burst(List<Connection> writers, LongSupplier published, String slot) throws Exception {
        long before = published.getAsLong();
        long nextId = 0;
        for (Connection writer : writers) {
            try (PreparedStatement s = writer.prepareStatement("INSERT INTO bench SELECT g, g % 1000, md5(g::text) "
                    + "FROM generate_series(?::bigint, ?::bigint) g")) {
                s.setLong(1, nextId);
                s.setLong(2, nextId + txSize - 1);
                s.executeUpdate();
            }
            nextId += txSize;
        }
        awaitDecoded(slot);
        for (Connection writer : writers) {
            writer.commit();
        }
        long expected = before + (long) writers.size() * txSize;
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(300);
        long first;
        while ((first = published.getAsLong()) == before) {
            java.util.concurrent.locks.LockSupport.parkNanos(100_000);
            check(deadline, published, before, expected);
        }
        long started = System.nanoTime();
        while (published.getAsLong() < expected) {
            Thread.sleep(1);
            check(deadline, published, before, expected);
        }
        return (expected - first) / ((System.nanoTime() - started) / 1e9);
    }

    /**
     * Waits until the slot's sender has decoded the WAL written so far (its {@code sent_lsn} is
     * where its reading has got to, also for transactions still open), so that the burst's
     * timing does not include a variable part of PostgreSQL's decoding of the open transactions.
     */
    private void awaitDecoded(String slot) throws Exception {
        try (Connection c = postgres.connect("postgres"); Statement s = c.createStatement()) {
            String written;
            try (var rs = s.executeQuery("SELECT pg_current_wal_lsn()")) {
                rs.next();
                written = rs.getString(1);
            }
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
            while (true) {
                try (var rs = s.executeQuery("SELECT r.sent_lsn >= '" + written + "'::pg_lsn FROM pg_stat_replication r "
                        + "JOIN pg_replication_slots s ON s.active_pid = r.pid WHERE s.slot_name = '" + slot + "'")) {
                    if (rs.next() && rs.getBoolean(1)) {
                        return;
                    }
                }
                if (System.nanoTime() > deadline) {
                    throw new IllegalStateException("the sender of slot " + slot + " did not read the WAL up to " + written
                            + " within 60 s");
                }
                Thread.sleep(10);
            }
        }
    }

    private static void check(long deadline, LongSupplier published, long before, long expected) {
        if (System.nanoTime() > deadline) {
            throw new IllegalStateException("only " + (published.getAsLong() - before) + " of " + (expected - before)
                    + " rows arrived within 300 s");
        }
    }

    /** Drops a round's database and its replication slot (once the stopped engine's sender is gone). */
    private void drop(String database, String slot) throws Exception {
        try (Connection c = postgres.connect("postgres"); Statement s = c.createStatement()) {
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            while (true) {
                try (var rs = s.executeQuery("SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots "
                        + "WHERE slot_name = '" + slot + "'")) {
                    while (rs.next()) {
                        // dropped
                    }
                    break;
                } catch (java.sql.SQLException e) {
                    if (!"55006".equals(e.getSQLState()) || System.nanoTime() > deadline) { // object in use
                        throw e;
                    }
                    Thread.sleep(50);
                }
            }
            s.execute("DROP DATABASE IF EXISTS " + database + " WITH (FORCE)");
        }
    }

    private Running outpostEngine(CaptureSettings settings) throws Exception {
        Capture capture = Capture.start(settings);
        awaitStreaming(capture);
        return new Running(capture, () -> capture.status().rows());
    }

    private Running bareEngine(CaptureSettings settings) throws Exception {
        AtomicBoolean streaming = new AtomicBoolean();
        AtomicLong count = new AtomicLong();
        var engine = BareDebezium.start(BareDebezium.properties(settings, "initial"), id -> count.incrementAndGet(), streaming);
        awaitTrue(streaming);
        return new Running(engine, count::get);
    }

    private Latencies outpostLatency() throws Exception {
        String url = database("bench_outpost_latency");
        CaptureSettings settings = settings("bench_outpost_latency", url);
        Map<Long, Long> committed = new ConcurrentHashMap<>();
        Latencies latencies = new Latencies();
        int warmUp = latencyWarmUp;
        try (Capture capture = Capture.start(settings)) {
            awaitStreaming(capture);
            AtomicBoolean done = new AtomicBoolean();
            AtomicLong seen = new AtomicLong();
            Thread reader = new Thread(() -> {
                try (ChangeLogReader log = ChangeLogReader.open(settings.kafka(), settings.changesTopic(), false)) {
                    while (!done.get()) {
                        for (ChangeLogReader.Entry entry : log.poll(Duration.ofMillis(100))) {
                            long now = System.nanoTime();
                            if (entry.record() instanceof RowChange row) {
                                long id = (Long) row.key().get("id");
                                Long at = committed.get(id);
                                if (at != null && id >= warmUp) {
                                    latencies.recordNanos(now - at);
                                }
                                seen.incrementAndGet();
                            }
                        }
                    }
                }
            }, "bench-reader");
            reader.start();
            Thread.sleep(500); // the reader is at the log's end before the first write
            writePaced(url, committed::put);
            awaitCount(seen, latencyWarmUp + latencyTransactions);
            done.set(true);
            reader.join();
        }
        return latencies;
    }

    @SuppressWarnings("try") // the running engine is the resource: it lives for the block
    private Latencies bareLatency() throws Exception {
        String url = database("bench_bare_latency");
        CaptureSettings settings = settings("bench_bare_latency", url);
        Map<Long, Long> committed = new ConcurrentHashMap<>();
        Latencies latencies = new Latencies();
        int warmUp = latencyWarmUp;
        AtomicLong seen = new AtomicLong();
        AtomicBoolean streaming = new AtomicBoolean();
        try (var engine = BareDebezium.start(BareDebezium.properties(settings, "initial"), id -> {
            long now = System.nanoTime();
            Long at = committed.get(id);
            if (at != null && id >= warmUp) {
                latencies.recordNanos(now - at);
            }
            seen.incrementAndGet();
        }, streaming)) {
            awaitTrue(streaming);
            writePaced(url, committed::put);
            awaitCount(seen, latencyWarmUp + latencyTransactions);
        }
        return latencies;
    }

    // ---- load ---------------------------------------------------------------------------------

    /** Single-row transactions at {@code rate} a second; records each commit's time by id. */
    private void writePaced(String url, java.util.function.BiConsumer<Long, Long> committed) throws Exception {
        long interval = TimeUnit.SECONDS.toNanos(1) / rate;
        try (Connection c = DriverManager.getConnection(url);
             PreparedStatement s = c.prepareStatement("INSERT INTO bench VALUES (?, 1, 'x')")) {
            long start = System.nanoTime();
            for (long i = 0; i < latencyWarmUp + latencyTransactions; i++) {
                long due = start + i * interval;
                Pacing.awaitDue(due);
                s.setLong(1, i);
                s.executeUpdate();
                committed.accept(i, System.nanoTime());
            }
        }
    }

    // ---- waiting and reporting ----------------------------------------------------------------

    private static void awaitStreaming(Capture capture) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (capture.status().lastPosition().lsn() == 0) {
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException("capture did not start streaming within 60 s");
            }
            Thread.sleep(20);
        }
    }

    private static void awaitTrue(AtomicBoolean flag) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (!flag.get()) {
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException("the bare engine did not start streaming within 60 s");
            }
            Thread.sleep(20);
        }
    }

    private static void awaitCount(AtomicLong counter, long expected) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(300);
        while (counter.get() < expected) {
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException("only " + counter.get() + " of " + expected + " rows arrived within 300 s");
            }
            Thread.sleep(1);
        }
    }

    private void report(List<Double> outpostRounds, List<Double> bareRounds, Latencies outpost, Latencies bare)
            throws Exception {
        double outpostBulk = Latencies.median(outpostRounds);
        double bareBulk = Latencies.median(bareRounds);
        double ratio = outpostBulk / bareBulk;
        boolean throughputMet = outpostBulk >= 15_000 && ratio >= 0.9;
        boolean latencyMet = outpost.p50() <= 15 && outpost.p99() <= 40;
        System.out.println();
        System.out.println("Capture benchmark — " + Runtime.getRuntime().availableProcessors() + " cores, PostgreSQL 17, "
                + "Kafka 4.3.1, Debezium 3.6.1");
        System.out.printf("%-34s %12s %15s %8s   %s%n", "", "Outpost", "bare Debezium", "ratio", "target");
        System.out.printf("%-34s %,12.0f %,15.0f %8.2f   %s%n", "bulk throughput, rows/s (median)", outpostBulk, bareBulk, ratio,
                "≥ 15,000 and ≥ 0.90× bare " + (throughputMet ? "(met)" : "(NOT met)"));
        System.out.printf("%-34s %12.2f %15.2f %8.2f   %s%n", "commit → published p50, ms", outpost.p50(), bare.p50(),
                outpost.p50() / bare.p50(), "≤ 15 " + (outpost.p50() <= 15 ? "(met)" : "(NOT met)"));
        System.out.printf("%-34s %12.2f %15.2f %8.2f   %s%n", "commit → published p99, ms", outpost.p99(), bare.p99(),
                outpost.p99() / bare.p99(), "≤ 40 " + (outpost.p99() <= 40 ? "(met)" : "(NOT met)"));
        System.out.printf("%-34s %12.2f %15.2f %8.2f%n", "commit → published max, ms", outpost.max(), bare.max(),
                outpost.max() / bare.max());
        System.out.printf("(latency: %,d transactions at %d/s after %,d warm-up; Outpost = readable from the change log, "
                + "bare = handed to the consumer)%n", outpost.count(), rate, latencyWarmUp);

        Map<String, Object> json = new LinkedHashMap<>();
        json.put("benchmark", "capture");
        json.put("cores", Runtime.getRuntime().availableProcessors());
        json.put("bulk", Map.of("rows", rows, "transaction_size", txSize,
                "rounds", rounds, "warm_up_rounds", warmUpRounds, "outpost_rows_per_s", Math.round(outpostBulk),
                "bare_debezium_rows_per_s", Math.round(bareBulk), "ratio", Latencies.round(ratio),
                "outpost_rounds_rows_per_s", outpostRounds.stream().map(Math::round).toList(),
                "bare_debezium_rounds_rows_per_s", bareRounds.stream().map(Math::round).toList()));
        json.put("latency", Map.of("rate_per_s", rate, "transactions", latencyTransactions, "warm_up_transactions", latencyWarmUp,
                "outpost", outpost.json(), "bare_debezium", bare.json()));
        json.put("targets", Map.of("throughput_met", throughputMet, "latency_met", latencyMet));
        new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT).writeValue(out.toFile(), json);
        System.out.println("report written to " + out.toAbsolutePath());
    }
}

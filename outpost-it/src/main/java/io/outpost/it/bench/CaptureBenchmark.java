package io.outpost.it.bench;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import io.debezium.embedded.Connect;
import io.debezium.engine.DebeziumEngine;
import io.debezium.engine.RecordChangeEvent;
import io.debezium.engine.format.ChangeEventFormat;
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
import java.util.Properties;
import java.util.concurrent.Callable;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongConsumer;
import org.apache.kafka.connect.data.Struct;
import org.apache.kafka.connect.source.SourceRecord;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * Capture's two figures, each beside the bare Debezium engine (same connector settings, no Kafka,
 * no mapping: a consumer that only counts) measured in the same run on the same database server:
 * <ol>
 *   <li>bulk throughput: {@code rows} rows committed in transactions of {@code txSize} while capture
 *       was stopped, then read back from the retained WAL, rows/s from the first published to the last;</li>
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

    @Option(names = "--warm-up-rows", defaultValue = "500000",
            description = "Rows of the bulk warm-up round, for each of the two (default: ${DEFAULT-VALUE}): the JIT compiler "
                    + "is busy with the broker's and the clients' code for longer than with the bare engine's.")
    int warmUpRows;

    @Option(names = "--rounds", defaultValue = "3",
            description = "Measured bulk rounds after the warm-up round; the report gives the median (default: ${DEFAULT-VALUE}).")
    int rounds;

    @Option(names = "--tx-size", defaultValue = "1000", description = "Rows per bulk transaction (default: ${DEFAULT-VALUE}).")
    int txSize;

    @Option(names = "--rate", defaultValue = "200", description = "Transactions a second in the latency phase (default: ${DEFAULT-VALUE}).")
    int rate;

    @Option(names = "--latency-transactions", defaultValue = "2000",
            description = "Transactions of the latency phase, the first 10% being warm-up (default: ${DEFAULT-VALUE}).")
    int latencyTransactions;

    @Option(names = "--out", defaultValue = "target/bench/capture.json", description = "Where the JSON report goes (default: ${DEFAULT-VALUE}).")
    Path out;

    private EmbeddedPostgres postgres;
    private EmbeddedKafka kafka;

    @Override
    public Integer call() throws Exception {
        if (rounds < 1) {
            throw new picocli.CommandLine.ParameterException(new picocli.CommandLine(this),
                    "--rounds must be at least 1 (it was " + rounds + ")");
        }
        Files.createDirectories(out.toAbsolutePath().getParent());
        System.out.println("capture benchmark: starting embedded PostgreSQL and Kafka…");
        try (EmbeddedPostgres pg = EmbeddedPostgres.start(); EmbeddedKafka broker = EmbeddedKafka.start()) {
            postgres = pg;
            kafka = broker;
            System.out.printf("bulk: a warm-up round of %,d rows, then %d measured rounds of %,d rows, in transactions "
                    + "of %,d (Outpost and bare Debezium taking turns to go first)%n", warmUpRows, rounds, rows, txSize);
            List<Double> outpostRounds = new ArrayList<>();
            List<Double> bareRounds = new ArrayList<>();
            for (int round = 0; round <= rounds; round++) {
                String name = round == 0 ? "warmup" : "r" + round;
                int roundRows = round == 0 ? warmUpRows : rows;
                boolean outpostFirst = round % 2 == 0;
                double outpost = outpostFirst ? outpostBulk(name, roundRows) : 0;
                double bare = bareBulk(name, roundRows);
                if (!outpostFirst) {
                    outpost = outpostBulk(name, roundRows);
                }
                System.out.printf("bulk %-7s Outpost %,8.0f rows/s   bare Debezium %,8.0f rows/s   ratio %.2f%n",
                        name, outpost, bare, outpost / bare);
                if (round > 0) {
                    outpostRounds.add(outpost);
                    bareRounds.add(bare);
                }
            }
            System.out.printf("latency: %,d single-row transactions at %d/s, Outpost…%n", latencyTransactions, rate);
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

    /**
     * Drops a bulk round's database and its replication slot (once the engine has let go of it), so
     * that rounds do not run out of the server's replication slots.
     */
    private void dropDatabase(String name, String slot) throws Exception {
        try (Connection c = postgres.connect("postgres");
             PreparedStatement drop = c.prepareStatement("SELECT pg_drop_replication_slot(slot_name) "
                     + "FROM pg_replication_slots WHERE slot_name = ? AND NOT active");
             PreparedStatement left = c.prepareStatement("SELECT count(*) FROM pg_replication_slots WHERE slot_name = ?");
             Statement s = c.createStatement()) {
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            drop.setString(1, slot);
            left.setString(1, slot);
            while (true) {
                drop.execute();
                try (var rs = left.executeQuery()) {
                    rs.next();
                    if (rs.getLong(1) == 0) {
                        break;
                    }
                }
                if (System.nanoTime() > deadline) {
                    throw new IllegalStateException("the replication slot " + slot + " was still in use 30 s after its round");
                }
                Thread.sleep(50);
            }
            s.execute("DROP DATABASE \"" + name + "\" WITH (FORCE)");
        }
    }

    private double outpostBulk(String round, int rows) throws Exception {
        String url = database("bench_outpost_bulk_" + round);
        CaptureSettings settings = settings("bench_outpost_bulk_" + round, url);
        try (Capture first = Capture.start(settings)) {
            awaitStreaming(first); // slot and publication exist; the table is empty
            awaitConfirmed(url, settings.source().slot(), first.status().lastPosition()); // and the offsets
        }
        writeBulk(url, rows);
        long started;
        try (Capture capture = Capture.start(settings)) {
            while (capture.status().rows() == 0) {
                Thread.sleep(1);
            }
            started = System.nanoTime();
            long first = capture.status().rows();
            while (capture.status().rows() < rows) {
                Thread.sleep(1);
            }
            double seconds = (System.nanoTime() - started) / 1e9;
            return (rows - first) / seconds;
        } finally {
            dropDatabase("bench_outpost_bulk_" + round, settings.source().slot());
        }
    }

    private Latencies outpostLatency() throws Exception {
        String url = database("bench_outpost_latency");
        CaptureSettings settings = settings("bench_outpost_latency", url);
        Map<Long, Long> committed = new ConcurrentHashMap<>();
        Latencies latencies = new Latencies();
        int warmUp = latencyTransactions / 10;
        try (Capture capture = Capture.start(settings)) {
            awaitStreaming(capture);
            AtomicBoolean done = new AtomicBoolean();
            AtomicLong seen = new AtomicLong();
            Thread reader = new Thread(() -> {
                try (ChangeLogReader log = ChangeLogReader.open(kafka.bootstrapServers(), settings.changesTopic(), false)) {
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
            awaitCount(seen, latencyTransactions);
            done.set(true);
            reader.join();
        }
        return latencies;
    }

    // ---- bare Debezium ------------------------------------------------------------------------

    /** The same connector settings as Outpost's, with offsets in memory. */
    private Properties bareProperties(CaptureSettings settings, String snapshotMode) {
        Properties p = Capture.engineProperties(settings);
        p.setProperty("name", "bare-" + settings.source().name());
        p.setProperty("offset.storage", "org.apache.kafka.connect.storage.MemoryOffsetBackingStore");
        p.setProperty("snapshot.mode", snapshotMode);
        return p;
    }

    private DebeziumEngine<RecordChangeEvent<SourceRecord>> bareEngine(Properties properties, LongConsumer onRow,
                                                                      AtomicBoolean streaming) {
        DebeziumEngine<RecordChangeEvent<SourceRecord>> engine = DebeziumEngine.create(ChangeEventFormat.of(Connect.class))
                .using(properties)
                .notifying((List<RecordChangeEvent<SourceRecord>> batch, DebeziumEngine.RecordCommitter<RecordChangeEvent<SourceRecord>> committer) -> {
                    for (RecordChangeEvent<SourceRecord> event : batch) {
                        SourceRecord record = event.record();
                        if (record.value() instanceof Struct value && value.schema().field("after") != null
                                && value.getStruct("after") != null && record.topic().endsWith(".bench")) {
                            onRow.accept(value.getStruct("after").getInt64("id"));
                        } else if (record.topic().endsWith(".message") || record.topic().startsWith("__debezium-heartbeat")) {
                            streaming.set(true);
                        }
                        committer.markProcessed(event);
                    }
                    committer.markBatchFinished();
                })
                .build();
        Thread runner = new Thread(engine, "bare-engine-" + properties.getProperty("name"));
        runner.setDaemon(true);
        runner.start();
        return engine;
    }

    @SuppressWarnings("try") // the running engine is the resource: it lives for the block
    private double bareBulk(String round, int rows) throws Exception {
        String url = database("bench_bare_bulk_" + round);
        CaptureSettings settings = settings("bench_bare_bulk_" + round, url);
        AtomicBoolean streaming = new AtomicBoolean();
        try (var first = bareEngine(bareProperties(settings, "initial"), id -> { }, streaming)) {
            awaitTrue(streaming); // slot and publication exist
        }
        writeBulk(url, rows);
        AtomicLong count = new AtomicLong();
        AtomicLong started = new AtomicLong();
        try (var engine = bareEngine(bareProperties(settings, "no_data"), id -> {
            if (count.incrementAndGet() == 1) {
                started.set(System.nanoTime());
            }
        }, new AtomicBoolean())) {
            awaitCount(count, rows);
            double seconds = (System.nanoTime() - started.get()) / 1e9;
            return (rows - 1) / seconds;
        } finally {
            dropDatabase("bench_bare_bulk_" + round, settings.source().slot());
        }
    }

    @SuppressWarnings("try") // the running engine is the resource: it lives for the block
    private Latencies bareLatency() throws Exception {
        String url = database("bench_bare_latency");
        CaptureSettings settings = settings("bench_bare_latency", url);
        Map<Long, Long> committed = new ConcurrentHashMap<>();
        Latencies latencies = new Latencies();
        int warmUp = latencyTransactions / 10;
        AtomicLong seen = new AtomicLong();
        AtomicBoolean streaming = new AtomicBoolean();
        try (var engine = bareEngine(bareProperties(settings, "initial"), id -> {
            long now = System.nanoTime();
            Long at = committed.get(id);
            if (at != null && id >= warmUp) {
                latencies.recordNanos(now - at);
            }
            seen.incrementAndGet();
        }, streaming)) {
            awaitTrue(streaming);
            writePaced(url, committed::put);
            awaitCount(seen, latencyTransactions);
        }
        return latencies;
    }

    // ---- load ---------------------------------------------------------------------------------

    private void writeBulk(String url, int rows) throws Exception {
        try (Connection c = DriverManager.getConnection(url);
             PreparedStatement s = c.prepareStatement("INSERT INTO bench SELECT g, g % 1000, md5(g::text) "
                     + "FROM generate_series(?::bigint, ?::bigint) g")) {
            for (long from = 0; from < rows; from += txSize) {
                s.setLong(1, from);
                s.setLong(2, Math.min(rows, from + txSize) - 1);
                s.executeUpdate();
            }
        }
    }

    /** Single-row transactions at {@code rate} a second; records each commit's time by id. */
    private void writePaced(String url, java.util.function.BiConsumer<Long, Long> committed) throws Exception {
        long interval = TimeUnit.SECONDS.toNanos(1) / rate;
        try (Connection c = DriverManager.getConnection(url);
             PreparedStatement s = c.prepareStatement("INSERT INTO bench VALUES (?, 1, 'x')")) {
            long start = System.nanoTime();
            for (long i = 0; i < latencyTransactions; i++) {
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

    /** Waits until the slot confirms {@code position}: capture stored its offsets past it. */
    private static void awaitConfirmed(String url, String slot, io.outpost.core.SourcePosition position) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        try (Connection c = DriverManager.getConnection(url);
             PreparedStatement s = c.prepareStatement(
                     "SELECT coalesce(confirmed_flush_lsn, '0/0')::text FROM pg_replication_slots WHERE slot_name = ?")) {
            s.setString(1, slot);
            while (true) {
                try (var rs = s.executeQuery()) {
                    // capture confirms one below the commit (TransactionAssembler.endOffsets says why)
                    if (rs.next() && position.lsn() - 1 <= io.outpost.core.SourcePosition.parse(rs.getString(1)).lsn()) {
                        return;
                    }
                }
                if (System.nanoTime() > deadline) {
                    throw new IllegalStateException("capture did not store its offsets within 60 s");
                }
                Thread.sleep(20);
            }
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

    private static double median(List<Double> values) {
        List<Double> sorted = values.stream().sorted().toList();
        int n = sorted.size();
        return n % 2 == 1 ? sorted.get(n / 2) : (sorted.get(n / 2 - 1) + sorted.get(n / 2)) / 2;
    }

    private void report(List<Double> outpostRounds, List<Double> bareRounds, Latencies outpost, Latencies bare)
            throws Exception {
        double outpostBulk = median(outpostRounds);
        double bareBulk = median(bareRounds);
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
                + "bare = handed to the consumer)%n", outpost.count(), rate, latencyTransactions / 10);

        Map<String, Object> json = new LinkedHashMap<>();
        json.put("benchmark", "capture");
        json.put("cores", Runtime.getRuntime().availableProcessors());
        json.put("bulk", Map.of("rows", rows, "transaction_size", txSize,
                "rounds", rounds, "outpost_rows_per_s", Math.round(outpostBulk),
                "bare_debezium_rows_per_s", Math.round(bareBulk), "ratio", Latencies.round(ratio),
                "outpost_rounds_rows_per_s", outpostRounds.stream().map(Math::round).toList(),
                "bare_debezium_rounds_rows_per_s", bareRounds.stream().map(Math::round).toList()));
        json.put("latency", Map.of("rate_per_s", rate, "transactions", latencyTransactions,
                "outpost", outpost.json(), "bare_debezium", bare.json()));
        json.put("targets", Map.of("throughput_met", throughputMet, "latency_met", latencyMet));
        new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT).writeValue(out.toFile(), json);
        System.out.println("report written to " + out.toAbsolutePath());
    }
}

package io.outpost.it.bench;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import io.micrometer.core.instrument.MeterRegistry;
import io.outpost.capture.Capture;
import io.outpost.capture.CaptureSettings;
import io.outpost.core.SourcePosition;
import io.outpost.core.change.RowChange;
import io.outpost.core.config.OutpostConfig;
import io.outpost.embedded.EmbeddedKafka;
import io.outpost.embedded.EmbeddedPostgres;
import io.outpost.examples.shop.ShopData;
import io.outpost.examples.shop.ShopServer;
import io.outpost.it.harness.ConsistencyChecker;
import io.outpost.it.harness.ExampleConfig;
import io.outpost.it.harness.ShopWorkload;
import io.outpost.log.ChangeLogReader;
import io.outpost.projector.Projector;
import io.outpost.projector.ProjectorSettings;
import io.outpost.runtime.Meters;
import io.outpost.runtime.Supervisor;
import io.outpost.store.StoreLayout;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.postgresql.PGConnection;
import org.postgresql.PGNotification;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * The projector's two figures, on the example shop with the example configuration's three views:
 * <ol>
 *   <li>apply throughput: a change log pre-filled by a randomized shop workload, applied by one
 *       region's projector from the start, rows/s — beside the same log applied with no views
 *       (replicas only), measured in the same run. Both after a warm-up pass of the same log into
 *       a third store: a projector runs for days, and a first pass in a fresh JVM measures the JIT
 *       compiler as much as the projector;</li>
 *   <li>commit → visible in all three regions, for single-order transactions at {@code rate} a
 *       second: from the commit (as the writing client sees it) to the moment the last of the
 *       three stores announces (NOTIFY) a watermark at or past the order's commit position — beside
 *       capture's commit → published latency of the same transactions.</li>
 * </ol>
 */
@Command(name = "projector", mixinStandardHelpOptions = true,
        description = "Projector apply throughput and commit → visible in all regions, with baselines from the same run.")
final class ProjectorBenchmark implements Callable<Integer> {

    @Option(names = "--transactions", defaultValue = "20000",
            description = "Workload transactions that fill the log for the throughput phase (default: ${DEFAULT-VALUE}).")
    long transactions;

    @Option(names = "--rate", defaultValue = "200", description = "Orders a second in the latency phase (default: ${DEFAULT-VALUE}).")
    int rate;

    @Option(names = "--latency-transactions", defaultValue = "2000",
            description = "Orders of the latency phase, the first 10% being warm-up (default: ${DEFAULT-VALUE}).")
    int latencyTransactions;

    @Option(names = "--out", defaultValue = "target/bench/projector.json", description = "Where the JSON report goes (default: ${DEFAULT-VALUE}).")
    Path out;

    @Option(names = "--pg-statements", defaultValue = "0", description = "Also print the N statements PostgreSQL spent "
            + "most time on in the applying with views and in the latency phase (pg_stat_statements, every database of "
            + "the server; it costs some throughput): where the stores' time goes (default: ${DEFAULT-VALUE}, off).")
    int pgStatements;

    private EmbeddedPostgres postgres;
    private EmbeddedKafka kafka;

    @Override
    public Integer call() throws Exception {
        Files.createDirectories(out.toAbsolutePath().getParent());
        System.out.println("projector benchmark: starting embedded PostgreSQL and Kafka…");
        EmbeddedPostgres.Builder server = EmbeddedPostgres.builder();
        if (pgStatements > 0) {
            server.setting("shared_preload_libraries", "'pg_stat_statements'").setting("pg_stat_statements.track", "all");
        }
        try (EmbeddedPostgres pg = server.start(); EmbeddedKafka broker = EmbeddedKafka.start()) {
            postgres = pg;
            kafka = broker;
            String shopUrl = postgres.createDatabase("bench_shop");
            try (ShopServer shop = ShopServer.start(new ShopServer.Settings(shopUrl, EmbeddedPostgres.SUPERUSER, "",
                    "localhost", 0))) {
                ShopData.seed(shop.dataSource(), 100, 200, 1000, 42);
            }
            OutpostConfig bulk = config("bench_bulk", shopUrl);
            System.out.printf("throughput: filling the change log with the snapshot and %,d workload transactions…%n",
                    transactions);
            SourcePosition end = fillLog(bulk, shopUrl);
            // a projector applies for days: measure it warm, after one pass of the same log into another store
            System.out.println("throughput: a warm-up pass (not measured) into region ap-south's store…");
            apply(ProjectorSettings.of(bulk, "ap-south"), end);
            System.out.println("throughput: applying it with the three views…");
            resetStatements();
            Applied withViews = apply(ProjectorSettings.of(bulk, "us-east"), end);
            printStatements("applying with the three views");
            System.out.printf("throughput: %,.0f rows/s; applying it with no views…%n", withViews.rowsPerSecond());
            Applied replicasOnly = apply(ProjectorSettings.of(bulk, "eu-west").withViews(List.of()), end);
            System.out.printf("throughput: %,.0f rows/s with no views%n", replicasOnly.rowsPerSecond());

            OutpostConfig live = config("bench_live", shopUrl);
            System.out.printf("latency: %,d single-order transactions at %d/s through three regions…%n",
                    latencyTransactions, rate);
            Latency latency = latency(live, shopUrl);
            report(withViews, replicasOnly, latency);
        }
        return 0;
    }

    private OutpostConfig config(String name, String shopUrl) {
        Map<String, String> variables = new HashMap<>();
        variables.put("SHOP_DB_URL", shopUrl);
        variables.put("KAFKA_BOOTSTRAP", kafka.bootstrapServers());
        for (String region : List.of("US_EAST", "EU_WEST", "AP_SOUTH")) {
            variables.put("STORE_" + region + "_URL", postgres.createDatabase(name + "_" + region.toLowerCase(java.util.Locale.ROOT)));
        }
        return ExampleConfig.of(name, variables);
    }

    /** Captures the seeded shop and a workload into the log; returns the source position after the last. */
    private SourcePosition fillLog(OutpostConfig config, String shopUrl) throws Exception {
        try (Capture capture = Capture.start(CaptureSettings.of(config))) {
            awaitPosition(capture, SourcePosition.ofLsn(1));
            new ShopWorkload(shopUrl, 3).run(3, transactions, done -> { });
            SourcePosition end;
            try (Connection c = DriverManager.getConnection(shopUrl)) {
                end = ConsistencyChecker.currentPosition(c);
            }
            awaitPosition(capture, end);
            System.out.printf("throughput: the log holds %,d rows in %,d transactions%n", capture.status().rows(),
                    capture.status().transactions());
            return end;
        }
    }

    private static void awaitPosition(Capture capture, SourcePosition position) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(300);
        while (position.isAfter(capture.status().lastPosition())) {
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException("capture did not reach " + position + " within 300 s");
            }
            Thread.sleep(20);
        }
    }

    /** Waits until every projector has applied what the source has committed by now, at most {@code patience}. */
    static void awaitCaughtUp(String shopUrl, List<Projector> projectors, Duration patience) throws Exception {
        SourcePosition caughtUp;
        try (Connection c = DriverManager.getConnection(shopUrl)) {
            caughtUp = ConsistencyChecker.currentPosition(c);
        }
        long deadline = System.nanoTime() + patience.toNanos();
        for (Projector projector : projectors) {
            while (caughtUp.isAfter(projector.status().watermark())) {
                if (projector.status().state() == Supervisor.State.FAILED || System.nanoTime() > deadline) {
                    throw new IllegalStateException("region " + projector.region() + " did not catch up: " + projector.status());
                }
                Thread.sleep(20);
            }
        }
    }

    /** Rows applied and how long it took, from start to the watermark reaching {@code end}. */
    record Applied(long rows, long transactions, double seconds) {
        double rowsPerSecond() {
            return rows / seconds;
        }
    }

    private Applied apply(ProjectorSettings settings, SourcePosition end) throws InterruptedException {
        long started = System.nanoTime();
        try (Projector projector = Projector.start(settings)) {
            long deadline = started + TimeUnit.SECONDS.toNanos(600);
            while (end.isAfter(projector.status().watermark())) {
                if (projector.status().state() == Supervisor.State.FAILED || System.nanoTime() > deadline) {
                    throw new IllegalStateException("the projector did not apply the log: " + projector.status());
                }
                Thread.sleep(5);
            }
            double seconds = (System.nanoTime() - started) / 1e9;
            return new Applied(projector.status().rows(), projector.status().transactions(), seconds);
        }
    }

    /**
     * Commit → visible in every region, and commit → published, per order; and the phase's freshness
     * by stage as Outpost's metrics measured it: by stage name, {p50, p99, count} of the stage alone
     * and of the time since the source commit.
     */
    record Latency(Latencies visible, Latencies published, Map<String, double[]> stages, Map<String, double[]> sinceCommit,
                   Map<String, double[]> inside) {
    }

    private static final List<String> STAGES = List.of("published", "polled", "applied");

    @SuppressWarnings("try") // the running capture is the resource: it lives for the block
    private Latency latency(OutpostConfig config, String shopUrl) throws Exception {
        Map<Long, Long> committed = new ConcurrentHashMap<>();
        Map<Long, Long> published = new ConcurrentHashMap<>();
        Map<Long, SourcePosition> positions = new ConcurrentHashMap<>();
        Map<String, List<long[]>> notified = new ConcurrentHashMap<>(); // region → [position, nanos]
        AtomicBoolean running = new AtomicBoolean(true);
        List<Thread> threads = new ArrayList<>();
        List<Projector> projectors = new ArrayList<>();
        MeterRegistry registry = Meters.processRegistry(); // Prometheus': a simple registry keeps no buckets
        Map<String, double[]> stages = new LinkedHashMap<>();
        Map<String, double[]> sinceCommit = new LinkedHashMap<>();
        Map<String, double[]> inside = new LinkedHashMap<>();
        try (Capture capture = Capture.start(CaptureSettings.of(config), registry)) {
            for (String region : config.regions().keySet()) {
                projectors.add(Projector.start(ProjectorSettings.of(config, region), registry));
            }
            awaitCaughtUp(shopUrl, projectors, Duration.ofSeconds(600));
            for (var region : config.regions().values()) {
                List<long[]> seen = java.util.Collections.synchronizedList(new ArrayList<>());
                notified.put(region.name(), seen);
                Thread listener = new Thread(() -> listen(region.store().url(), seen, running), "listen-" + region.name());
                listener.start();
                threads.add(listener);
            }
            Thread reader = new Thread(() -> {
                try (ChangeLogReader log = ChangeLogReader.open(config.log().access(), config.changesTopic(), false)) {
                    while (running.get()) {
                        for (ChangeLogReader.Entry entry : log.poll(Duration.ofMillis(50))) {
                            long now = System.nanoTime();
                            if (entry.record() instanceof RowChange row && row.table().equals("public.orders")
                                    && row.operation() == io.outpost.core.change.Operation.CREATE) {
                                long id = (Long) row.key().get("id");
                                published.putIfAbsent(id, now);
                                positions.putIfAbsent(id, row.position());
                            }
                        }
                    }
                }
            }, "bench-log-reader");
            reader.start();
            threads.add(reader);
            Thread.sleep(500); // listeners and reader are in place
            List<String> views = List.copyOf(config.views().keySet());
            StageFigures figures = StageFigures.startingNow(registry, views);
            resetStatements();
            placeOrders(shopUrl, committed);
            Thread.sleep(2000); // the last orders reach every region
            printStatements("the latency phase (three regions, the shop's own writes included)");
            for (String stage : STAGES) {
                stages.put(stage, figures.since(registry, StageFigures.STAGE, stage));
                sinceCommit.put(stage, figures.since(registry, StageFigures.SINCE_COMMIT, stage));
            }
            inside.put("store transaction (a batch: writes, views, watermark, commit)",
                    figures.since(registry, StageFigures.APPLY, ""));
            for (String view : views) {
                inside.put("  view " + view + " recomputed alone (sampled)", figures.since(registry, StageFigures.RECOMPUTE, view));
            }
        } finally {
            running.set(false);
            for (Thread thread : threads) {
                thread.join();
            }
            projectors.forEach(Projector::close);
        }
        Latencies visible = new Latencies();
        Latencies capture = new Latencies();
        List<Long> ids = new ArrayList<>(committed.keySet());
        ids.sort(null);
        int warmUp = ids.size() / 10;
        for (int i = warmUp; i < ids.size(); i++) {
            long id = ids.get(i);
            Long at = committed.get(id);
            SourcePosition position = positions.get(id);
            if (position == null) {
                throw new IllegalStateException("order " + id + " never reached the change log");
            }
            capture.recordNanos(published.get(id) - at);
            long last = 0;
            for (var entry : notified.entrySet()) {
                long when = firstAtOrAfter(entry.getValue(), position);
                if (when < 0) {
                    throw new IllegalStateException("order " + id + " never became visible in " + entry.getKey());
                }
                last = Math.max(last, when);
            }
            visible.recordNanos(last - at);
        }
        return new Latency(visible, capture, stages, sinceCommit, inside);
    }

    private static long firstAtOrAfter(List<long[]> seen, SourcePosition position) {
        synchronized (seen) {
            for (long[] notification : seen) {
                if (Long.compareUnsigned(notification[0], position.lsn()) >= 0) {
                    return notification[1];
                }
            }
        }
        return -1;
    }

    private static void listen(String storeUrl, List<long[]> seen, AtomicBoolean running) {
        try (Connection c = DriverManager.getConnection(storeUrl); Statement s = c.createStatement()) {
            s.execute("LISTEN " + StoreLayout.WATERMARK_CHANNEL);
            PGConnection pg = c.unwrap(PGConnection.class);
            while (running.get()) {
                PGNotification[] notifications = pg.getNotifications(50);
                long now = System.nanoTime();
                if (notifications != null) {
                    for (PGNotification n : notifications) {
                        String payload = n.getParameter();
                        seen.add(new long[] {SourcePosition.parse(payload.substring(payload.indexOf(' ') + 1)).lsn(), now});
                    }
                }
            }
        } catch (Exception e) {
            throw new IllegalStateException("listening to " + storeUrl + " failed: " + e.getMessage(), e);
        }
    }

    /**
     * Single-line orders at {@code rate} a second, spread over the customers and products (so no
     * one customer's or product's document grows without bound); records each commit's time by order id.
     */
    private void placeOrders(String shopUrl, Map<Long, Long> committed) throws Exception {
        long interval = TimeUnit.SECONDS.toNanos(1) / rate;
        try (Connection c = DriverManager.getConnection(shopUrl)) {
            c.setAutoCommit(false);
            long[] customers;
            long[] products;
            try (Statement s = c.createStatement()) {
                customers = ids(s, "SELECT id FROM customers ORDER BY id");
                products = ids(s, "SELECT id FROM products ORDER BY id");
                s.execute("UPDATE products SET stock = stock + " + (latencyTransactions / products.length + 1));
            }
            c.commit();
            try (PreparedStatement order = c.prepareStatement(
                    "INSERT INTO orders (customer_id, status) VALUES (?, 'PLACED') RETURNING id");
                 PreparedStatement line = c.prepareStatement("INSERT INTO order_lines (order_id, line_no, product_id, sku, "
                         + "qty, unit_price) SELECT ?, 1, id, sku, 1, price FROM products WHERE id = ?");
                 PreparedStatement stock = c.prepareStatement("UPDATE products SET stock = stock - 1 WHERE id = ?")) {
                long start = System.nanoTime();
                for (int i = 0; i < latencyTransactions; i++) {
                    long due = start + i * interval;
                    Pacing.awaitDue(due);
                    long product = products[i % products.length];
                    order.setLong(1, customers[i % customers.length]);
                    long id;
                    try (ResultSet rs = order.executeQuery()) {
                        rs.next();
                        id = rs.getLong(1);
                    }
                    line.setLong(1, id);
                    line.setLong(2, product);
                    line.executeUpdate();
                    stock.setLong(1, product);
                    stock.executeUpdate();
                    c.commit();
                    committed.put(id, System.nanoTime());
                }
            }
        }
    }

    /** Forgets the statements' figures so far (with {@code --pg-statements}). */
    private void resetStatements() throws java.sql.SQLException {
        if (pgStatements > 0) {
            try (Connection c = postgres.connect("postgres"); Statement s = c.createStatement()) {
                s.execute("CREATE EXTENSION IF NOT EXISTS pg_stat_statements");
                s.execute("SELECT pg_stat_statements_reset()");
            }
        }
    }

    /** Prints the statements PostgreSQL spent most time on since {@link #resetStatements} (with {@code --pg-statements}). */
    private void printStatements(String during) throws java.sql.SQLException {
        if (pgStatements <= 0) {
            return;
        }
        System.out.printf("%nPostgreSQL's top %d statements by execution time during %s:%n", pgStatements, during);
        System.out.printf("%10s %10s %10s %10s  %s%n", "total ms", "calls", "mean ms", "rows", "statement (databases)");
        try (Connection c = postgres.connect("postgres"); PreparedStatement s = c.prepareStatement("SELECT sum(total_exec_time), "
                + "sum(calls), sum(total_exec_time) / sum(calls), sum(rows), regexp_replace(query, '\\s+', ' ', 'g'), "
                + "count(DISTINCT dbid) FROM pg_stat_statements GROUP BY query ORDER BY 1 DESC LIMIT ?")) {
            s.setInt(1, pgStatements);
            try (ResultSet rs = s.executeQuery()) {
                while (rs.next()) {
                    String query = rs.getString(5);
                    System.out.printf("%10.0f %10d %10.3f %10d  %s (%d)%n", rs.getDouble(1), rs.getLong(2), rs.getDouble(3),
                            rs.getLong(4), query.length() > 160 ? query.substring(0, 160) + "…" : query, rs.getInt(6));
                }
            }
        }
        System.out.println();
    }

    private static long[] ids(Statement s, String sql) throws java.sql.SQLException {
        List<Long> ids = new ArrayList<>();
        try (ResultSet rs = s.executeQuery(sql)) {
            while (rs.next()) {
                ids.add(rs.getLong(1));
            }
        }
        return ids.stream().mapToLong(Long::longValue).toArray();
    }

    private void report(Applied withViews, Applied replicasOnly, Latency latency) throws Exception {
        double ratio = withViews.rowsPerSecond() / replicasOnly.rowsPerSecond();
        Latencies visible = latency.visible();
        Latencies published = latency.published();
        boolean throughputMet = withViews.rowsPerSecond() >= 20_000;
        boolean latencyMet = visible.p50() <= 25 && visible.p99() <= 60;
        System.out.println();
        System.out.println("Projector benchmark — " + Runtime.getRuntime().availableProcessors() + " cores, PostgreSQL 17, "
                + "Kafka 4.3.1, the example shop's three views");
        System.out.printf("%-40s %14s %16s %8s   %s%n", "", "three views", "no views", "ratio", "target");
        System.out.printf("%-40s %,14.0f %,16.0f %8.2f   %s%n", "apply throughput, rows/s", withViews.rowsPerSecond(),
                replicasOnly.rowsPerSecond(), ratio, "≥ 20,000 " + (throughputMet ? "(met)" : "(NOT met)"));
        System.out.printf("(%,d rows in %,d transactions, from an empty store, after a warm-up pass)%n%n", withViews.rows(),
                withViews.transactions());
        System.out.printf("%-40s %14s %16s %8s   %s%n", "", "all 3 regions", "capture alone", "ratio", "target");
        System.out.printf("%-40s %14.2f %16.2f %8.2f   %s%n", "commit → visible p50, ms", visible.p50(), published.p50(),
                visible.p50() / published.p50(), "≤ 25 " + (visible.p50() <= 25 ? "(met)" : "(NOT met)"));
        System.out.printf("%-40s %14.2f %16.2f %8.2f   %s%n", "commit → visible p99, ms", visible.p99(), published.p99(),
                visible.p99() / published.p99(), "≤ 60 " + (visible.p99() <= 60 ? "(met)" : "(NOT met)"));
        System.out.printf("%-40s %14.2f %16.2f %8.2f%n", "commit → visible max, ms", visible.max(), published.max(),
                visible.max() / published.max());
        System.out.printf("(%,d single-order transactions at %d/s after %,d warm-up; visible = the last region's NOTIFY of a "
                + "watermark at or past the order; capture alone = readable from the change log)%n", visible.count(), rate,
                latencyTransactions / 10);
        System.out.println();
        System.out.printf("%-58s %9s %9s %9s %9s%n", "freshness by stage, ms (Outpost's metrics, 3 regions)", "stage p50",
                "stage p99", "total p50", "total p99");
        Map<String, String> meaning = Map.of("published", "source commit → durable in the log (capture)",
                "polled", "in the log → taken by a projector", "applied", "taken → committed in the region's store");
        for (String stage : STAGES) {
            double[] alone = latency.stages().get(stage);
            double[] total = latency.sinceCommit().get(stage);
            System.out.printf("%-58s %9.1f %9.1f %9.1f %9.1f%n", String.format("%-10s %s", stage, meaning.get(stage)),
                    alone[0], alone[1], total[0], total[1]);
        }
        System.out.printf("%-58s %9s %9s %9.1f %9.1f%n", "visible    → NOTIFY seen in the last of the three regions", "", "",
                visible.p50(), visible.p99());
        System.out.println("(stages: every transaction of the phase, heartbeats included, from the histograms' buckets, "
                + "within some 10-25%; total = since the source commit; visible: the benchmark's own measurement above)");
        System.out.printf("%-58s %9s %9s %9s%n", "inside the projectors, ms", "p50", "p99", "count");
        latency.inside().forEach((what, f) -> System.out.printf("%-58s %9.2f %9.2f %9.0f%n", what, f[0], f[1], f[2]));

        Map<String, Object> json = new LinkedHashMap<>();
        json.put("benchmark", "projector");
        json.put("cores", Runtime.getRuntime().availableProcessors());
        json.put("throughput", Map.of("rows", withViews.rows(), "transactions", withViews.transactions(),
                "three_views_rows_per_s", Math.round(withViews.rowsPerSecond()),
                "no_views_rows_per_s", Math.round(replicasOnly.rowsPerSecond()), "ratio", Latencies.round(ratio)));
        json.put("latency", Map.of("rate_per_s", rate, "transactions", latencyTransactions,
                "visible_in_all_regions", visible.json(), "capture_published", published.json()));
        Map<String, Object> stageJson = new LinkedHashMap<>();
        for (String stage : STAGES) {
            double[] alone = latency.stages().get(stage);
            double[] total = latency.sinceCommit().get(stage);
            stageJson.put(stage, Map.of("count", (long) alone[2], "stage_p50_ms", Latencies.round(alone[0]),
                    "stage_p99_ms", Latencies.round(alone[1]), "since_commit_p50_ms", Latencies.round(total[0]),
                    "since_commit_p99_ms", Latencies.round(total[1])));
        }
        json.put("freshness_by_stage", stageJson);
        Map<String, Object> insideJson = new LinkedHashMap<>();
        latency.inside().forEach((what, f) -> insideJson.put(what.strip(), Map.of("p50_ms", Latencies.round(f[0]),
                "p99_ms", Latencies.round(f[1]), "count", (long) f[2])));
        json.put("inside_the_projectors", insideJson);
        json.put("targets", Map.of("throughput_met", throughputMet, "latency_met", latencyMet));
        new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT).writeValue(out.toFile(), json);
        System.out.println("report written to " + out.toAbsolutePath());
    }
}

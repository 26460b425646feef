package io.outpost.it;

import static java.util.concurrent.TimeUnit.SECONDS;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.outpost.capture.Capture;
import io.outpost.capture.CaptureSettings;
import io.outpost.core.SourcePosition;
import io.outpost.core.config.OutpostConfig;
import io.outpost.core.config.RegionConfig;
import io.outpost.embedded.ChildJvm;
import io.outpost.embedded.EmbeddedKafka;
import io.outpost.embedded.EmbeddedPostgres;
import io.outpost.examples.shop.ShopData;
import io.outpost.examples.shop.ShopServer;
import io.outpost.it.harness.ConsistencyChecker;
import io.outpost.it.harness.ExampleConfig;
import io.outpost.it.harness.ShopWorkload;
import io.outpost.projector.Projector;
import io.outpost.projector.ProjectorSettings;
import io.outpost.projector.Rebuild;
import io.outpost.store.RegionStore;
import io.outpost.store.Watermark;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

/**
 * Guarantees 1 and 2 end to end: the example shop's database, capture, the change log and three
 * regions with the example configuration's views, under a randomized workload with a capture
 * restart, a projector killed with {@code kill -9} and a column added mid-load.
 */
class ProjectionIT {

    /** The example configuration's addresses: the shop's database, the broker, a new store per region. */
    static Map<String, String> addresses(String name, String shopUrl) {
        Map<String, String> env = new HashMap<>();
        env.put("SHOP_DB_URL", shopUrl);
        env.put("KAFKA_BOOTSTRAP", EmbeddedKafka.shared().bootstrapServers());
        for (String region : List.of("us_east", "eu_west", "ap_south")) {
            env.put("STORE_" + region.toUpperCase(java.util.Locale.ROOT) + "_URL",
                    EmbeddedPostgres.shared().createDatabase(name + "_store_" + region));
        }
        return env;
    }

    static Optional<Watermark> watermark(OutpostConfig config, String region) {
        try (RegionStore store = RegionStore.open(config.regions().get(region).store(), "test", 1)) {
            return store.watermark(config.source().name());
        }
    }

    static void awaitRegions(OutpostConfig config, SourcePosition position) {
        for (String region : config.regions().keySet()) {
            await().alias("region " + region + " reached " + position).atMost(120, SECONDS).pollInterval(java.time.Duration.ofMillis(200))
                    .until(() -> watermark(config, region).map(w -> !position.isAfter(w.position())).orElse(false));
        }
    }

    @Test
    void everyRegionEqualsTheViewsComputedOnTheSourceAfterALoadWithCrashes(@org.junit.jupiter.api.io.TempDir Path dir)
            throws Exception {
        String shopUrl = EmbeddedPostgres.shared().createDatabase("projection_it");
        try (ShopServer shop = ShopServer.start(new ShopServer.Settings(shopUrl, EmbeddedPostgres.SUPERUSER, "", "localhost", 0))) {
            ShopData.seed(shop.dataSource(), 100, 200, 1000, 7);
        }
        Map<String, String> addresses = addresses("projection_it", shopUrl);
        OutpostConfig config = ExampleConfig.of("projection_it", addresses);
        Path configFile = dir.resolve("outpost.yml");
        // the child projector reads the same configuration, with the addresses written in
        Files.writeString(configFile, ExampleConfig.render("projection_it", addresses));

        long seededMaxOrder;
        long invariant;
        try (Connection c = DriverManager.getConnection(shopUrl); Statement s = c.createStatement()) {
            seededMaxOrder = single(s, "SELECT max(id) FROM orders");
            invariant = single(s, ShopWorkload.STOCK_INVARIANT);
        }

        AtomicReference<Capture> capture = new AtomicReference<>(Capture.start(CaptureSettings.of(config)));
        List<Projector> projectors = new ArrayList<>();
        projectors.add(Projector.start(ProjectorSettings.of(config, "us-east")));
        projectors.add(Projector.start(ProjectorSettings.of(config, "eu-west")));
        ChildJvm child = ProjectorProcess.start(configFile, "ap-south");
        try {
            await().alias("the snapshot captured").atMost(60, SECONDS).until(() -> capture.get().status().transactions() >= 1);
            awaitRegions(config, capture.get().status().lastPosition());

            // a reader of eu-west that must never see part of a transaction
            RegionConfig euWest = config.regions().get("eu-west");
            AtomicBoolean reading = new AtomicBoolean(true);
            AtomicLong reads = new AtomicLong();
            List<String> violations = new java.util.concurrent.CopyOnWriteArrayList<>();
            Thread reader = new Thread(() -> {
                try (Connection c = DriverManager.getConnection(euWest.store().url()); Statement s = c.createStatement()) {
                    s.execute("SET search_path = replica_shop, public");
                    while (reading.get()) {
                        try (ResultSet rs = s.executeQuery("SELECT (" + ShopWorkload.STOCK_INVARIANT + "), "
                                + "(SELECT count(*) FROM views.orders WHERE key > " + seededMaxOrder
                                + " AND jsonb_array_length(doc -> 'lines') = 0), "
                                + "(SELECT position::text FROM outpost_watermark)")) {
                            rs.next();
                            if (rs.getLong(1) != invariant || rs.getLong(2) != 0) {
                                violations.add("at " + rs.getString(3) + ": stock + ordered = " + rs.getLong(1) + " (not "
                                        + invariant + "), orders without lines: " + rs.getLong(2));
                            }
                        }
                        reads.incrementAndGet();
                    }
                } catch (Exception e) {
                    violations.add("the reader failed: " + e);
                }
            }, "eu-west-reader");
            reader.start();

            ShopWorkload workload = new ShopWorkload(shopUrl, 11);
            long total = 6000;
            AtomicBoolean restarted = new AtomicBoolean();
            AtomicBoolean killed = new AtomicBoolean();
            AtomicBoolean altered = new AtomicBoolean();
            AtomicReference<Thread> rebuild = new AtomicReference<>();
            AtomicLong rebuilt = new AtomicLong(-1);
            workload.run(3, total, done -> {
                try {
                    if (done == total / 4 && restarted.compareAndSet(false, true)) {
                        capture.getAndSet(null).close();
                        capture.set(Capture.start(CaptureSettings.of(config)));
                    } else if (done == total / 2 && killed.compareAndSet(false, true)) {
                        child.killHard(); // mid-batch, most likely: the load is running
                        projectors.add(Projector.start(ProjectorSettings.of(config, "ap-south")));
                    } else if (done == total * 3 / 5 && altered.compareAndSet(false, true)) {
                        try (Connection c = DriverManager.getConnection(shopUrl); Statement s = c.createStatement()) {
                            s.execute("ALTER TABLE customers ADD COLUMN tier text");
                        }
                        workload.alsoSet("tier");
                    } else if (done == total * 4 / 5 && rebuild.get() == null) {
                        // a rebuild under load, carried out by us-east's running projector
                        Thread thread = new Thread(() -> rebuilt.set(Rebuild.run(ProjectorSettings.of(config, "us-east"),
                                "orders", progress -> { }, java.time.Duration.ofSeconds(120))), "rebuild-orders");
                        if (rebuild.compareAndSet(null, thread)) {
                            thread.start();
                        }
                    }
                } catch (Exception e) {
                    throw new IllegalStateException(e);
                }
            });
            assertThat(workload.counts().total()).isGreaterThanOrEqualTo(total);
            rebuild.get().join();
            assertThat(rebuilt.get()).as("documents of the orders view rebuilt under load").isGreaterThan(seededMaxOrder - 1000);

            SourcePosition end;
            try (Connection c = DriverManager.getConnection(shopUrl)) {
                end = ConsistencyChecker.currentPosition(c);
            }
            awaitRegions(config, end);
            reading.set(false);
            reader.join();

            String firstViolations = String.join("\n", violations.subList(0, Math.min(5, violations.size())));
            try (Connection source = DriverManager.getConnection(shopUrl)) {
                for (RegionConfig region : config.regions().values()) {
                    try (Connection store = DriverManager.getConnection(region.store().url())) {
                        ConsistencyChecker.Report report = ConsistencyChecker.compare(source, store,
                                config.views().values(), region.name(), end);
                        assertThat(report.consistent()).as(() -> report + "\n" + orderTransactionsInLog(config, report))
                                .isTrue();
                        assertThat(report.documents()).containsEntry("products", 200).containsEntry("customer_orders", 100);
                        assertThat(violations).as("partial transactions seen by a reader of eu-west:\n" + firstViolations).isEmpty();
                        assertThat(reads.get()).isPositive();
                        try (Statement s = store.createStatement()) {
                            assertThat(single(s, "SELECT count(*) FROM replica_shop.customers WHERE tier IS NOT NULL"))
                                    .as(() -> "the column added mid-load, in " + region.name() + "; the log has "
                                            + customersInLog(config)).isPositive();
                        }
                    }
                }
            }
        } finally {
            child.close();
            projectors.forEach(Projector::close);
            if (capture.get() != null) {
                capture.get().close();
            }
        }
    }

    /** Every record of the configuration's change log, up to its end now. */
    private static List<io.outpost.log.ChangeLogReader.Entry> readLog(OutpostConfig config) {
        List<io.outpost.log.ChangeLogReader.Entry> all = new ArrayList<>();
        try (var reader = io.outpost.log.ChangeLogReader.open(config.log().access(), config.changesTopic(), true)) {
            long end = reader.endOffset(config.changesTopic());
            long next = 0;
            long deadline = System.nanoTime() + java.time.Duration.ofSeconds(60).toNanos();
            while (next < end && System.nanoTime() < deadline) {
                for (var entry : reader.poll(java.time.Duration.ofMillis(500))) {
                    next = entry.offset() + 1;
                    all.add(entry);
                }
            }
        }
        return all;
    }

    /** The log's records of the transactions that touched the orders that differ. */
    private static String orderTransactionsInLog(OutpostConfig config, ConsistencyChecker.Report report) {
        java.util.Set<Long> orders = new java.util.HashSet<>();
        report.differences().stream().filter(d -> d.view().equals("orders")).forEach(d -> orders.add(Long.parseLong(d.key())));
        List<io.outpost.core.change.ChangeRecord> all = new ArrayList<>();
        java.util.Set<SourcePosition> positions = new java.util.HashSet<>();
        for (var entry : readLog(config)) {
            all.add(entry.record());
            if (entry.record() instanceof io.outpost.core.change.RowChange row
                    && (row.table().equals("public.orders") && orders.contains(row.key().get("id"))
                    || row.table().equals("public.order_lines") && orders.contains(row.key().get("order_id")))) {
                positions.add(row.position());
            }
        }
        StringBuilder text = new StringBuilder("the log's records of those orders' transactions:");
        for (var record : all) {
            if (positions.contains(record.position())) {
                text.append("\n  ").append(record);
            }
        }
        return text.toString();
    }

    /** What the change log says about customers: its schema records and how many rows carry a tier. */
    private static String customersInLog(OutpostConfig config) {
        List<String> schemas = new ArrayList<>();
        long withTier = 0;
        long rows = 0;
        for (var entry : readLog(config)) {
            if (entry.record() instanceof io.outpost.core.change.TableSchema schema
                    && schema.table().equals("public.customers")) {
                schemas.add(entry.offset() + "@" + schema.position() + ":" + schema.columns().stream()
                        .map(io.outpost.core.change.TableSchema.Column::name).toList());
            } else if (entry.record() instanceof io.outpost.core.change.RowChange row
                    && row.table().equals("public.customers") && row.after() != null) {
                rows++;
                if (row.after().get("tier") != null) {
                    withTier++;
                    if (withTier == 1) {
                        schemas.add("first row with a tier: " + entry.offset() + "@" + row.position() + "/"
                                + row.sequence() + " " + row);
                    }
                }
            }
        }
        return "customers schemas " + schemas + ", " + rows + " customer rows, " + withTier + " with a tier";
    }

    private static long single(Statement s, String sql) throws Exception {
        try (ResultSet rs = s.executeQuery(sql)) {
            rs.next();
            return rs.getLong(1);
        }
    }
}

package io.outpost.capture;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.outpost.core.OutpostException;
import io.outpost.core.SourcePosition;
import io.outpost.core.change.ChangeRecord;
import io.outpost.core.change.Fence;
import io.outpost.core.change.Heartbeat;
import io.outpost.core.change.Operation;
import io.outpost.core.change.RowChange;
import io.outpost.core.change.TableSchema;
import io.outpost.core.change.TransactionEnd;
import io.outpost.core.config.KafkaAccess;
import io.outpost.core.config.OutpostConfig;
import io.outpost.embedded.EmbeddedKafka;
import io.outpost.embedded.EmbeddedPostgres;
import io.outpost.log.ChangeLogReader;
import io.outpost.runtime.Supervisor;
import io.outpost.source.FenceWriter;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ThreadLocalRandom;
import org.junit.jupiter.api.Test;
import org.postgresql.ds.PGSimpleDataSource;

class CaptureIT {

    /** A fresh source database with the shop's tables, named after the test. */
    static String database(String name) throws SQLException {
        String url = EmbeddedPostgres.shared().createDatabase(name);
        try (Connection c = DriverManager.getConnection(url); Statement s = c.createStatement()) {
            s.execute("CREATE TABLE IF NOT EXISTS customers (id bigint PRIMARY KEY, name text NOT NULL)");
            s.execute("CREATE TABLE IF NOT EXISTS orders (id bigint PRIMARY KEY, customer_id bigint NOT NULL, "
                    + "status text NOT NULL, total numeric(12,2))");
            s.execute("CREATE TABLE IF NOT EXISTS order_lines (order_id bigint, line_no int, qty int NOT NULL, "
                    + "PRIMARY KEY (order_id, line_no))");
        }
        return url;
    }

    /** The configuration the capture tests run: one source over {@code tables}, heartbeats every 200 ms. */
    static OutpostConfig config(String name, String url, String tables, String bootstrap) {
        String yaml = """
                source: { name: %s, url: "%s", user: postgres, tables: [%s], heartbeat-interval: 200ms }
                log: { bootstrap-servers: "%s" }
                monolith: { url: "http://localhost:8080" }
                regions: { us: { monolith-route: true, store: { url: "jdbc:postgresql://x/y", user: u }, gateway: { url: "http://localhost:7001" } } }
                auth: { mode: none }
                """.formatted(name, url, tables, bootstrap);
        return OutpostConfig.parse(yaml, Map.<String, String>of()::get);
    }

    static CaptureSettings settings(String name, String url) {
        return settings(name, url, "customers, orders, order_lines");
    }

    static CaptureSettings settings(String name, String url, String tables) {
        return CaptureSettings.of(config(name, url, tables, EmbeddedKafka.shared().bootstrapServers()));
    }

    /**
     * Reads the log from its start until {@code done} holds for what was read, leaving out the
     * schema announcements (transactions of schema records only, one per capture start), which
     * {@link #announcesEveryCapturedTableIncludingEmptyOnesInATransactionOfItsOwn} tests on their own.
     */
    static List<ChangeRecord> readUntil(String topic, java.util.function.Predicate<List<ChangeRecord>> done) {
        List<ChangeRecord> read = new ArrayList<>();
        List<ChangeRecord> rows = new ArrayList<>();
        try (ChangeLogReader reader = ChangeLogReader.open(KafkaAccess.plaintext(EmbeddedKafka.shared().bootstrapServers()), topic, true)) {
            await().alias("the change log " + topic + " has what the test waits for").atMost(Duration.ofSeconds(60))
                    .pollInterval(Duration.ofMillis(50)).until(() -> {
                        reader.poll(Duration.ofMillis(100)).forEach(e -> read.add(e.record()));
                        rows.clear();
                        rows.addAll(withoutAnnouncements(read));
                        return done.test(rows);
                    });
        }
        return rows;
    }

    /** {@code records} without the transactions that hold only schema records (announcements). */
    static List<ChangeRecord> withoutAnnouncements(List<ChangeRecord> records) {
        java.util.Set<SourcePosition> announcements = new java.util.HashSet<>();
        for (ChangeRecord r : records) {
            if (r instanceof TransactionEnd end && end.eventCount() == 0) {
                announcements.add(end.position());
            }
        }
        return records.stream().filter(r -> !(announcements.contains(r.position())
                && (r instanceof TableSchema || r instanceof TransactionEnd))).toList();
    }

    static long count(List<ChangeRecord> records, Class<? extends ChangeRecord> type) {
        return records.stream().filter(type::isInstance).count();
    }

    static void execute(String url, String... statements) throws SQLException {
        try (Connection c = DriverManager.getConnection(url)) {
            c.setAutoCommit(false);
            try (Statement s = c.createStatement()) {
                for (String sql : statements) {
                    s.execute(sql);
                }
            }
            c.commit();
        }
    }

    /** The log's transactions without heartbeats and fences: position → its records, END last. */
    static Map<SourcePosition, List<ChangeRecord>> transactions(List<ChangeRecord> records) {
        Map<SourcePosition, List<ChangeRecord>> result = new LinkedHashMap<>();
        for (ChangeRecord r : records) {
            if (r instanceof RowChange || r instanceof TableSchema || r instanceof TransactionEnd) {
                result.computeIfAbsent(r.position(), p -> new ArrayList<>()).add(r);
            }
        }
        return result;
    }

    @Test
    @SuppressWarnings("try") // the running capture is the resource: it lives for the block
    void announcesEveryCapturedTableIncludingEmptyOnesInATransactionOfItsOwn() throws Exception {
        String url = database("capture_announce");
        CaptureSettings settings = settings("announce", url); // every table is empty

        try (Capture capture = Capture.start(settings)) {
            List<ChangeRecord> read = new ArrayList<>();
            try (ChangeLogReader reader = ChangeLogReader.open(KafkaAccess.plaintext(EmbeddedKafka.shared().bootstrapServers()),
                    settings.changesTopic(), true)) {
                await().alias("the announcement is in the log").atMost(Duration.ofSeconds(60)).until(() -> {
                    reader.poll(Duration.ofMillis(100)).forEach(e -> read.add(e.record()));
                    return count(read, TransactionEnd.class) >= 1;
                });
            }
            List<ChangeRecord> announcement = transactions(read).values().iterator().next();
            assertThat(announcement).hasSize(4);
            assertThat(announcement.subList(0, 3)).allSatisfy(r -> assertThat(r).isInstanceOf(TableSchema.class))
                    .extracting(r -> ((TableSchema) r).table())
                    .containsExactly("public.customers", "public.order_lines", "public.orders");
            TableSchema orders = (TableSchema) announcement.get(2);
            // the same names and types a row's schema record carries
            assertThat(orders.columns()).extracting(TableSchema.Column::name, TableSchema.Column::type).containsExactly(
                    org.assertj.core.groups.Tuple.tuple("id", "int8"), org.assertj.core.groups.Tuple.tuple("customer_id", "int8"),
                    org.assertj.core.groups.Tuple.tuple("status", "text"),
                    org.assertj.core.groups.Tuple.tuple("total", "numeric(12,2)"));
            assertThat(orders.primaryKey()).containsExactly("id");
            assertThat(((TableSchema) announcement.get(1)).primaryKey()).containsExactly("order_id", "line_no");
            assertThat(((TransactionEnd) announcement.get(3)).eventCount()).isZero();
        }
    }

    @Test
    void publishesTheSnapshotThenWholeTransactionsWithTheirCommitPositions() throws Exception {
        String url = database("capture_grouping");
        execute(url, "INSERT INTO customers VALUES (1, 'Ada'), (2, 'Grace'), (3, 'Alan')");
        CaptureSettings settings = settings("grouping", url);

        try (Capture capture = Capture.start(settings)) {
            readUntil(settings.changesTopic(), r -> count(r, TransactionEnd.class) >= 1);
            execute(url, "INSERT INTO customers VALUES (4, 'Edsger')",
                    "INSERT INTO orders VALUES (10, 4, 'PLACED', 12.50)",
                    "INSERT INTO order_lines VALUES (10, 1, 2), (10, 2, 1)");
            execute(url, "UPDATE orders SET status = 'PAID' WHERE id = 10", "DELETE FROM order_lines WHERE order_id = 10 AND line_no = 2");

            List<ChangeRecord> log = readUntil(settings.changesTopic(), r -> count(r, TransactionEnd.class) >= 3);
            List<List<ChangeRecord>> txs = new ArrayList<>(transactions(log).values());

            List<ChangeRecord> snapshot = txs.get(0);
            assertThat(snapshot).filteredOn(RowChange.class::isInstance).hasSize(3)
                    .allSatisfy(r -> assertThat(((RowChange) r).operation()).isEqualTo(Operation.READ));
            assertThat(snapshot.getFirst()).isInstanceOf(TableSchema.class);
            assertThat(((TransactionEnd) snapshot.getLast()).eventCount()).isEqualTo(3);

            List<ChangeRecord> placed = txs.get(1);
            TransactionEnd placedEnd = (TransactionEnd) placed.getLast();
            assertThat(placedEnd.eventCount()).isEqualTo(4);
            // rows count 0..3, each schema shares the sequence of the row it precedes, the end carries the count
            assertThat(placed).extracting(ChangeRecord::sequence).containsExactly(0L, 1L, 1L, 2L, 2L, 3L, 4L);
            for (int i = 0; i + 1 < placed.size(); i++) {
                if (placed.get(i) instanceof TableSchema) {
                    assertThat(placed.get(i + 1)).isInstanceOf(RowChange.class);
                    assertThat(placed.get(i + 1).sequence()).isEqualTo(placed.get(i).sequence());
                }
            }
            assertThat(placed).filteredOn(RowChange.class::isInstance).extracting(r -> ((RowChange) r).table())
                    .containsExactly("public.customers", "public.orders", "public.order_lines", "public.order_lines");
            assertThat(placed).filteredOn(TableSchema.class::isInstance).extracting(r -> ((TableSchema) r).table())
                    .containsExactly("public.orders", "public.order_lines");
            RowChange order = placed.stream().filter(r -> r instanceof RowChange row && row.table().equals("public.orders"))
                    .map(RowChange.class::cast).findFirst().orElseThrow();
            assertThat(order.after()).containsEntry("total", new java.math.BigDecimal("12.50")).containsEntry("status", "PLACED");
            TableSchema orders = placed.stream().filter(r -> r instanceof TableSchema s && s.table().equals("public.orders"))
                    .map(TableSchema.class::cast).findFirst().orElseThrow();
            assertThat(orders.primaryKey()).containsExactly("id");
            assertThat(orders.columns()).extracting(TableSchema.Column::type).containsExactly("int8", "int8", "text", "numeric(12,2)");

            List<ChangeRecord> paid = txs.get(2);
            assertThat(((TransactionEnd) paid.getLast()).eventCount()).isEqualTo(2);
            RowChange delete = (RowChange) paid.get(paid.size() - 2);
            assertThat(delete.operation()).isEqualTo(Operation.DELETE);
            assertThat(delete.key()).isEqualTo(Map.of("order_id", 10L, "line_no", 2L));
            assertThat(placedEnd.position()).isGreaterThan(snapshot.getLast().position());
            assertThat(paid.getLast().position()).isGreaterThan(placedEnd.position());
            assertThat(capture.status().state()).isEqualTo(Supervisor.State.RUNNING);
        }
    }

    @Test
    void interleavedConcurrentTransactionsComeOutWholeInCommitOrder() throws Exception {
        String url = database("capture_order");
        CaptureSettings settings = settings("ordering", url);
        int writers = 8;
        int perWriter = 40;
        try (Capture capture = Capture.start(settings)) {
            readUntil(settings.changesTopic(), r -> count(r, Heartbeat.class) >= 1);
            ExecutorService pool = Executors.newFixedThreadPool(writers);
            try {
                List<Future<?>> done = new ArrayList<>();
                for (int w = 0; w < writers; w++) {
                    int writer = w;
                    done.add(pool.submit(() -> {
                        try (Connection c = DriverManager.getConnection(url)) {
                            c.setAutoCommit(false);
                            for (int i = 0; i < perWriter; i++) {
                                long id = writer * 1000L + i;
                                try (Statement s = c.createStatement()) {
                                    s.execute("INSERT INTO orders VALUES (" + id + ", " + writer + ", 'PLACED', 1)");
                                    Thread.sleep(ThreadLocalRandom.current().nextInt(3));
                                    s.execute("INSERT INTO order_lines VALUES (" + id + ", 1, 1)");
                                }
                                c.commit();
                            }
                        }
                        return null;
                    }));
                }
                for (Future<?> f : done) {
                    f.get();
                }
            } finally {
                pool.shutdownNow();
            }

            List<ChangeRecord> log = readUntil(settings.changesTopic(),
                    r -> count(r, TransactionEnd.class) >= writers * perWriter);
            List<SourcePosition> commits = log.stream().filter(TransactionEnd.class::isInstance)
                    .map(ChangeRecord::position).toList();
            assertThat(commits).isSorted().doesNotHaveDuplicates().hasSize(writers * perWriter);
            Set<Long> orders = new HashSet<>();
            for (List<ChangeRecord> tx : transactions(log).values()) {
                List<RowChange> rows = tx.stream().filter(RowChange.class::isInstance).map(RowChange.class::cast).toList();
                assertThat(rows).hasSize(2);
                assertThat(rows.get(0).after().get("id")).isEqualTo(rows.get(1).after().get("order_id"));
                orders.add((Long) rows.get(0).after().get("id"));
            }
            assertThat(orders).hasSize(writers * perWriter);
            assertThat(capture.status().transactions()).isGreaterThanOrEqualTo(writers * perWriter);
            // the log is contiguous per transaction: nothing of another transaction between BEGIN and END
            SourcePosition current = null;
            Set<SourcePosition> finished = new HashSet<>();
            for (ChangeRecord r : log) {
                if (r instanceof RowChange || r instanceof TableSchema) {
                    assertThat(finished).doesNotContain(r.position());
                    if (current != null && !current.equals(r.position())) {
                        assertThat(finished).contains(current);
                    }
                    current = r.position();
                } else if (r instanceof TransactionEnd end) {
                    finished.add(end.position());
                }
            }
        }
    }

    @Test
    void fencesAndHeartbeatsReachTheLog() throws Exception {
        String url = database("capture_fences");
        CaptureSettings settings = settings("fences", url);
        try (Capture capture = Capture.start(settings)) {
            readUntil(settings.changesTopic(), r -> count(r, Heartbeat.class) >= 1);
            PGSimpleDataSource ds = new PGSimpleDataSource();
            ds.setUrl(url);
            execute(url, "INSERT INTO customers VALUES (1, 'Ada')");
            var token = new FenceWriter(ds, "fences").write("gateway test");

            List<ChangeRecord> log = readUntil(settings.changesTopic(),
                    r -> r.stream().anyMatch(x -> x instanceof Fence f && f.position().equals(token.position())));
            Fence fence = log.stream().filter(Fence.class::isInstance).map(Fence.class::cast).findFirst().orElseThrow();
            assertThat(fence.id()).isEqualTo("gateway test");
            TransactionEnd insert = log.stream().filter(TransactionEnd.class::isInstance).map(TransactionEnd.class::cast)
                    .reduce((a, b) -> b).orElseThrow();
            assertThat(fence.position()).isGreaterThan(insert.position());
            assertThat(log.indexOf(fence)).isGreaterThan(log.indexOf(insert));
            List<SourcePosition> beats = log.stream().filter(Heartbeat.class::isInstance).map(ChangeRecord::position).toList();
            assertThat(beats).isSorted();
            assertThat(capture.status().lastPosition()).isGreaterThanOrEqualTo(token.position());
        }
    }

    @Test
    void refusesToStartOnAMisconfiguredSourceNamingEachFix() throws Exception {
        String url = database("capture_misconfigured");
        execute(url, "CREATE TABLE IF NOT EXISTS notes (at timestamptz, body text)");
        String yaml = """
                source: { name: broken, url: "%s", user: postgres, tables: [orders, notes, nowhere] }
                log: { bootstrap-servers: "%s" }
                monolith: { url: "http://localhost:8080" }
                regions: { us: { monolith-route: true, store: { url: "jdbc:postgresql://x/y", user: u }, gateway: { url: "http://localhost:7001" } } }
                auth: { mode: none }
                """.formatted(url, EmbeddedKafka.shared().bootstrapServers());
        CaptureSettings settings = CaptureSettings.of(OutpostConfig.parse(yaml, Map.<String, String>of()::get));

        assertThatThrownBy(() -> Capture.start(settings))
                .isInstanceOf(OutpostException.class)
                .hasMessageContaining("capture of source broken cannot start:")
                .hasMessageContaining("the table public.notes has no primary key")
                .hasMessageContaining("source.tables names public.nowhere, which does not exist");
    }

    @Test
    void aSecondCaptureWaitsAndTakesOverWhenTheFirstStops() throws Exception {
        String url = database("capture_standby");
        CaptureSettings settings = settings("standby", url);
        Capture first = Capture.start(settings);
        try (Capture second = Capture.start(settings)) {
            await().alias("one capture runs, the other waits").atMost(Duration.ofSeconds(60)).until(() ->
                    first.status().state() == Supervisor.State.RUNNING
                            && second.status().state() == Supervisor.State.WAITING_FOR_LOCK);
            execute(url, "INSERT INTO customers VALUES (1, 'Ada')");
            readUntil(settings.changesTopic(), r -> count(r, RowChange.class) >= 1);

            first.close();
            await().alias("the standby took over").atMost(Duration.ofSeconds(60))
                    .until(() -> second.status().state() == Supervisor.State.RUNNING);
            execute(url, "INSERT INTO customers VALUES (2, 'Grace')");

            List<ChangeRecord> log = readUntil(settings.changesTopic(), r -> r.stream()
                    .anyMatch(x -> x instanceof RowChange row && Long.valueOf(2).equals(row.key().get("id"))));
            Map<String, SourcePosition> positions = new LinkedHashMap<>();
            for (ChangeRecord r : log) {
                if (r instanceof RowChange row) {
                    SourcePosition earlier = positions.putIfAbsent(row.key().toString(), row.position());
                    assertThat(earlier == null || earlier.equals(row.position()))
                            .as("a duplicate of %s carries the same position", row.key()).isTrue();
                }
            }
            assertThat(positions).hasSize(2);
        } finally {
            first.close();
        }
    }
}

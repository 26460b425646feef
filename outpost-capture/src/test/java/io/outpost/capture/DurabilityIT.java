package io.outpost.capture;

import static io.outpost.capture.CaptureIT.count;
import static io.outpost.capture.CaptureIT.database;
import static io.outpost.capture.CaptureIT.execute;
import static io.outpost.capture.CaptureIT.readUntil;
import static io.outpost.capture.CaptureIT.settings;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.outpost.core.SourcePosition;
import io.outpost.core.change.ChangeRecord;
import io.outpost.core.change.Heartbeat;
import io.outpost.core.change.RowChange;
import io.outpost.core.change.TransactionEnd;
import io.outpost.embedded.ChildJvm;
import io.outpost.embedded.EmbeddedKafka;
import java.io.StringReader;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Set;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.postgresql.PGConnection;

class DurabilityIT {

    /**
     * Checks the invariant after crashes: every committed order id is in the log, and where a row
     * appears more than once every copy carries the same (position, seq).
     */
    private static void assertEveryRowOnceOrIdentical(List<ChangeRecord> log, String table, int expected) {
        Map<Object, String> placeOf = new HashMap<>();
        for (ChangeRecord r : log) {
            if (r instanceof RowChange row && row.table().equals(table)) {
                String place = row.position() + "/" + row.sequence();
                String earlier = placeOf.putIfAbsent(row.key(), place);
                assertThat(earlier == null || earlier.equals(place))
                        .as("row %s appears at %s and at %s", row.key(), earlier, place).isTrue();
            }
        }
        assertThat(placeOf).hasSize(expected);
        List<TransactionEnd> ends = log.stream().filter(TransactionEnd.class::isInstance).map(TransactionEnd.class::cast).toList();
        Set<SourcePosition> seen = new HashSet<>();
        SourcePosition latest = SourcePosition.ZERO;
        for (int i = 0; i < ends.size(); i++) {
            TransactionEnd end = ends.get(i);
            if (seen.add(end.position())) {
                int at = i;
                assertThat(end.position()).as(() -> "transaction %s first appears after later ones: %s".formatted(end,
                        ends.subList(Math.max(0, at - 6), Math.min(ends.size(), at + 3)).stream()
                                .map(e -> e.position() + " " + e.transactionId() + " " + e.eventCount()).toList()))
                        .isGreaterThanOrEqualTo(latest);
                latest = end.position();
            }
        }
    }

    /** Waits until the capture streams: a heartbeat newer than anything in the log so far. */
    private static void streaming(CaptureSettings settings) {
        List<ChangeRecord> before = readUntil(settings.changesTopic(), r -> true);
        SourcePosition last = before.stream().map(ChangeRecord::position).max(SourcePosition::compareTo)
                .orElse(SourcePosition.ZERO);
        readUntil(settings.changesTopic(), r -> r.stream().anyMatch(x -> x instanceof Heartbeat && x.position().isAfter(last)));
    }

    private static int ordersIn(List<ChangeRecord> log) {
        return (int) log.stream().filter(r -> r instanceof RowChange row && row.table().equals("public.orders"))
                .map(r -> ((RowChange) r).key()).distinct().count();
    }

    @Test
    @DisplayName("kill -9 of capture during a load, then a restart: nothing committed is missing, duplicates are identical")
    @SuppressWarnings("try") // the running process is the resource: it lives for the block
    void survivesAHardKillDuringALoad() throws Exception {
        String url = database("durability_load");
        CaptureSettings settings = settings("load", url);
        String bootstrap = EmbeddedKafka.shared().bootstrapServers();
        int total = 1500;
        AtomicInteger committed = new AtomicInteger();
        ChildJvm first = CaptureProcess.start("load", url, bootstrap);
        CompletableFuture<Void> writer = CompletableFuture.runAsync(() -> {
            try (Connection c = DriverManager.getConnection(url);
                 PreparedStatement s = c.prepareStatement("INSERT INTO orders VALUES (?, 1, 'PLACED', 1)")) {
                for (int i = 1; i <= total; i++) {
                    s.setLong(1, i);
                    s.executeUpdate();
                    committed.incrementAndGet();
                    Thread.sleep(2); // a steady load, so that the kill lands in its middle
                }
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        });
        try {
            readUntil(settings.changesTopic(), r -> ordersIn(r) >= 300);
            first.killHard();
            int atKill = committed.get();
            writer.join();
            assertThat(atKill).as("the kill came during the load").isLessThan(total);
        } finally {
            first.close();
        }

        try (ChildJvm second = CaptureProcess.start("load", url, bootstrap)) {
            List<ChangeRecord> log = readUntil(settings.changesTopic(), r -> ordersIn(r) >= total);
            assertEveryRowOnceOrIdentical(log, "public.orders", total);
        }
    }

    @Test
    @DisplayName("kill -9 right after the initial snapshot: the restart does not snapshot again")
    @SuppressWarnings("try") // the running process is the resource: it lives for the block
    void doesNotSnapshotAgainAfterAHardKillRightAfterTheSnapshot() throws Exception {
        String url = database("durability_snapshot");
        execute(url, "INSERT INTO customers SELECT g, 'customer ' || g FROM generate_series(1, 500) g");
        CaptureSettings settings = settings("snapshot_kill", url);
        String bootstrap = EmbeddedKafka.shared().bootstrapServers();
        try (ChildJvm first = CaptureProcess.start("snapshot_kill", url, bootstrap)) {
            readUntil(settings.changesTopic(), r -> count(r, TransactionEnd.class) >= 1);
            first.killHard();
        }
        try (ChildJvm second = CaptureProcess.start("snapshot_kill", url, bootstrap)) {
            execute(url, "INSERT INTO customers VALUES (501, 'after the restart')");
            List<ChangeRecord> log = readUntil(settings.changesTopic(), r -> r.stream()
                    .anyMatch(x -> x instanceof RowChange row && Long.valueOf(501).equals(row.key().get("id"))));
            List<TransactionEnd> snapshots = log.stream().filter(TransactionEnd.class::isInstance)
                    .map(TransactionEnd.class::cast).filter(e -> e.transactionId().startsWith("snapshot:")).toList();
            assertThat(snapshots).hasSize(1);
            assertThat(snapshots.getFirst().eventCount()).isEqualTo(500);
            assertEveryRowOnceOrIdentical(log, "public.customers", 501);
        }
    }

    @Test
    @DisplayName("same-LSN loss class: 10k-row single statements (multi-row INSERT and COPY) survive kill -9 mid-stream")
    @SuppressWarnings("try") // the running process is the resource: it lives for the block
    void survivesAHardKillWhileStreamingLargeSingleStatements() throws Exception {
        String url = database("durability_bulk");
        CaptureSettings settings = settings("bulk", url);
        String bootstrap = EmbeddedKafka.shared().bootstrapServers();
        int[] killDelaysMillis = {150, 400};
        int rows = 0;
        for (int round = 0; round < killDelaysMillis.length; round++) {
            try (ChildJvm capture = CaptureProcess.start("bulk", url, bootstrap)) {
                streaming(settings);
                int base = round * 20_000;
                // one statement, 10,000 rows, one transaction: every row shares the statement's transaction
                execute(url, "INSERT INTO order_lines SELECT " + base + " + g, 1, 1 FROM generate_series(1, 10000) g");
                try (Connection c = DriverManager.getConnection(url)) {
                    var copy = new StringBuilder();
                    for (int i = 1; i <= 10_000; i++) {
                        copy.append(base + 10_000 + i).append("\t1\t2\n");
                    }
                    c.unwrap(PGConnection.class).getCopyAPI().copyIn("COPY order_lines FROM STDIN", new StringReader(copy.toString()));
                }
                rows += 20_000;
                Thread.sleep(killDelaysMillis[round]);
                capture.killHard();
            }
        }
        try (ChildJvm last = CaptureProcess.start("bulk", url, bootstrap)) {
            int expected = rows;
            // every row, and the end of every transaction they are in: a fetch may stop between a
            // transaction's last row and its end (regression: the check below once saw 3 ends of 4)
            List<ChangeRecord> log = readUntil(settings.changesTopic(), r -> r.stream()
                    .filter(x -> x instanceof RowChange row && row.table().equals("public.order_lines"))
                    .map(x -> ((RowChange) x).key()).distinct().count() >= expected
                    && r.stream().filter(TransactionEnd.class::isInstance).map(ChangeRecord::position).collect(
                            java.util.stream.Collectors.toSet()).containsAll(r.stream().filter(RowChange.class::isInstance)
                            .map(ChangeRecord::position).collect(java.util.stream.Collectors.toSet())));
            assertEveryRowOnceOrIdentical(log, "public.order_lines", expected);
            List<TransactionEnd> statements = log.stream().filter(TransactionEnd.class::isInstance)
                    .map(TransactionEnd.class::cast).filter(end -> !end.transactionId().startsWith("snapshot:")).toList();
            assertThat(statements).isNotEmpty().allSatisfy(end -> assertThat(end.eventCount()).isEqualTo(10_000));
            assertThat(statements.stream().map(ChangeRecord::position).distinct().count()).isEqualTo(4);
        }
    }

    @Test
    @DisplayName("a transaction open at the source across a heartbeat and a capture restart comes out whole "
            + "(regression: acknowledging a non-transactional message made Debezium skip its early rows)")
    @SuppressWarnings("try") // the running captures are the resources: each lives for its block
    void aTransactionOpenAcrossAHeartbeatAndARestartComesOutWhole() throws Exception {
        String url = CaptureIT.database("durability_open_tx");
        CaptureSettings settings = CaptureIT.settings("open_tx", url);
        try (Connection open = DriverManager.getConnection(url)) {
            open.setAutoCommit(false);
            try (Capture capture = Capture.start(settings)) {
                readUntil(settings.changesTopic(), r -> count(r, Heartbeat.class) >= 1);
                SourcePosition firstRow;
                try (Statement s = open.createStatement()) {
                    s.execute("INSERT INTO customers VALUES (100, 'written before the heartbeat')");
                    try (ResultSet rs = s.executeQuery("SELECT pg_current_wal_lsn()::text")) {
                        rs.next();
                        firstRow = SourcePosition.parse(rs.getString(1));
                    }
                }
                // a heartbeat after the open transaction's first row, and capture's offset stored past it
                readUntil(settings.changesTopic(), r -> r.stream()
                        .anyMatch(x -> x instanceof Heartbeat && x.position().isAfter(firstRow)));
                await().alias("the slot confirmed past the open transaction's first row").atMost(Duration.ofSeconds(30))
                        .until(() -> confirmedFlush(url, settings.source().slot()).isAfter(firstRow));
            }
            try (Statement s = open.createStatement()) {
                s.execute("INSERT INTO customers VALUES (101, 'written after it')");
            }
            open.commit();
        }
        try (Capture capture = Capture.start(settings)) {
            // until the end of the transaction that holds row 101
            List<ChangeRecord> log = readUntil(settings.changesTopic(), r -> r.stream()
                    .filter(x -> x instanceof RowChange row && row.key().equals(Map.of("id", 101L))).findFirst()
                    .map(late -> r.stream().anyMatch(x -> x instanceof TransactionEnd && x.position().equals(late.position())))
                    .orElse(false));
            RowChange late = log.stream().filter(x -> x instanceof RowChange row && row.key().equals(Map.of("id", 101L)))
                    .map(RowChange.class::cast).findFirst().orElseThrow();
            List<ChangeRecord> transaction = log.stream().filter(x -> x.position().equals(late.position())).toList();
            assertThat(transaction).filteredOn(RowChange.class::isInstance).extracting(x -> ((RowChange) x).key())
                    .as("both rows of the transaction, in one transaction").containsExactly(Map.of("id", 100L), Map.of("id", 101L));
            assertThat(((TransactionEnd) transaction.getLast()).eventCount()).isEqualTo(2);
        }
    }

    @Test
    @DisplayName("the slot is confirmed below the stored offset, so a restart never finds its offset gone "
            + "(regression: with the commit LSN confirmed, PostgreSQL moved the slot's restart LSN above the stored "
            + "offset and every later start failed with 'no longer available on the server')")
    @SuppressWarnings("try") // the running captures are the resources: each lives for its block
    void theSlotIsConfirmedBelowTheStoredOffset() throws Exception {
        String url = CaptureIT.database("durability_confirmed");
        CaptureSettings settings = CaptureIT.settings("confirmed", url);
        SourcePosition published;
        try (Capture capture = Capture.start(settings)) {
            readUntil(settings.changesTopic(), r -> count(r, Heartbeat.class) >= 1);
            execute(url, "INSERT INTO customers VALUES (300, 'before the restart')");
            List<ChangeRecord> log = readUntil(settings.changesTopic(), r -> r.stream()
                    .anyMatch(x -> x instanceof RowChange row && Long.valueOf(300).equals(row.key().get("id"))));
            SourcePosition row = log.stream().filter(x -> x instanceof RowChange c && Long.valueOf(300).equals(c.key().get("id")))
                    .map(ChangeRecord::position).findFirst().orElseThrow();
            await().alias("the slot confirmed up to the row's transaction").atMost(Duration.ofSeconds(30))
                    .until(() -> confirmedFlush(url, settings.source().slot()).lsn() >= row.lsn() - 1);
        }
        // the last transaction acknowledged: an end, or a heartbeat (heartbeats are transactions)
        published = readUntil(settings.changesTopic(), r -> true).stream()
                .filter(x -> x instanceof TransactionEnd || x instanceof Heartbeat)
                .map(ChangeRecord::position).max(SourcePosition::compareTo).orElseThrow();
        // with nothing running, a standby snapshot lets PostgreSQL move the restart LSN as far as it may
        execute(url, "SELECT pg_log_standby_snapshot()");
        execute(url, "CHECKPOINT");
        SourcePosition confirmed = confirmedFlush(url, settings.source().slot());
        assertThat(confirmed.lsn()).as("confirmed one below a commit, never at it").isLessThan(published.lsn());
        try (Connection c = DriverManager.getConnection(url);
             var s = c.prepareStatement("SELECT restart_lsn::text FROM pg_replication_slots WHERE slot_name = ?")) {
            s.setString(1, settings.source().slot());
            try (ResultSet rs = s.executeQuery()) {
                rs.next();
                assertThat(SourcePosition.parse(rs.getString(1)).lsn()).isLessThanOrEqualTo(confirmed.lsn());
            }
        }
        try (Capture capture = Capture.start(settings)) {
            execute(url, "INSERT INTO customers VALUES (301, 'after the restart')");
            List<ChangeRecord> log = readUntil(settings.changesTopic(), r -> r.stream()
                    .anyMatch(x -> x instanceof RowChange row && Long.valueOf(301).equals(row.key().get("id"))));
            assertEveryRowOnceOrIdentical(log, "public.customers", 2);
        }
    }

    private static SourcePosition confirmedFlush(String url, String slot) throws Exception {
        try (Connection c = DriverManager.getConnection(url);
             var s = c.prepareStatement("SELECT coalesce(confirmed_flush_lsn, '0/0')::text FROM pg_replication_slots "
                     + "WHERE slot_name = ?")) {
            s.setString(1, slot);
            try (ResultSet rs = s.executeQuery()) {
                return rs.next() ? SourcePosition.parse(rs.getString(1)) : SourcePosition.ZERO;
            }
        }
    }
}

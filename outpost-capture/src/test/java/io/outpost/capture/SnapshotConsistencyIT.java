package io.outpost.capture;

import static io.outpost.capture.CaptureIT.database;
import static io.outpost.capture.CaptureIT.execute;
import static io.outpost.capture.CaptureIT.readUntil;
import static io.outpost.capture.CaptureIT.settings;
import static java.util.concurrent.TimeUnit.SECONDS;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.outpost.core.SourcePosition;
import io.outpost.core.change.ChangeRecord;
import io.outpost.core.change.Operation;
import io.outpost.core.change.RowChange;
import io.outpost.core.change.TransactionEnd;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

class SnapshotConsistencyIT {

    /**
     * A consumer's view: applies whole transactions in log order, once each (a transaction at or
     * below what it applied is skipped), keeping the old value of a column an update leaves out.
     */
    private static Map<Long, Map<String, Object>> replay(List<ChangeRecord> log, String table) {
        Map<Long, Map<String, Object>> rows = new TreeMap<>();
        List<RowChange> pending = new ArrayList<>();
        SourcePosition applied = SourcePosition.ZERO;
        for (ChangeRecord record : log) {
            if (record instanceof RowChange row && row.table().equals(table)) {
                if (!pending.isEmpty() && !pending.getFirst().position().equals(row.position())) {
                    pending.clear(); // a transaction cut short by a crash; it comes again whole
                }
                pending.add(row);
            } else if (record instanceof TransactionEnd end) {
                if (end.position().isAfter(applied)) {
                    for (RowChange row : pending) {
                        if (!row.position().equals(end.position())) {
                            continue;
                        }
                        long id = (Long) row.key().get("id");
                        if (row.operation() == Operation.DELETE) {
                            rows.remove(id);
                        } else {
                            Map<String, Object> merged = new HashMap<>(rows.getOrDefault(id, Map.of()));
                            merged.putAll(row.after());
                            rows.put(id, merged);
                        }
                    }
                    applied = end.position();
                }
                pending.clear();
            }
        }
        return rows;
    }

    /** A write of the test's writer: a lower bound of its commit position, and when its commit returned. */
    private record Write(SourcePosition before, long committedAt) {
    }

    @Test
    @DisplayName("writes committed while the snapshot ran (counted, at least one) reach a consumer once each, in the source's final state")
    void aConsumerReadingFromTheStartEndsInTheSourceStateDespiteWritesDuringTheSnapshot() throws Exception {
        String url = database("snapshot_consistency");
        execute(url, "INSERT INTO orders SELECT g, g % 50, 'PLACED', g FROM generate_series(1, 20000) g");
        CaptureSettings settings = settings("consistency", url);
        AtomicBoolean writing = new AtomicBoolean(true);
        List<Write> writes = new CopyOnWriteArrayList<>();
        // updates, inserts and deletes from before the snapshot starts until after it ends
        CompletableFuture<Void> writer = CompletableFuture.runAsync(() -> {
            try (Connection c = DriverManager.getConnection(url); Statement s = c.createStatement()) {
                c.setAutoCommit(false);
                long next = 20_001;
                while (writing.get()) {
                    int id = ThreadLocalRandom.current().nextInt(1, 20_000);
                    switch (ThreadLocalRandom.current().nextInt(3)) {
                        case 0 -> s.execute("UPDATE orders SET status = 'PAID', total = total + 1 WHERE id = " + id);
                        case 1 -> s.execute("INSERT INTO orders VALUES (" + next++ + ", 1, 'PLACED', 1)");
                        default -> s.execute("DELETE FROM orders WHERE id = " + id);
                    }
                    SourcePosition before;
                    try (ResultSet rs = s.executeQuery("SELECT pg_current_wal_insert_lsn()::text")) {
                        rs.next();
                        before = SourcePosition.parse(rs.getString(1)); // the commit record comes after this
                    }
                    c.commit();
                    writes.add(new Write(before, System.nanoTime()));
                }
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        });
        try (Capture capture = Capture.start(settings)) {
            List<ChangeRecord> snapshot = readUntil(settings.changesTopic(), r -> r.stream().anyMatch(x -> x instanceof TransactionEnd e
                    && e.transactionId().startsWith("snapshot:")));
            long snapshotRead = System.nanoTime();
            SourcePosition consistentPoint = snapshot.stream().filter(x -> x instanceof TransactionEnd e
                    && e.transactionId().startsWith("snapshot:")).findFirst().orElseThrow().position();
            await().alias("more writes after the snapshot").atMost(30, SECONDS)
                    .until(() -> writes.stream().filter(w -> w.committedAt() > snapshotRead).count() >= 50);
            writing.set(false);
            writer.join();
            long during = writes.stream().filter(w -> w.before().isAfter(consistentPoint) && w.committedAt() < snapshotRead)
                    .count();
            assertThat(during).as("writes committed after the snapshot's consistent point, before it was read whole")
                    .isPositive();
            execute(url, "INSERT INTO orders VALUES (999999, 0, 'LAST', 0)");

            List<ChangeRecord> log = readUntil(settings.changesTopic(), r -> r.stream()
                    .anyMatch(x -> x instanceof RowChange row && Long.valueOf(999_999).equals(row.key().get("id"))));
            Map<Long, Map<String, Object>> replayed = replay(log, "public.orders");

            Map<Long, Map<String, Object>> source = new TreeMap<>();
            try (Connection c = DriverManager.getConnection(url); Statement s = c.createStatement();
                 ResultSet rs = s.executeQuery("SELECT id, customer_id, status, total FROM orders")) {
                while (rs.next()) {
                    source.put(rs.getLong(1), Map.of("id", rs.getLong(1), "customer_id", rs.getLong(2),
                            "status", rs.getString(3), "total", rs.getBigDecimal(4)));
                }
            }
            assertThat(replayed.keySet()).isEqualTo(source.keySet());
            assertThat(replayed).isEqualTo(source);
            assertThat(capture.status().rows()).isGreaterThanOrEqualTo(20_000);
        }
    }
}

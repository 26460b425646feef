package io.outpost.capture.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.debezium.engine.DebeziumEngine;
import io.debezium.engine.RecordChangeEvent;
import io.outpost.core.OutpostException;
import io.outpost.core.SourcePosition;
import io.outpost.core.change.ChangeRecord;
import io.outpost.log.ChangeLog;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import org.apache.kafka.connect.data.Schema;
import org.apache.kafka.connect.data.SchemaBuilder;
import org.apache.kafka.connect.data.Struct;
import org.apache.kafka.connect.source.SourceRecord;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * When capture acknowledges what it published. The log here is one whose acknowledgements the test
 * releases (a real broker acknowledges when it likes; these tests are about the order of
 * acknowledgement and offsets, which {@code DurabilityIT} exercises with a real broker and kill -9).
 * Debezium's records are built the way its PostgreSQL connector shapes them.
 */
class TransactionAssemblerTest {

    private static final String PREFIX = "outpost_test";
    private static final Schema ROW = SchemaBuilder.struct().name("row").optional()
            .field("id", Schema.INT64_SCHEMA).build();
    private static final Schema KEY = SchemaBuilder.struct().name("key").field("id", Schema.INT64_SCHEMA).build();
    private static final Schema SOURCE = SchemaBuilder.struct().name("source")
            .field("schema", Schema.STRING_SCHEMA).field("table", Schema.STRING_SCHEMA)
            .field("lsn", Schema.OPTIONAL_INT64_SCHEMA).field("ts_ms", Schema.INT64_SCHEMA)
            .field("snapshot", Schema.OPTIONAL_STRING_SCHEMA).build();
    private static final Schema TRANSACTION_BLOCK = SchemaBuilder.struct().name("block").optional()
            .field("id", Schema.STRING_SCHEMA).build();
    private static final Schema ENVELOPE = SchemaBuilder.struct().name("envelope")
            .field("before", ROW).field("after", ROW).field("source", SOURCE)
            .field("op", Schema.STRING_SCHEMA).field("transaction", TRANSACTION_BLOCK).build();
    private static final Schema TRANSACTION = SchemaBuilder.struct().name("transaction")
            .field("status", Schema.STRING_SCHEMA).field("id", Schema.STRING_SCHEMA)
            .field("ts_ms", Schema.INT64_SCHEMA).build();

    @TempDir
    Path spill;

    /** A log that acknowledges an append only when the test says so (or on {@link #flush}). */
    private static final class HeldLog implements ChangeLog {
        final List<CompletableFuture<Void>> held = new ArrayList<>();
        final List<ChangeRecord> appended = new ArrayList<>();
        int sendNowCalls;
        int flushCalls;

        @Override
        public String topic() {
            return "outpost.test.changes";
        }

        @Override
        public CompletableFuture<Void> append(List<? extends ChangeRecord> records) {
            appended.addAll(records);
            CompletableFuture<Void> durable = new CompletableFuture<>();
            held.add(durable);
            return durable;
        }

        void acknowledgeAll() {
            held.forEach(f -> f.complete(null));
        }

        @Override
        public void sendNow() {
            sendNowCalls++;
        }

        @Override
        public void flush() {
            flushCalls++;
            acknowledgeAll();
        }

        @Override
        public void close() {
        }
    }

    /** What the engine was told: the commit LSN of each acknowledged transaction end, in order. */
    private static final class RecordingCommitter
            implements DebeziumEngine.RecordCommitter<RecordChangeEvent<SourceRecord>> {
        final List<Object> acknowledgedCommits = new ArrayList<>();
        final List<Map<String, Object>> offsets = new ArrayList<>();
        int batchesFinished;

        @Override
        public void markProcessed(RecordChangeEvent<SourceRecord> event) {
            acknowledgedCommits.add(event.record().sourceOffset().get("lsn_commit"));
        }

        @Override
        public void markProcessed(RecordChangeEvent<SourceRecord> event, DebeziumEngine.Offsets given) {
            markProcessed(event);
            offsets.add(((MapOffsets) given).values);
        }

        @Override
        public void markBatchFinished() {
            batchesFinished++;
        }

        @Override
        public DebeziumEngine.Offsets buildOffsets() {
            return new MapOffsets();
        }
    }

    private static final class MapOffsets implements DebeziumEngine.Offsets {
        final Map<String, Object> values = new HashMap<>();

        @Override
        public void set(String key, Object value) {
            values.put(key, value);
        }
    }

    private final HeldLog log = new HeldLog();
    private final RecordingCommitter committer = new RecordingCommitter();
    private final CommitPolicy commits = new CommitPolicy(Duration.ofSeconds(1));

    private TransactionAssembler assembler() {
        // the first commit is due at once; these tests start after it
        commits.performCommit(1, Duration.ZERO);
        return new TransactionAssembler("test", PREFIX, log, 1000, spill, SourcePosition.ZERO, commits, () -> true,
                java.time.InstantSource.system(), io.outpost.runtime.Freshness.of(io.outpost.runtime.Meters.of(
                        new io.micrometer.core.instrument.simple.SimpleMeterRegistry())));
    }

    /** BEGIN, one inserted row and END of a transaction committing at {@code commitLsn}. */
    private static List<RecordChangeEvent<SourceRecord>> transaction(long xid, long id, long commitLsn) {
        Struct begin = new Struct(TRANSACTION).put("status", "BEGIN").put("id", xid + ":" + (commitLsn - 100))
                .put("ts_ms", 1_000L);
        Struct after = new Struct(ROW).put("id", id);
        Struct source = new Struct(SOURCE).put("schema", "public").put("table", "orders").put("lsn", commitLsn - 50)
                .put("ts_ms", 1_000L);
        Struct row = new Struct(ENVELOPE).put("after", after).put("source", source).put("op", "c")
                .put("transaction", new Struct(TRANSACTION_BLOCK).put("id", xid + ":" + (commitLsn - 50)));
        Struct end = new Struct(TRANSACTION).put("status", "END").put("id", xid + ":" + commitLsn).put("ts_ms", 1_000L);
        Map<String, ?> partition = Map.of("server", PREFIX);
        return List.of(
                event(new SourceRecord(partition, Map.of("lsn", commitLsn - 100), PREFIX + ".transaction", null,
                        null, null, TRANSACTION, begin)),
                event(new SourceRecord(partition, Map.of("lsn", commitLsn - 50), PREFIX + ".public.orders", null,
                        KEY, new Struct(KEY).put("id", id), ENVELOPE, row)),
                event(new SourceRecord(partition, Map.of("lsn_commit", commitLsn, "lsn_proc", commitLsn),
                        PREFIX + ".transaction", null, null, null, TRANSACTION, end)));
    }

    private static RecordChangeEvent<SourceRecord> event(SourceRecord record) {
        return () -> record;
    }

    @Test
    void aBatchThatWasNotFullIsAcknowledgedByALaterBatchOnceItIsDurable() throws Exception {
        TransactionAssembler assembler = assembler();

        assembler.handleBatch(transaction(1, 1, 1_000), committer);

        assertThat(log.sendNowCalls).as("sent without waiting").isEqualTo(1);
        assertThat(log.flushCalls).isZero();
        assertThat(committer.acknowledgedCommits).as("nothing acknowledged before it is durable").isEmpty();
        assertThat(committer.batchesFinished).isEqualTo(1);
        assertThat(assembler.rows()).as("published figures count what is durable").isZero();

        log.acknowledgeAll();
        assertThat(assembler.rows()).isEqualTo(1);
        assertThat(assembler.lastPosition()).isEqualTo(SourcePosition.ofLsn(1_000));

        assembler.handleBatch(transaction(2, 2, 2_000), committer);

        assertThat(committer.acknowledgedCommits).as("the first transaction, not the second (still held)")
                .containsExactly(1_000L);
        assertThat(committer.offsets.getFirst()).containsEntry("lsn_commit", 999L).containsEntry("lsn_proc", 999L);
    }

    @Test
    void acknowledgesInOrderAndStopsAtTheFirstBatchNotYetDurable() throws Exception {
        TransactionAssembler assembler = assembler();
        assembler.handleBatch(transaction(1, 1, 1_000), committer);
        assembler.handleBatch(transaction(2, 2, 2_000), committer);
        log.held.get(1).complete(null); // the second batch's append, before the first's

        assembler.handleBatch(transaction(3, 3, 3_000), committer);

        assertThat(committer.acknowledgedCommits).isEmpty();

        log.held.getFirst().complete(null);
        assembler.handleBatch(transaction(4, 4, 4_000), committer);

        assertThat(committer.acknowledgedCommits).containsExactly(1_000L, 2_000L);
    }

    @Test
    void aCommitDueAtOnceMakesTheBatchWaitSoItsOffsetCoversTheWholeBatch() throws Exception {
        TransactionAssembler assembler = assembler();
        commits.requestCommit();

        assembler.handleBatch(transaction(1, 1, 1_000), committer);

        assertThat(log.flushCalls).isEqualTo(1);
        assertThat(committer.acknowledgedCommits).containsExactly(1_000L);
    }

    @Test
    void aBatchTheLogRefusedStopsTheEngineAtTheNextBatch() throws Exception {
        TransactionAssembler assembler = assembler();
        assembler.handleBatch(transaction(1, 1, 1_000), committer);
        log.held.getFirst().completeExceptionally(new OutpostException.Retriable("the change log refused it", null));

        assertThatThrownBy(() -> assembler.handleBatch(transaction(2, 2, 2_000), committer))
                .hasMessageContaining("the change log refused it");
        assertThat(committer.acknowledgedCommits).isEmpty();
        assertThat(assembler.rows()).isZero();
    }
}

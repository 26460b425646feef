package io.outpost.capture.internal;

import io.debezium.engine.DebeziumEngine;
import io.debezium.engine.RecordChangeEvent;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import org.apache.kafka.connect.source.SourceRecord;

/**
 * What capture tells Debezium it has processed, and when: the offsets that decide where the engine
 * resumes after a crash.
 *
 * <p>Only transaction ends (with {@link #endOffsets}) and snapshot rows are acknowledged, and only
 * once everything the batch that carried them appended is durable in the log, oldest batch first.
 * Nothing else is ever acknowledged: rows and transactional messages are covered by their
 * transaction's end; a non-transactional message (a fence) or one of Debezium's own heartbeat
 * records would store an offset inside a transaction still open at the source, and after a restart
 * Debezium would skip that transaction's early rows (a partial transaction in the log; found by the
 * projection test).
 *
 * <p>Thread confinement: only the engine's thread uses an instance.
 */
final class OffsetAcknowledger {

    /** Debezium's offset keys: the last commit's LSN, and the last processed change's. */
    private static final String LAST_COMMIT_LSN = "lsn_commit";
    private static final String LAST_PROCESSED_LSN = "lsn_proc";

    /** An event to acknowledge; a transaction's end is acknowledged with {@link #endOffsets}. */
    private record Acknowledgement(RecordChangeEvent<SourceRecord> event, boolean transactionEnd) {
    }

    /** A batch's appends, and what to acknowledge once they are durable. */
    private record Pending(CompletableFuture<Void> durable, List<Acknowledgement> acknowledgements) {
    }

    /** The current batch's events to acknowledge. */
    private final List<Acknowledgement> waiting = new ArrayList<>();
    /** Batches not yet acknowledged, oldest first. */
    private final ArrayDeque<Pending> pending = new ArrayDeque<>();

    /** A transaction's end was published in the current batch. */
    void transactionEnd(RecordChangeEvent<SourceRecord> event) {
        waiting.add(new Acknowledgement(event, true));
    }

    /** A snapshot row was published in the current batch. */
    void snapshotRow(RecordChangeEvent<SourceRecord> event) {
        waiting.add(new Acknowledgement(event, false));
    }

    /** Whether the current batch has events to acknowledge. */
    boolean waiting() {
        return !waiting.isEmpty();
    }

    /** The current batch ended: its events are acknowledged once {@code durable} completes. */
    void batchPublished(CompletableFuture<Void> durable) {
        pending.add(new Pending(durable, List.copyOf(waiting)));
        waiting.clear();
    }

    /** Batches published but not yet acknowledged. */
    int pendingBatches() {
        return pending.size();
    }

    /**
     * Marks processed, oldest first, what the batches now durable were waiting to acknowledge.
     *
     * @throws IllegalStateException when a batch's appends failed (the engine stops; capture starts again)
     */
    void acknowledgeDurable(DebeziumEngine.RecordCommitter<RecordChangeEvent<SourceRecord>> committer)
            throws InterruptedException {
        while (!pending.isEmpty() && pending.peekFirst().durable().isDone()) {
            Pending batch = pending.removeFirst();
            try {
                batch.durable().get();
            } catch (ExecutionException e) {
                throw new IllegalStateException(e.getCause().getMessage(), e.getCause());
            }
            for (Acknowledgement ack : batch.acknowledgements()) {
                if (ack.transactionEnd()) {
                    committer.markProcessed(ack.event(), endOffsets(committer, ack.event().record()));
                } else {
                    committer.markProcessed(ack.event());
                }
            }
        }
    }

    /**
     * A transaction end's offsets, with the "last processed change" and the "last commit" one
     * below its commit LSN.
     *
     * <p>Why the last processed change: on restart Debezium searches the stream for the stored
     * last-change LSN and skips everything up to the message that has it. Debezium stores the
     * commit's LSN there, and the WAL record right after a commit starts at exactly that LSN — so
     * when that record is a row of a transaction still open at the source, a restart skipped that
     * row and the ones before it in its transaction (a partial transaction in the log; found by the
     * projection test). An LSN one below the commit's is the start of no record, so the search falls
     * back to "replay the first transaction that commits after the stored commit, from its start",
     * which is what we need.
     *
     * <p>Why the last commit too: Debezium confirms the stored commit LSN to the slot, and at start
     * refuses an offset whose last-change LSN is below the slot's restart LSN ("no longer available
     * on the server"). With the commit LSN confirmed, PostgreSQL may move the restart LSN to exactly
     * that LSN, one above the stored last change: the capture could then never start again (seen in
     * the kill -9 test). Confirming one below keeps the restart LSN at or below the stored offset;
     * the transaction itself is not sent again (its commit record starts below that LSN), and the
     * first one that commits after it is replayed from its start, as above.
     */
    private static DebeziumEngine.Offsets endOffsets(DebeziumEngine.RecordCommitter<RecordChangeEvent<SourceRecord>> committer,
                                                     SourceRecord end) {
        DebeziumEngine.Offsets offsets = committer.buildOffsets();
        end.sourceOffset().forEach(offsets::set);
        if (end.sourceOffset().get(LAST_COMMIT_LSN) instanceof Number commit) {
            offsets.set(LAST_PROCESSED_LSN, commit.longValue() - 1);
            offsets.set(LAST_COMMIT_LSN, commit.longValue() - 1);
        }
        return offsets;
    }
}

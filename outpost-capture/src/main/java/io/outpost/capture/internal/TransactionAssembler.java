package io.outpost.capture.internal;

import io.debezium.engine.DebeziumEngine;
import io.debezium.engine.RecordChangeEvent;
import io.outpost.core.SourcePosition;
import io.outpost.core.change.ChangeRecord;
import io.outpost.core.change.Fence;
import io.outpost.core.change.Heartbeat;
import io.outpost.core.change.RowChange;
import io.outpost.core.change.TableSchema;
import io.outpost.core.change.TransactionEnd;
import io.outpost.log.ChangeLog;
import io.outpost.runtime.Freshness;
import io.outpost.source.LogicalMessages;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Instant;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.BooleanSupplier;
import org.apache.kafka.connect.data.Struct;
import org.apache.kafka.connect.source.SourceRecord;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Turns the engine's stream into whole, commit-stamped transactions on the change log.
 *
 * <p>Design: Debezium reveals a transaction's commit position (the commit LSN) only on its END
 * event, while its rows carry the LSNs of their own WAL records. So a transaction's rows are held
 * in a {@link TransactionBuffer} from BEGIN to END, then published stamped with the commit position
 * and their sequence, followed by a {@link TransactionEnd}. The initial snapshot is published as one
 * transaction at the slot's consistent point. Fences and heartbeats (non-transactional logical
 * messages) are published as they come.
 *
 * <p>Offsets: only transaction ends and snapshot rows are marked processed, and only after
 * everything before them is durable in the log ({@link OffsetAcknowledger}); so after a crash the
 * engine resumes at a transaction boundary and republishes whole transactions, with the same
 * positions and sequences: duplicates, never gaps.
 *
 * <p>Waiting: after a batch that was not full (the engine has caught up), capture sends what it
 * appended and goes on without waiting for the log's acknowledgement; a later batch marks it
 * processed once it is durable. So the engine's next poll, and the transactions it brings, do not
 * wait for this one's round trip to Kafka (which had stalls of 10-40 ms on a busy machine). After a
 * full batch (more are queued: nothing is gained by hurrying), or with {@value #MAX_PENDING_BATCHES}
 * batches unacknowledged, or when a commit is due at once (the first, and the one after the initial
 * snapshot: see {@link CommitPolicy}), it waits until everything appended is durable, which also
 * keeps requests large.
 *
 * <p>Thread confinement: only the engine's thread calls {@link #handleBatch}.
 */
public final class TransactionAssembler implements DebeziumEngine.ChangeConsumer<RecordChangeEvent<SourceRecord>> {

    private static final Logger LOG = LoggerFactory.getLogger(TransactionAssembler.class);
    /** Records per append: large transactions and the snapshot go out in chunks of this many. */
    private static final int CHUNK = 1000;

    private final String source;
    /** Debezium's topics for transaction boundaries and for logical messages. */
    private final String transactionTopic;
    private final String messageTopic;
    private final ChangeLog log;
    private final RecordMapper mapper;
    private final int memoryLimit;
    private final Path spillDirectory;
    /** Last shape published per table; a different shape publishes a schema record first. */
    private final Map<String, String> shapes = new HashMap<>();
    /** The Connect schema last seen per table: Debezium reuses it until the table's columns change. */
    private final Map<String, org.apache.kafka.connect.data.Schema> lastValueSchemas = new HashMap<>();

    private TransactionBuffer open;
    /** Set when the open transaction carries a heartbeat: its end is published as a heartbeat. */
    private Instant openHeartbeat;
    private String openTransactionId;
    private final OffsetAcknowledger acknowledger = new OffsetAcknowledger();
    /** Batches sent but not yet known durable before capture waits for them. */
    private static final int MAX_PENDING_BATCHES = 8;
    private long lastCommitMillis;

    private SourcePosition snapshotPosition;
    private long snapshotSequence;
    private final List<ChangeRecord> snapshotChunk = new ArrayList<>();

    private SourcePosition completeUpTo;
    private long skippedAsPublished;
    private final CommitPolicy commits;
    /**
     * Writes the captured tables' shapes into the WAL (see {@code SourceSchemas}); called at the
     * first heartbeat of a run, when streaming has surely begun, until it returns true.
     */
    private final BooleanSupplier announceSchemas;
    private boolean schemasAnnounced;

    private final PublishedFigures figures;

    /**
     * @param completeUpTo the position up to which the log is already complete: transactions and
     *                     messages at or below it were published by an earlier run and are not
     *                     published again, which keeps the log in strictly increasing commit order
     *                     across restarts (Debezium may replay, and after a restart may even emit
     *                     the end of a transaction whose rows it filtered as already processed)
     */
    public TransactionAssembler(String source, String topicPrefix, ChangeLog log, int memoryLimit, Path spillDirectory,
                                SourcePosition completeUpTo, CommitPolicy commits, BooleanSupplier announceSchemas,
                                InstantSource clock, Freshness freshness) {
        this.figures = new PublishedFigures(clock, freshness);
        this.announceSchemas = announceSchemas;
        this.completeUpTo = completeUpTo;
        this.commits = commits;
        this.source = source;
        this.transactionTopic = topicPrefix + ".transaction";
        this.messageTopic = topicPrefix + ".message";
        this.log = log;
        this.mapper = new RecordMapper(source);
        this.memoryLimit = memoryLimit;
        this.spillDirectory = spillDirectory;
    }

    /** Transactions published, durable in the log (the snapshot counts as one). */
    public long transactions() {
        return figures.transactions();
    }

    /** Row changes published, durable in the log. */
    public long rows() {
        return figures.rows();
    }

    /** The position of the last record published, durable in the log. */
    public SourcePosition lastPosition() {
        return figures.lastPosition();
    }

    @Override
    public void handleBatch(List<RecordChangeEvent<SourceRecord>> events,
                            DebeziumEngine.RecordCommitter<RecordChangeEvent<SourceRecord>> committer)
            throws InterruptedException {
        for (RecordChangeEvent<SourceRecord> event : events) {
            handle(event);
        }
        flushSnapshotChunk();
        if (figures.hasAppends() || acknowledger.waiting()) {
            acknowledger.batchPublished(figures.batchEnded());
        }
        if (events.size() >= EngineProperties.MAX_BATCH_SIZE || acknowledger.pendingBatches() > MAX_PENDING_BATCHES
                || commits.commitRequested()) {
            log.flush();
        } else if (acknowledger.pendingBatches() > 0) {
            log.sendNow();
        }
        acknowledger.acknowledgeDurable(committer);
        committer.markBatchFinished();
    }

    private void handle(RecordChangeEvent<SourceRecord> event) {
        SourceRecord record = event.record();
        String topic = record.topic();
        Struct value = record.value() instanceof Struct s ? s : null;
        if (topic.equals(transactionTopic) && value != null) {
            String status = value.getString("status");
            if ("BEGIN".equals(status)) {
                begin(transactionId(value.getString("id")));
            } else {
                end(record, value);
                acknowledger.transactionEnd(event);
            }
        } else if (topic.equals(messageTopic) && value != null) {
            // not acknowledged on its own (see OffsetAcknowledger); heartbeats are transactions, so an
            // idle source's offset still advances, with their ends
            message(record, value);
        } else if (value != null && mapper.envelope(value) instanceof RecordMapper.Envelope envelope
                && value.get(envelope.source()) != null) {
            row(event, record, value, envelope);
        }
        // else: Debezium's own heartbeats and anything else that is not ours: nothing to publish, and
        // not acknowledged either (see OffsetAcknowledger)
    }

    private void begin(String transactionId) {
        if (open != null) {
            LOG.warn("transaction {} began while {} was open; the open one is dropped (it will come again)",
                    transactionId, openTransactionId);
            open.close();
        }
        open = new TransactionBuffer(memoryLimit, spillDirectory);
        openTransactionId = transactionId;
    }

    private void row(RecordChangeEvent<SourceRecord> event, SourceRecord record, Struct value,
                     RecordMapper.Envelope envelope) {
        Struct src = (Struct) value.get(envelope.source());
        String snapshot = envelope.snapshot() == null ? null : (String) src.get(envelope.snapshot());
        boolean isSnapshot = snapshot != null && !snapshot.equals("false") && "r".equals(value.get(envelope.op()));
        if (isSnapshot) {
            snapshotRow(event, record, envelope, src, snapshot);
            return;
        }
        if (open == null) {
            // a row without BEGIN: the engine resumed inside a transaction; hold it under its own id
            Struct tx = envelope.transaction() == null ? null : (Struct) value.get(envelope.transaction());
            begin(tx == null ? "unknown" : transactionId(tx.getString("id")));
        }
        lastCommitMillis = (Long) src.get(envelope.commitMillis());
        SourcePosition provisional = SourcePosition.ofLsn((Long) src.get(envelope.lsn()));
        TableSchema changed = schemaIfChanged(record, envelope, provisional, 0);
        if (changed != null) {
            open.add(changed);
        }
        open.add(mapper.row(record, envelope, provisional, 0, openTransactionId));
    }

    /**
     * The schema record to publish before this row, or {@code null} when the table's shape is the
     * one published last. The shape string is only rebuilt when the record's Connect schema is not
     * the very object seen last for the table, so rows of an unchanged table cost one map lookup.
     */
    private TableSchema schemaIfChanged(SourceRecord record, RecordMapper.Envelope envelope, SourcePosition position,
                                        long sequence) {
        String table = envelope.table();
        if (record.valueSchema() == lastValueSchemas.get(table)) {
            return null;
        }
        lastValueSchemas.put(table, record.valueSchema());
        String shape = RecordMapper.shapeOf(record);
        if (shape.equals(shapes.get(table))) {
            return null;
        }
        shapes.put(table, shape);
        return mapper.schema(record, envelope, position, sequence);
    }

    private void end(SourceRecord record, Struct value) {
        Object commit = record.sourceOffset().get("lsn_commit");
        SourcePosition position = commit instanceof Number n ? SourcePosition.ofLsn(n.longValue())
                : SourcePosition.ofLsn(Long.parseLong(value.getString("id").split(":")[1]));
        String transactionId = openTransactionId != null ? openTransactionId : transactionId(value.getString("id"));
        Instant commitTime = Instant.ofEpochMilli(lastCommitMillis != 0 ? lastCommitMillis : value.getInt64("ts_ms"));
        List<ChangeRecord> records = new ArrayList<>();
        // Sequences count row changes only, so a transaction republished after a restart (when
        // schema records may come out differently) gives every row the same (position, seq).
        long[] sequence = {0};
        int[] events = {0};
        if (open != null) {
            open.forEach(r -> {
                switch (r) {
                    case RowChange row -> {
                        records.add(row.at(position, sequence[0]++));
                        events[0]++;
                    }
                    case TableSchema schema -> records.add(schema.at(position, sequence[0]));
                    default -> throw new IllegalStateException("unexpected record in a transaction: " + r);
                }
                if (records.size() >= CHUNK) {
                    publish(List.copyOf(records));
                    records.clear();
                }
            });
            open.close();
        }
        if (openHeartbeat != null && records.isEmpty() && events[0] == 0) {
            publish(List.of(new Heartbeat(source, position, 0, openHeartbeat)));
        } else {
            records.add(new TransactionEnd(source, position, sequence[0], transactionId, commitTime, events[0]));
            if (publish(records)) {
                figures.transaction(events[0], commitTime);
            }
        }
        completed(position);
        openHeartbeat = null;
        open = null;
        openTransactionId = null;
        lastCommitMillis = 0;
    }

    private void snapshotRow(RecordChangeEvent<SourceRecord> event, SourceRecord record, RecordMapper.Envelope envelope,
                             Struct src, String snapshot) {
        SourcePosition position = SourcePosition.ofLsn((Long) src.get(envelope.lsn()));
        if (snapshotPosition == null || !snapshotPosition.equals(position) || "first".equals(snapshot)) {
            snapshotPosition = position;
            snapshotSequence = 0;
            snapshotChunk.clear();
        }
        TableSchema changed = schemaIfChanged(record, envelope, position, snapshotSequence);
        if (changed != null) {
            snapshotChunk.add(changed);
        }
        snapshotChunk.add(mapper.row(record, envelope, position, snapshotSequence++, "snapshot:" + position));
        acknowledger.snapshotRow(event);
        if ("last".equals(snapshot)) {
            // sequences count rows only, so the snapshot's row count is its next sequence
            snapshotChunk.add(new TransactionEnd(source, position, snapshotSequence,
                    "snapshot:" + position, Instant.ofEpochMilli(src.getInt64("ts_ms")), (int) snapshotSequence));
            boolean published = position.isAfter(completeUpTo);
            flushSnapshotChunk();
            completed(position);
            commits.requestCommit();
            if (published) {
                figures.transaction(snapshotSequence, null);
            }
            LOG.info("initial snapshot of source {} published at position {}", source, position);
            snapshotPosition = null;
        } else if (snapshotChunk.size() >= CHUNK) {
            flushSnapshotChunk();
        }
    }

    private void flushSnapshotChunk() {
        if (!snapshotChunk.isEmpty()) {
            publish(List.copyOf(snapshotChunk));
            snapshotChunk.clear();
        }
    }

    private void message(SourceRecord record, Struct value) {
        Struct message = value.getStruct("message");
        Struct src = value.getStruct("source");
        String prefix = message.getString("prefix");
        Object content = message.get("content");
        String text = content instanceof byte[] b ? new String(b, StandardCharsets.UTF_8)
                : content instanceof ByteBuffer buffer ? StandardCharsets.UTF_8.decode(buffer.duplicate()).toString()
                : String.valueOf(content);
        SourcePosition position = SourcePosition.ofLsn(src.getInt64("lsn"));
        Instant time = Instant.ofEpochMilli(value.getInt64("ts_ms"));
        if (LogicalMessages.FENCE_PREFIX.equals(prefix)) {
            publish(List.of(new Fence(source, position, 0, text, time)));
            completed(position);
        } else if (LogicalMessages.HEARTBEAT_PREFIX.equals(prefix)) {
            if (open != null) {
                // a transactional heartbeat: published at its transaction's end, at its commit position
                openHeartbeat = Instant.ofEpochMilli(src.getInt64("ts_ms"));
            } else {
                publish(List.of(new Heartbeat(source, position, 0, time)));
                completed(position);
            }
            if (!schemasAnnounced) {
                schemasAnnounced = announceSchemas.getAsBoolean();
            }
        } else if (LogicalMessages.SCHEMA_PREFIX.equals(prefix) && open != null) {
            // a transaction of its own: its schema records go out with its end, at its commit position
            for (TableSchema schema : mapper.announcedSchemas(text, position)) {
                open.add(schema);
            }
        }
    }

    /**
     * Publishes, unless an earlier run completed the log past this position already. Every chunk
     * of a transaction carries its commit position, so the decision is the same for all of them.
     */
    private boolean publish(List<? extends ChangeRecord> records) {
        ChangeRecord last = records.getLast();
        if (last.position().isAtOrBefore(completeUpTo)) {
            if (skippedAsPublished++ == 0) {
                LOG.info("source {}: the change log is complete up to {}; what is replayed up to there is not "
                        + "published again", source, completeUpTo);
            }
            // The shapes this replay noted as published were not: forget them, so the next row of
            // each table publishes its schema again. (Debezium reads the catalog at start, so a
            // replayed row may already show a column added later; without this, rows with that
            // column reached the log before any schema record that has it.)
            for (ChangeRecord record : records) {
                String table = record instanceof RowChange row ? row.table()
                        : record instanceof TableSchema schema ? schema.table() : null;
                if (table != null) {
                    shapes.remove(table);
                    lastValueSchemas.remove(table);
                }
            }
            return false;
        }
        figures.appended(log.append(records), last.position());
        return true;
    }

    /** After a transaction's end, fence or heartbeat is published, the log is complete up to it. */
    private void completed(SourcePosition position) {
        if (position.isAfter(completeUpTo)) {
            completeUpTo = position;
        }
    }

    /** {@code "123:456"} (xid:lsn) → {@code "123"}: rows and their END share the xid part. */
    static String transactionId(String debeziumId) {
        int colon = debeziumId.indexOf(':');
        return colon < 0 ? debeziumId : debeziumId.substring(0, colon);
    }
}

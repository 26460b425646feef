package io.outpost.projector.internal;

import io.outpost.core.OutpostException;
import io.outpost.core.SourcePosition;
import io.outpost.core.Ticker;
import io.outpost.core.change.ChangeRecord;
import io.outpost.core.change.Fence;
import io.outpost.core.change.Heartbeat;
import io.outpost.core.change.RowChange;
import io.outpost.core.change.TableSchema;
import io.outpost.core.change.TransactionEnd;
import io.outpost.core.config.ProjectorConfig;
import io.outpost.log.ChangeLogReader;
import io.outpost.store.ReplicaTables;
import io.outpost.store.StoreLayout;
import io.outpost.store.Watermark;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Instant;
import java.time.InstantSource;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Applies the change log to a region's store, whole source transactions at a time.
 *
 * <p>Design: records of a source transaction are held (in memory) until its end arrives; then its
 * schema records and row changes go into the open store transaction's buffers. Consecutive
 * transactions share a store transaction until {@code batch-max-rows} rows or
 * {@code batch-max-delay} is reached or the log has nothing more right now; at its commit the
 * buffers are written, affected view documents recomputed and the watermark moved, all in one
 * store transaction. A source transaction larger than {@code batch-max-rows} gets a store
 * transaction of its own (the batch before it is committed first) and is written as it arrives.
 *
 * <p>Duplicates: a record at or below the watermark is skipped. A transaction whose end never came
 * (its capture died mid-publish) is dropped when the next transaction starts or when the same one
 * starts again from its first record; capture always republishes a transaction whole.
 *
 * <p>Round trips per batch: usually two — the row writes of every table, each view's
 * recomputation and the watermark with its NOTIFY as the statements of one {@link Pipeline}, then
 * the commit. More where something must be read first: the old values a view maps by (for tables
 * it maps by a non-key column), before the writes; a SELECT mapping's keys, after them. When the
 * pipeline fails, the batch is rolled back and applied again with {@code careful} set: the writes
 * alone, then view by view under savepoints, key by key for a view that fails, so that the failing
 * write, or view and key, is named.
 *
 * <p>Thread confinement: one thread (the projector's) calls everything.
 */
public final class Applier {

    private static final Logger LOG = LoggerFactory.getLogger(Applier.class);

    private final Connection connection;
    private final String source;
    private final ProjectorConfig config;
    private final ViewMaintainer views;
    /** Stamps {@code applied_at}. */
    private final InstantSource clock;
    /** Measures a batch's age. */
    private final Ticker ticker;
    /** Schemas applied, including those of the open store transaction. */
    private final Map<String, TableSchema> schemas;
    private final Map<String, TableBuffer> buffers = new LinkedHashMap<>();

    private SourcePosition committed;
    /** When the transaction at {@link #committed} committed at the source; null before any. */
    private Instant committedTime;
    private boolean hasWatermarkRow;

    // the open store transaction ("batch"): complete source transactions not yet committed
    private SourcePosition batchPosition;
    private Instant batchCommitTime;
    private long batchOffset;
    private int batchRows;
    private int batchTransactions;
    private long batchStartNanos;
    private boolean batchDirty;

    // the source transaction being read
    private SourcePosition pending;
    private final List<ChangeRecord> pendingRecords = new ArrayList<>();
    private int pendingRows;
    private long lastOrder = -1;
    private boolean spilling;

    /** Whether the next batch's documents are recomputed view by view (after that in one statement failed). */
    private boolean careful;

    private long transactionsApplied;
    private long rowsApplied;

    private final ProjectorMeters meters;
    /** The batch's source transactions: commit and read times (epoch ms), for freshness. */
    private long[] batchCommitMillis = new long[256];
    private long[] batchPolledMillis = new long[256];
    private int batchTimes;

    /**
     * @param connection a store connection with auto-commit off and the replica schema on its search path
     * @param watermark  where the store is, if anywhere
     * @param careful    whether the first batch is applied step by step (after it failed applied at once)
     */
    public Applier(Connection connection, String source, ProjectorConfig config, ViewMaintainer views,
                   Map<String, TableSchema> schemas, Watermark watermark, InstantSource clock, Ticker ticker, boolean careful,
                   ProjectorMeters meters) {
        this.careful = careful;
        this.meters = meters;
        this.connection = connection;
        this.source = source;
        this.config = config;
        this.views = views;
        this.schemas = new LinkedHashMap<>(schemas);
        this.clock = clock;
        this.ticker = ticker;
        this.committed = watermark == null ? SourcePosition.ZERO : watermark.position();
        this.committedTime = watermark == null ? null : watermark.commitTime();
        this.hasWatermarkRow = watermark != null;
    }

    /** The position of the last committed store transaction. */
    public SourcePosition committed() {
        return committed;
    }

    /** When the transaction at {@link #committed} committed at the source; null before any. */
    public Instant committedTime() {
        return committedTime;
    }

    public long transactionsApplied() {
        return transactionsApplied;
    }

    public long rowsApplied() {
        return rowsApplied;
    }

    /** The schemas applied so far, by source table. */
    public Map<String, TableSchema> schemas() {
        return java.util.Collections.unmodifiableMap(schemas);
    }

    /** Whether complete transactions wait for a commit. */
    public boolean hasBatch() {
        return batchPosition != null;
    }

    private SourcePosition watermark() {
        return batchPosition != null ? batchPosition : committed;
    }

    /** Takes the next record of the log. */
    public void accept(ChangeLogReader.Entry entry) throws SQLException {
        ChangeRecord record = entry.record();
        SourcePosition position = record.position();
        switch (record) {
            case RowChange row -> partOfTransaction(row, position, row.sequence() * 2 + 1);
            case TableSchema schema -> partOfTransaction(schema, position, schema.sequence() * 2);
            case TransactionEnd end -> end(end, entry.offset(), entry.timestamp());
            case Fence fence -> message(position, fence.time(), entry.offset(), entry.timestamp());
            case Heartbeat heartbeat -> message(position, heartbeat.time(), entry.offset(), entry.timestamp());
        }
    }

    private void partOfTransaction(ChangeRecord record, SourcePosition position, long order) throws SQLException {
        if (!position.isAfter(watermark())) {
            return; // applied already: a duplicate after a capture restart
        }
        if (pending != null && !pending.equals(position)) {
            abandon("a record of the transaction at " + position + " came before its end");
        } else if (pending != null && (order < lastOrder || order == lastOrder && record instanceof RowChange)) {
            // (schema records of several tables may share a sequence; a row never repeats one)
            abandon("it is being published again from its start");
        }
        if (pending == null) {
            pending = position;
        }
        lastOrder = order;
        if (record instanceof RowChange) {
            pendingRows++;
        }
        if (spilling) {
            apply(record);
            return;
        }
        pendingRecords.add(record);
        if (pendingRows > config.batchMaxRows()) {
            // a transaction too large to share a store transaction: it gets one of its own, written as it comes
            if (batchPosition != null) {
                commit();
            }
            spilling = true;
            for (ChangeRecord held : pendingRecords) {
                apply(held);
            }
            pendingRecords.clear();
        }
    }

    /** Drops the transaction being read: its end will never come, or it comes again whole. */
    private void abandon(String why) throws SQLException {
        LOG.info("source {}: the transaction at {} was cut short ({} rows read, {}); it is dropped", source, pending,
                pendingRows, why);
        if (spilling) {
            // its store transaction holds nothing else (the batch before it was committed)
            connection.rollback();
            buffers.clear();
            views.reset();
            schemas.clear();
            schemas.putAll(ReplicaTables.applied(connection, source));
            batchDirty = false;
        }
        clearPending();
    }

    private void clearPending() {
        pending = null;
        pendingRecords.clear();
        pendingRows = 0;
        lastOrder = -1;
        spilling = false;
    }

    private void end(TransactionEnd end, long offset, long logged) throws SQLException {
        SourcePosition position = end.position();
        if (!position.isAfter(watermark())) {
            if (pending != null && pending.equals(position)) {
                clearPending();
            }
            return;
        }
        if (pending != null && !pending.equals(position)) {
            abandon("the end of the transaction at " + position + " came instead");
        }
        if (pendingRows != end.eventCount()) {
            throw new OutpostException("the change log is missing records: the transaction at " + position + " ended with "
                    + end.eventCount() + " row changes but " + pendingRows + " were read. The projector stopped before "
                    + "applying it; the log's records of that transaction were removed (retention?) or never written");
        }
        if (!spilling) {
            for (ChangeRecord record : pendingRecords) {
                apply(record);
            }
        }
        complete(position, end.commitTime(), offset, pendingRows, logged);
        clearPending();
    }

    private void message(SourcePosition position, Instant time, long offset, long logged) throws SQLException {
        if (!position.isAfter(watermark())) {
            return;
        }
        if (pending != null) {
            abandon("a fence or heartbeat at " + position + " came before its end");
        }
        complete(position, time, offset, 0, logged);
    }

    private void complete(SourcePosition position, Instant commitTime, long offset, int rows, long logged) {
        long commitMillis = commitTime.toEpochMilli();
        long now = clock.millis();
        meters.polled(commitMillis, logged, now);
        if (batchTimes == batchCommitMillis.length) {
            batchCommitMillis = java.util.Arrays.copyOf(batchCommitMillis, batchTimes * 2);
            batchPolledMillis = java.util.Arrays.copyOf(batchPolledMillis, batchTimes * 2);
        }
        batchCommitMillis[batchTimes] = commitMillis;
        batchPolledMillis[batchTimes++] = now;
        if (batchPosition == null) {
            batchStartNanos = ticker.read();
        }
        batchPosition = position;
        batchCommitTime = commitTime;
        batchOffset = offset + 1;
        batchRows += rows;
        batchTransactions++;
    }

    private void apply(ChangeRecord record) throws SQLException {
        batchDirty = true;
        switch (record) {
            case TableSchema schema -> {
                flush(schema.table());
                ReplicaTables.apply(connection, schema, schemas.get(schema.table()));
                schemas.put(schema.table(), schema);
                buffers.remove(schema.table());
            }
            case RowChange row -> {
                TableBuffer buffer = buffers.get(row.table());
                if (buffer == null) {
                    TableSchema schema = schemas.get(row.table());
                    if (schema == null) {
                        throw new OutpostException("the change log has a row of " + row.table() + " at " + row.position()
                                + " before any schema of that table; the projector cannot create its replica");
                    }
                    buffer = new TableBuffer(schema);
                    buffers.put(row.table(), buffer);
                }
                buffer.add(row);
                if (spilling && buffer.size() >= config.batchMaxRows()) {
                    flush(row.table());
                }
            }
            default -> throw new IllegalStateException("not part of a transaction: " + record);
        }
    }

    private void flush(String table) throws SQLException {
        Pipeline writes = new Pipeline();
        for (TableBuffer.Write write : drain(table)) {
            writes.add(write.sql(), write.json());
        }
        writes.execute(connection);
    }

    /** The table's buffered rows as writes, its affected view keys collected. */
    private List<TableBuffer.Write> drain(String table) throws SQLException {
        TableBuffer buffer = buffers.get(table);
        if (buffer == null || buffer.isEmpty()) {
            return List.of();
        }
        List<Map<String, Object>> images = new ArrayList<>();
        List<TableBuffer.Write> writes = buffer.drain(connection, views.mappingColumns(table), images);
        views.collect(table, images);
        return writes;
    }

    /**
     * Commits the open batch if it is due: full, old enough, or {@code idle} (the log has nothing
     * more right now).
     */
    public void commitIfDue(boolean idle) throws SQLException {
        if (batchPosition == null) {
            return;
        }
        long age = ticker.read() - batchStartNanos;
        if (idle || batchRows >= config.batchMaxRows() || age >= config.batchMaxDelay().toNanos()) {
            commit();
        }
    }

    private void commit() throws SQLException {
        long started = ticker.read();
        Pipeline pipeline = new Pipeline();
        try {
            // the old values some views need are read first, per table; then the writes wait in the pipeline
            for (String table : new ArrayList<>(buffers.keySet())) {
                for (TableBuffer.Write write : drain(table)) {
                    pipeline.add(write.sql(), write.json());
                }
            }
            if (careful) {
                pipeline.execute(connection);
            }
            views.maintain(connection, pipeline, schemas, batchPosition, careful, meters.nextBatchTimed(), meters);
            addWatermark(pipeline);
            Object moved = pipeline.execute(connection);
            if (!(moved instanceof Number count) || count.longValue() != 1) {
                connection.rollback();
                throw new OutpostException.Retriable("the watermark of source " + source + " moved under this "
                        + "projector (another projector of this region is applying); this one backs off");
            }
            hasWatermarkRow = true;
        } catch (SQLException e) {
            if (careful || e.getSQLState() != null && e.getSQLState().startsWith("08")) {
                throw e; // applied step by step already, or the store is gone: retried with backoff
            }
            throw new RecomputeFailed("applying the batch up to " + batchPosition + " failed (" + ViewValidator.firstLine(e)
                    + "); it is applied again step by step, to find which write or view fails", e);
        }
        careful = false;
        connection.commit();
        meters.batch(ticker.read() - started);
        long now = clock.millis();
        for (int i = 0; i < batchTimes; i++) {
            meters.applied(batchCommitMillis[i], batchPolledMillis[i], now);
        }
        batchTimes = 0;
        committed = batchPosition;
        committedTime = batchCommitTime;
        transactionsApplied += batchTransactions;
        rowsApplied += batchRows;
        batchPosition = null;
        batchRows = 0;
        batchTransactions = 0;
        batchDirty = false;
    }

    /**
     * Adds the watermark's move (only from where this projector left it) and its announcement; the
     * statement yields the number of watermark rows moved, which must be 1.
     */
    private void addWatermark(Pipeline pipeline) {
        String moved = hasWatermarkRow
                ? "UPDATE public.outpost_watermark SET position = ?::pg_lsn, commit_time = ?, applied_at = ?, log_offset = ? "
                        + "WHERE source = ? AND position = ?::pg_lsn RETURNING 1"
                : "INSERT INTO public.outpost_watermark (position, commit_time, applied_at, log_offset, source) "
                        + "VALUES (?::pg_lsn, ?, ?, ?, ?) RETURNING 1";
        List<Object> parameters = new ArrayList<>(List.of(batchPosition.toString(),
                OffsetDateTime.ofInstant(batchCommitTime, ZoneOffset.UTC), OffsetDateTime.ofInstant(clock.instant(), ZoneOffset.UTC),
                batchOffset, source));
        if (hasWatermarkRow) {
            parameters.add(committed.toString());
        }
        parameters.add(StoreLayout.WATERMARK_CHANNEL);
        parameters.add(source + " " + batchPosition);
        pipeline.add("WITH moved AS (" + moved + ") SELECT (SELECT count(*) FROM moved), pg_notify(?, ?)", parameters.toArray());
    }

    /** Whether the store transaction holds uncommitted writes. */
    public boolean dirty() {
        return batchDirty;
    }
}

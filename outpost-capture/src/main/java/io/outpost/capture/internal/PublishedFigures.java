package io.outpost.capture.internal;

import io.outpost.core.SourcePosition;
import io.outpost.runtime.Freshness;
import java.time.Instant;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

/**
 * How much a capture has published, counted only once it is durable in the log: the appends of an
 * engine batch are gathered as they are made, and when the batch ends they become one future that
 * moves the figures when it completes (the producer completes appends in order: one partition, an
 * idempotent producer). Then each of the batch's transactions has its first stage of freshness
 * (source commit → durable in the log) recorded.
 *
 * <p>Thread confinement: only the engine's thread appends and ends batches; the figures may be read
 * from any thread.
 */
final class PublishedFigures {

    /** The current batch's appends, and what they hold. */
    private final List<CompletableFuture<Void>> inFlight = new ArrayList<>();
    private long appendedTransactions;
    private long appendedRows;
    private SourcePosition appendedPosition;
    /** The source commit times (epoch ms) of the current batch's transactions. */
    private long[] commitMillis = new long[64];
    private int commits;
    private final InstantSource clock;
    private final Freshness freshness;

    private final AtomicLong transactions = new AtomicLong();
    private final AtomicLong rows = new AtomicLong();
    private final AtomicReference<SourcePosition> lastPosition = new AtomicReference<>(SourcePosition.ZERO);

    PublishedFigures(InstantSource clock, Freshness freshness) {
        this.clock = clock;
        this.freshness = freshness;
    }

    /** An append of records up to {@code position}, durable when {@code append} completes. */
    void appended(CompletableFuture<Void> append, SourcePosition position) {
        inFlight.add(append);
        appendedPosition = position;
    }

    /**
     * A whole transaction (or the snapshot) of {@code rows} row changes is among the current batch's
     * appends; {@code commitTime} is its source commit (null for the snapshot: not a freshness).
     */
    void transaction(long rows, Instant commitTime) {
        appendedTransactions++;
        appendedRows += rows;
        if (commitTime != null) {
            if (commits == commitMillis.length) {
                commitMillis = Arrays.copyOf(commitMillis, commits * 2);
            }
            commitMillis[commits++] = commitTime.toEpochMilli();
        }
    }

    /** Whether the current batch appended anything. */
    boolean hasAppends() {
        return !inFlight.isEmpty();
    }

    /** Ends the current batch: its appends as one future, which moves the figures when it completes. */
    CompletableFuture<Void> batchEnded() {
        CompletableFuture<Void> durable = CompletableFuture.allOf(inFlight.toArray(CompletableFuture[]::new));
        inFlight.clear();
        long batchTransactions = appendedTransactions;
        long batchRows = appendedRows;
        SourcePosition batchPosition = appendedPosition;
        appendedTransactions = 0;
        appendedRows = 0;
        appendedPosition = null;
        long[] batchCommits = Arrays.copyOf(commitMillis, commits);
        commits = 0;
        durable.thenRun(() -> {
            long durableAt = clock.millis();
            for (long commit : batchCommits) {
                freshness.record(Freshness.Stage.PUBLISHED, commit, commit, durableAt);
            }
            transactions.addAndGet(batchTransactions);
            rows.addAndGet(batchRows);
            if (batchPosition != null) {
                lastPosition.accumulateAndGet(batchPosition, (was, now) -> now.isAfter(was) ? now : was);
            }
        });
        return durable;
    }

    /** Transactions durable in the log (the snapshot counts as one). */
    long transactions() {
        return transactions.get();
    }

    /** Row changes durable in the log. */
    long rows() {
        return rows.get();
    }

    /** The position of the last record durable in the log. */
    SourcePosition lastPosition() {
        return lastPosition.get();
    }
}

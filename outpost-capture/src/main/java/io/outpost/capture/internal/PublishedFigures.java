package io.outpost.capture.internal;

import io.outpost.core.SourcePosition;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

/**
 * How much a capture has published, counted only once it is durable in the log: the appends of an
 * engine batch are gathered as they are made, and when the batch ends they become one future that
 * moves the figures when it completes (the producer completes appends in order: one partition, an
 * idempotent producer).
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

    private final AtomicLong transactions = new AtomicLong();
    private final AtomicLong rows = new AtomicLong();
    private final AtomicReference<SourcePosition> lastPosition = new AtomicReference<>(SourcePosition.ZERO);

    /** An append of records up to {@code position}, durable when {@code append} completes. */
    void appended(CompletableFuture<Void> append, SourcePosition position) {
        inFlight.add(append);
        appendedPosition = position;
    }

    /** A whole transaction (or the snapshot) of {@code rows} row changes is among the current batch's appends. */
    void transaction(long rows) {
        appendedTransactions++;
        appendedRows += rows;
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
        durable.thenRun(() -> {
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

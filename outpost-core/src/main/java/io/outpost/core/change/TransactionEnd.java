package io.outpost.core.change;

import io.outpost.core.SourcePosition;
import java.time.Instant;
import java.util.Objects;

/**
 * The end of a source transaction: everything before it with the same position belongs to it.
 *
 * @param position   the commit position (PostgreSQL: the commit LSN)
 * @param commitTime when the source committed it
 * @param eventCount how many row changes the transaction had, for consumers to check they saw all
 */
public record TransactionEnd(String source, SourcePosition position, long sequence, String transactionId,
                             Instant commitTime, int eventCount) implements ChangeRecord {

    public TransactionEnd {
        Objects.requireNonNull(source, "source");
        Objects.requireNonNull(position, "position");
        Objects.requireNonNull(transactionId, "transactionId");
        Objects.requireNonNull(commitTime, "commitTime");
        if (eventCount < 0) {
            throw new IllegalArgumentException("eventCount must be 0 or more, but was " + eventCount);
        }
    }
}

package io.outpost.store;

import io.outpost.core.SourcePosition;
import java.time.Instant;
import java.util.Objects;

/**
 * How far a region's store has applied a source: everything at or below {@code position} is
 * applied, nothing above it is partly applied.
 *
 * @param commitTime when the transaction (or fence, heartbeat) at {@code position} committed at the source
 * @param appliedAt  when the store transaction that reached it committed
 * @param logOffset  the change log offset to read next
 */
public record Watermark(String source, SourcePosition position, Instant commitTime, Instant appliedAt,
                        long logOffset) {

    public Watermark {
        Objects.requireNonNull(source, "source");
        Objects.requireNonNull(position, "position");
        Objects.requireNonNull(commitTime, "commitTime");
        Objects.requireNonNull(appliedAt, "appliedAt");
    }
}

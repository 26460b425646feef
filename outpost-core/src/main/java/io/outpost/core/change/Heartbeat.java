package io.outpost.core.change;

import io.outpost.core.SourcePosition;
import java.time.Instant;
import java.util.Objects;

/**
 * A fence on a timer: keeps watermarks (and staleness figures) moving while the source is idle,
 * and lets the replication slot release WAL.
 */
public record Heartbeat(String source, SourcePosition position, long sequence, Instant time) implements ChangeRecord {

    public Heartbeat {
        Objects.requireNonNull(source, "source");
        Objects.requireNonNull(position, "position");
        Objects.requireNonNull(time, "time");
    }
}

package io.outpost.core.change;

import io.outpost.core.SourcePosition;
import java.time.Instant;
import java.util.Objects;

/**
 * A marker written into the source's log right after a command succeeded. Its position is above
 * the commit of every transaction that finished before it, so it is the command's consistency
 * token; its arrival moves every region's watermark past it. A monitor's canary writes fences too,
 * once a second, with ids that start with {@link #CANARY_PREFIX}.
 *
 * @param id what wrote it (for tracing), free text
 */
public record Fence(String source, SourcePosition position, long sequence, String id, Instant time)
        implements ChangeRecord {

    public Fence {
        Objects.requireNonNull(source, "source");
        Objects.requireNonNull(position, "position");
        Objects.requireNonNull(id, "id");
        Objects.requireNonNull(time, "time");
    }

    /** How the id of a canary's fence starts; the monitor's name follows. */
    public static final String CANARY_PREFIX = "canary ";

    /** Whether a monitor's canary wrote it (rather than a command). */
    public boolean canary() {
        return id.startsWith(CANARY_PREFIX);
    }
}

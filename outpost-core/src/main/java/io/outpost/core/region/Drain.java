package io.outpost.core.region;

import java.time.Instant;
import java.util.Objects;

/**
 * An operator's word on a region: drained, no commands go through it (neither its own link to the
 * monolith nor hops through it) while it still answers queries; undrained, it takes commands again.
 * Published on the region-state topic, which keeps the latest per region, so it outlives restarts.
 *
 * @param by     who said it (user and host of {@code outpost region drain})
 * @param reason why, as the operator wrote it; may be empty
 */
public record Drain(String region, boolean drained, Instant at, String by, String reason) {

    /** The prefix of a drain's key on the region-state topic (no region or monitor name holds ':'). */
    public static final String KEY_PREFIX = "drain:";

    public Drain {
        Objects.requireNonNull(region, "region");
        Objects.requireNonNull(at, "at");
        Objects.requireNonNull(by, "by");
        Objects.requireNonNull(reason, "reason");
    }

    /** Its key on the region-state topic: the latest per region stays. */
    public String key() {
        return KEY_PREFIX + region;
    }
}

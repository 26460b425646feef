package io.outpost.capture.internal;

import io.debezium.engine.spi.OffsetCommitPolicy;
import java.time.Duration;

/**
 * When the engine commits its offsets: once a second, but at once the first time and right after
 * the initial snapshot has been published. Those two are the moments where a missing offset would
 * cost more than duplicates: a capture restarted without a committed offset snapshots again and
 * republishes every row at a new position. Committing after every batch instead would put a
 * synchronous write to Kafka in front of every transaction (it tripled the latency).
 */
public final class CommitPolicy implements OffsetCommitPolicy {

    private final Duration interval;
    private volatile boolean requested = true;

    public CommitPolicy(Duration interval) {
        this.interval = interval;
    }

    /** Asks for a commit after the current batch. */
    public void requestCommit() {
        requested = true;
    }

    /** Whether a commit is waiting for its first chance: the batch that asked for it should not be left unacknowledged. */
    public boolean commitRequested() {
        return requested;
    }

    @Override
    public boolean performCommit(long numberOfMessagesSinceLastCommit, Duration timeSinceLastCommit) {
        if (numberOfMessagesSinceLastCommit == 0) {
            return false;
        }
        if (requested) {
            requested = false;
            return true;
        }
        return timeSinceLastCommit.compareTo(interval) >= 0;
    }
}

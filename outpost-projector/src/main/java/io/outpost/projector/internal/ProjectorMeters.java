package io.outpost.projector.internal;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Timer;
import io.outpost.runtime.Freshness;
import io.outpost.runtime.Meters;
import java.util.concurrent.TimeUnit;

/**
 * A projector's figures as they happen: its batches (apply time, rows, transactions), the
 * documents each view recomputes and, for one batch in {@value #TIMED_EVERY} of those that recompute
 * documents (the first among them), how long each view's recomputation took on its own, and the
 * second and third stages of freshness (polled, applied).
 *
 * <p>Thread confinement: the projector's thread records; Micrometer's meters may be read from any thread.
 */
public final class ProjectorMeters implements ViewMeters {

    /** One batch in this many (of those that recompute documents) has its views recomputed one round trip each, timed. */
    static final int TIMED_EVERY = 32;

    private final Meters meters;
    private final Freshness freshness;
    private final Timer apply;
    private final Counter batches;
    /** Batches that recomputed documents. */
    private long recomputingBatches;
    private boolean recomputing;

    /** The meters of a projector of {@code source}'s changes ({@code meters} tagged with its region). */
    public ProjectorMeters(Meters meters, String source) {
        this.meters = meters;
        this.freshness = Freshness.of(meters, "source", source);
        this.apply = meters.timer("outpost.projector.apply", "Time to apply a batch: its row writes, view recomputation, "
                + "watermark and commit, from the first statement to the commit's answer");
        this.batches = meters.counter("outpost.projector.batches", "Store transactions committed, each one or more "
                + "whole source transactions");
    }

    /** Whether the next batch's views are recomputed one by one, timed. */
    boolean nextBatchTimed() {
        return recomputingBatches % TIMED_EVERY == 0;
    }

    /** A batch was committed after {@code nanos} of applying. */
    void batch(long nanos) {
        if (recomputing) {
            recomputingBatches++;
            recomputing = false;
        }
        batches.increment();
        apply.record(nanos, TimeUnit.NANOSECONDS);
    }

    /** A source transaction that committed at {@code commitMillis} and was logged at {@code loggedMillis} was read at {@code nowMillis}. */
    void polled(long commitMillis, long loggedMillis, long nowMillis) {
        freshness.record(Freshness.Stage.POLLED, commitMillis, loggedMillis, nowMillis);
    }

    /** A source transaction read at {@code polledMillis} is committed in the store at {@code nowMillis}. */
    void applied(long commitMillis, long polledMillis, long nowMillis) {
        freshness.record(Freshness.Stage.APPLIED, commitMillis, polledMillis, nowMillis);
    }

    @Override
    public void keys(String view, int keys) {
        recomputing = true;
        meters.counter("outpost.projector.view.keys", "Documents of a view recomputed because a batch affected them",
                "view", view).increment(keys);
    }

    @Override
    public void recomputed(String view, int keys, long nanos) {
        meters.timer("outpost.projector.view.recompute", "Time a view's recomputation of one batch's documents took on "
                + "its own (measured for one batch in " + TIMED_EVERY + ", and for every rebuild of all its documents)",
                "view", view).record(nanos, TimeUnit.NANOSECONDS);
    }
}

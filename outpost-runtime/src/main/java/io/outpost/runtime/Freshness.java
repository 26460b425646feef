package io.outpost.runtime;

import io.micrometer.core.instrument.Timer;
import java.util.Locale;
import java.util.concurrent.TimeUnit;

/**
 * Where freshness goes, per source transaction and stage: from its commit at the source to
 * capture's publish (durable in the change log), to the projector's poll, to the projector's store
 * commit, to the gateway's NOTIFY of the watermark that includes it. Each stage is a timer of its
 * own ({@code outpost_freshness_stage_seconds{stage}}: the time spent in that stage alone) beside
 * the time from the source commit to the end of that stage ({@code outpost_freshness_seconds{at}}).
 *
 * <p>Times are wall-clock instants from different machines (the source's commit time, the log's
 * record timestamp, the store's {@code applied_at}): a stage across two machines includes their
 * clock difference, and a negative one (clocks apart by more than the stage) counts as 0.
 */
public final class Freshness {

    /** A stage, named by where it ends. */
    public enum Stage {
        /** Source commit → durable in the change log (capture). */
        PUBLISHED,
        /** In the log → read by the region's projector. */
        POLLED,
        /** Read → committed in the region's store (the projector's batch). */
        APPLIED,
        /** Committed in the store → the gateway's NOTIFY of the watermark. */
        NOTIFIED;

        /** Its name in metrics: {@code published}. */
        public String tag() {
            return name().toLowerCase(Locale.ROOT);
        }
    }

    private final Meters meters;
    private final String[] tags;
    /** Made at a stage's first record: a part shows only the stages it measures. */
    private final Timer[] stages = new Timer[Stage.values().length];
    private final Timer[] totals = new Timer[Stage.values().length];

    private Freshness(Meters meters, String... tags) {
        this.meters = meters;
        this.tags = tags;
    }

    /**
     * The freshness timers among a part's meters, with {@code tags} besides the part's own: every
     * part's timers carry the same tag names, {@code source} and {@code region} (empty for capture's
     * stage, which ends in the log, before any region), as Prometheus wants of one metric.
     */
    public static Freshness of(Meters meters, String... tags) {
        return new Freshness(meters, tags);
    }

    private static String[] with(String[] tags, String name, String value) {
        String[] all = java.util.Arrays.copyOf(tags, tags.length + 2);
        all[tags.length] = name;
        all[tags.length + 1] = value;
        return all;
    }

    /**
     * A transaction that committed at the source at {@code commitMillis} (epoch milliseconds)
     * entered {@code stage} at {@code enteredMillis} and left it at {@code nowMillis}.
     */
    public void record(Stage stage, long commitMillis, long enteredMillis, long nowMillis) {
        int i = stage.ordinal();
        Timer alone = stages[i];
        Timer total = totals[i];
        if (alone == null || total == null) {
            // read into locals: another thread may be filling the arrays too (the meters hand both the same timers)
            alone = meters.timer("outpost.freshness.stage",
                    "Time a source transaction spent in one stage of its way to the regions: published (source commit → "
                            + "durable in the change log), polled (→ read by a projector), applied (→ committed in the region's "
                            + "store), notified (→ the gateway's NOTIFY of the watermark)", with(tags, "stage", stage.tag()));
            total = meters.timer("outpost.freshness",
                    "Time from a source transaction's commit to the end of a stage (at): published, polled, applied, notified",
                    with(tags, "at", stage.tag()));
            stages[i] = alone;
            totals[i] = total;
        }
        alone.record(Math.max(0, nowMillis - enteredMillis), TimeUnit.MILLISECONDS);
        total.record(Math.max(0, nowMillis - commitMillis), TimeUnit.MILLISECONDS);
    }
}

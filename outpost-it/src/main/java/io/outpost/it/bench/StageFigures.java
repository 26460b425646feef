package io.outpost.it.bench;

import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.outpost.runtime.Buckets;
import io.outpost.runtime.Freshness;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Freshness by stage as Outpost's own metrics measure it ({@code outpost_freshness_stage_seconds},
 * {@code outpost_freshness_seconds}), for a phase of a benchmark: the histograms at its end minus
 * those at its start, summed over the regions ({@link Buckets}: within some 10–25%).
 */
final class StageFigures {

    /** A timer family: its name and the tag that names its stage. */
    record Family(String name, String tag) {
    }

    static final Family STAGE = new Family("outpost.freshness.stage", "stage");
    static final Family SINCE_COMMIT = new Family("outpost.freshness", "at");
    /** A projector's batches, from the first statement to the commit's answer (no tag: "" as the value). */
    static final Family APPLY = new Family("outpost.projector.apply", null);
    /** A view's recomputation alone (sampled: one batch in 32 of those that recompute). */
    static final Family RECOMPUTE = new Family("outpost.projector.view.recompute", "view");

    private final Map<String, Buckets> start;

    private StageFigures(Map<String, Buckets> start) {
        this.start = start;
    }

    /** Remembers the histograms as they are now: the phase's start; {@code views} names the views to time. */
    static StageFigures startingNow(MeterRegistry registry, List<String> views) {
        Map<String, Buckets> now = new LinkedHashMap<>();
        for (Family family : List.of(STAGE, SINCE_COMMIT)) {
            for (Freshness.Stage stage : Freshness.Stage.values()) {
                now.put(family.name() + " " + stage.tag(), buckets(registry, family, stage.tag()));
            }
        }
        now.put(APPLY.name() + " ", buckets(registry, APPLY, ""));
        for (String view : views) {
            now.put(RECOMPUTE.name() + " " + view, buckets(registry, RECOMPUTE, view));
        }
        return new StageFigures(now);
    }

    /** A stage's {p50, p99, count} in milliseconds since the start; NaN when nothing was recorded. */
    double[] since(MeterRegistry registry, Family family, String stage) {
        Buckets phase = buckets(registry, family, stage).minus(start.get(family.name() + " " + stage));
        return new double[] {phase.percentile(0.50), phase.percentile(0.99), phase.count()};
    }

    private static Buckets buckets(MeterRegistry registry, Family family, String stage) {
        var search = registry.find(family.name());
        List<Timer> timers = (family.tag() == null ? search : search.tag(family.tag(), stage)).timers().stream().toList();
        return Buckets.of(timers);
    }
}

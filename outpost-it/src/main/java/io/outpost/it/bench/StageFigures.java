package io.outpost.it.bench;

import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.distribution.CountAtBucket;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;

/**
 * Freshness by stage as Outpost's own metrics measure it ({@code outpost_freshness_stage_seconds},
 * {@code outpost_freshness_seconds}), for a phase of a benchmark: the histograms' bucket counts at
 * its end minus those at its start, summed over the regions, with percentiles interpolated within a
 * bucket (Micrometer's buckets are some 10–25% apart, so a figure is that close).
 */
final class StageFigures {

    /** A timer family: its name and the tag that names its stage. */
    record Family(String name, String tag) {
    }

    static final Family STAGE = new Family("outpost.freshness.stage", "stage");
    static final Family SINCE_COMMIT = new Family("outpost.freshness", "at");

    private final Map<String, TreeMap<Double, Long>> start;

    private StageFigures(Map<String, TreeMap<Double, Long>> start) {
        this.start = start;
    }

    /** Remembers the histograms as they are now: the phase's start. */
    static StageFigures startingNow(MeterRegistry registry) {
        return new StageFigures(counts(registry));
    }

    /** A stage's p50 and p99 in milliseconds since the start, {@code {NaN, NaN, 0}} when nothing was recorded; [2] is the count. */
    double[] since(MeterRegistry registry, Family family, String stage) {
        TreeMap<Double, Long> now = counts(registry).getOrDefault(family.name() + " " + stage, new TreeMap<>());
        TreeMap<Double, Long> before = start.getOrDefault(family.name() + " " + stage, new TreeMap<>());
        List<double[]> buckets = new ArrayList<>(); // [upper bound ms, cumulative count in the phase]
        for (var entry : now.entrySet()) {
            buckets.add(new double[] {entry.getKey(), entry.getValue() - before.getOrDefault(entry.getKey(), 0L)});
        }
        double total = buckets.isEmpty() ? 0 : buckets.getLast()[1];
        if (total == 0) {
            return new double[] {Double.NaN, Double.NaN, 0};
        }
        return new double[] {percentile(buckets, total, 0.50), percentile(buckets, total, 0.99), total};
    }

    private static double percentile(List<double[]> buckets, double total, double q) {
        double wanted = q * total;
        double lowerBound = 0;
        double lowerCount = 0;
        for (double[] bucket : buckets) {
            if (bucket[1] >= wanted) {
                double inBucket = bucket[1] - lowerCount;
                return inBucket == 0 ? bucket[0] : lowerBound + (bucket[0] - lowerBound) * (wanted - lowerCount) / inBucket;
            }
            lowerBound = bucket[0];
            lowerCount = bucket[1];
        }
        return buckets.getLast()[0];
    }

    /** Cumulative bucket counts by "name stage", summed over every meter of that name and stage (every region). */
    private static Map<String, TreeMap<Double, Long>> counts(MeterRegistry registry) {
        Map<String, TreeMap<Double, Long>> all = new LinkedHashMap<>();
        for (Family family : List.of(STAGE, SINCE_COMMIT)) {
            for (Timer timer : registry.find(family.name()).timers()) {
                String key = family.name() + " " + timer.getId().getTag(family.tag());
                TreeMap<Double, Long> sums = all.computeIfAbsent(key, k -> new TreeMap<>());
                for (CountAtBucket bucket : timer.takeSnapshot().histogramCounts()) {
                    sums.merge(bucket.bucket(TimeUnit.MILLISECONDS), (long) bucket.count(), Long::sum);
                }
            }
        }
        return all;
    }
}

package io.outpost.runtime;

import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.distribution.CountAtBucket;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;

/**
 * The histogram buckets of one or more timers, summed: cumulative counts by upper bound, in
 * milliseconds. Percentiles are interpolated within a bucket, so a figure is as close as the buckets
 * are apart (Micrometer's percentile histograms: some 10–25%). Another snapshot can be subtracted
 * to see one phase alone.
 */
public final class Buckets {

    private final TreeMap<Double, Long> cumulative;

    private Buckets(TreeMap<Double, Long> cumulative) {
        this.cumulative = cumulative;
    }

    /** The buckets of {@code timers} as they are now, summed (they must share their bounds, as Outpost's timers do). */
    public static Buckets of(Iterable<Timer> timers) {
        TreeMap<Double, Long> sums = new TreeMap<>();
        for (Timer timer : timers) {
            for (CountAtBucket bucket : timer.takeSnapshot().histogramCounts()) {
                sums.merge(bucket.bucket(TimeUnit.MILLISECONDS), (long) bucket.count(), Long::sum);
            }
        }
        return new Buckets(sums);
    }

    /** What was recorded since {@code earlier} (a snapshot of the same timers). */
    public Buckets minus(Buckets earlier) {
        TreeMap<Double, Long> delta = new TreeMap<>();
        for (Map.Entry<Double, Long> bucket : cumulative.entrySet()) {
            delta.put(bucket.getKey(), bucket.getValue() - earlier.cumulative.getOrDefault(bucket.getKey(), 0L));
        }
        return new Buckets(delta);
    }

    /** How many values are in the buckets (values above the largest bound are not). */
    public long count() {
        return cumulative.isEmpty() ? 0 : cumulative.lastEntry().getValue();
    }

    /** The {@code q} quantile (0.5 for the median) in milliseconds; NaN when there is nothing. */
    public double percentile(double q) {
        long total = count();
        if (total == 0) {
            return Double.NaN;
        }
        double wanted = q * total;
        double lowerBound = 0;
        long lowerCount = 0;
        for (Map.Entry<Double, Long> bucket : cumulative.entrySet()) {
            if (bucket.getValue() >= wanted) {
                long inBucket = bucket.getValue() - lowerCount;
                return inBucket == 0 ? bucket.getKey()
                        : lowerBound + (bucket.getKey() - lowerBound) * (wanted - lowerCount) / inBucket;
            }
            lowerBound = bucket.getKey();
            lowerCount = bucket.getValue();
        }
        return cumulative.lastKey();
    }
}

package io.outpost.it.bench;

import java.util.LinkedHashMap;
import java.util.Map;
import org.HdrHistogram.Histogram;

/** Latency samples in microseconds; figures in milliseconds. */
final class Latencies {

    private final Histogram histogram = new Histogram(60_000_000L, 3);

    synchronized void recordNanos(long nanos) {
        histogram.recordValue(Math.max(0, nanos / 1000));
    }

    synchronized long count() {
        return histogram.getTotalCount();
    }

    synchronized double p50() {
        return histogram.getValueAtPercentile(50) / 1000.0;
    }

    synchronized double p99() {
        return histogram.getValueAtPercentile(99) / 1000.0;
    }

    synchronized double max() {
        return histogram.getMaxValue() / 1000.0;
    }

    Map<String, Object> json() {
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("count", count());
        out.put("p50_ms", round(p50()));
        out.put("p99_ms", round(p99()));
        out.put("max_ms", round(max()));
        return out;
    }

    static double round(double value) {
        return Math.round(value * 100) / 100.0;
    }

    /** The median of {@code values} (the mean of the middle two when their number is even). */
    static double median(java.util.List<Double> values) {
        java.util.List<Double> sorted = values.stream().sorted().toList();
        int n = sorted.size();
        return n % 2 == 1 ? sorted.get(n / 2) : (sorted.get(n / 2 - 1) + sorted.get(n / 2)) / 2;
    }
}

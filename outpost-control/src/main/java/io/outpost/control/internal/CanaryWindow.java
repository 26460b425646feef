package io.outpost.control.internal;

import io.outpost.core.region.Canary;
import java.util.ArrayDeque;
import java.util.Arrays;
import java.util.Deque;

/**
 * One monitor's recent canary measurements on one region: how long each fence took from its
 * write's acknowledgement until the region showed it, over the last {@link #SIZE} fences, and the
 * fence the region is being asked about now, if any (one at a time: a region that stopped applying
 * gets no pile of waits, and its wait shows as {@link Canary#pendingMs} while it lasts).
 *
 * <p>Thread safety: all methods are synchronized (waits end on HTTP client threads, figures are read
 * by the probes).
 */
public final class CanaryWindow {

    /** Measurements kept: a minute's worth at the default interval of a second. */
    static final int SIZE = 60;

    private final Deque<Long> measured = new ArrayDeque<>();
    private long last = -1;
    /** {@link System#nanoTime} when the fence being waited for was acknowledged; 0 when none is. */
    private long pendingSince;

    /**
     * Starts waiting for a fence acknowledged at {@code writtenNanos}.
     *
     * @return false when a wait on an earlier fence is still going on (this fence is not asked about)
     */
    public synchronized boolean begin(long writtenNanos) {
        if (pendingSince != 0) {
            return false;
        }
        pendingSince = writtenNanos;
        return true;
    }

    /** The region showed the fence (or still had not after waiting): it took {@code nanos} at least. */
    public synchronized void measured(long nanos) {
        pendingSince = 0;
        last = Math.max(0, nanos / 1_000_000);
        measured.addLast(last);
        while (measured.size() > SIZE) {
            measured.removeFirst();
        }
    }

    /** The wait ended without an answer (the region could not be asked): nothing measured. */
    public synchronized void abandon() {
        pendingSince = 0;
    }

    /** The figures at {@code nowNanos}; null before the first measurement. */
    public synchronized Canary figures(long nowNanos) {
        if (last < 0) {
            return null;
        }
        long[] sorted = measured.stream().mapToLong(Long::longValue).toArray();
        Arrays.sort(sorted);
        long pending = pendingSince == 0 ? 0 : Math.max(0, (nowNanos - pendingSince) / 1_000_000);
        return new Canary(last, percentile(sorted, 0.50), percentile(sorted, 0.99), sorted[sorted.length - 1], sorted.length,
                pending);
    }

    private static long percentile(long[] sorted, double p) {
        int index = (int) Math.ceil(p * sorted.length) - 1;
        return sorted[Math.max(0, Math.min(sorted.length - 1, index))];
    }
}

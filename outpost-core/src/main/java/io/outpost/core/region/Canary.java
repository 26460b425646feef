package io.outpost.core.region;

/**
 * One monitor's canary figures on one region: how long fences written through the monitor's own
 * region's command path took, from the write's acknowledgement until the observed region's
 * watermark reached them (as the monitor saw it, so one round trip to that region's gateway
 * included), over the monitor's recent fences.
 *
 * @param lastMs    the latest fence measured
 * @param p50Ms     median over the recent fences measured
 * @param p99Ms     99th percentile over them
 * @param maxMs     the longest of them
 * @param count     how many were measured (the window's size)
 * @param pendingMs how long the oldest fence the region has not shown yet has been waiting; 0 when none
 */
public record Canary(long lastMs, long p50Ms, long p99Ms, long maxMs, int count, long pendingMs) {

    public Canary {
        if (lastMs < 0 || p50Ms < 0 || p99Ms < 0 || maxMs < 0 || count < 0 || pendingMs < 0) {
            throw new IllegalArgumentException("canary figures are never negative: last " + lastMs + ", p50 " + p50Ms + ", p99 "
                    + p99Ms + ", max " + maxMs + ", count " + count + ", pending " + pendingMs);
        }
    }

    /**
     * The freshness that counts against {@code health.max-lag}: the latest fence's, or the wait of a
     * fence not visible yet when that is longer (a region that stopped applying shows no new figure).
     */
    public long freshnessMs() {
        return Math.max(lastMs, pendingMs);
    }
}

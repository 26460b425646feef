package io.outpost.core.region;

import java.time.Instant;
import java.util.Objects;

/**
 * One monitor's verdict on one region at one moment, after its own hysteresis (a region it saw up
 * counts as {@link RegionHealth#DOWN} only after several failed probes in a row).
 *
 * @param region     the region observed
 * @param monitor    the monitor that observed it (monitors are named after the region they run in)
 * @param health     the verdict; never {@link RegionHealth#UNKNOWN}
 * @param observedAt when the probe that led to it ended
 * @param detail     why, in a few words ("HTTP 503: store unreachable", "connection refused")
 * @param configHash the configuration hash the region's gateway reported; null when it did not answer
 * @param canary     the monitor's canary figures on the region; null before its first fence or without a canary
 */
public record Observation(String region, String monitor, RegionHealth health, Instant observedAt, String detail,
                          String configHash, Canary canary) {

    public Observation {
        Objects.requireNonNull(region, "region");
        Objects.requireNonNull(monitor, "monitor");
        Objects.requireNonNull(health, "health");
        Objects.requireNonNull(observedAt, "observedAt");
        detail = detail == null ? "" : detail;
        if (health == RegionHealth.UNKNOWN) {
            throw new IllegalArgumentException("an observation is UP, DEGRADED or DOWN, but was UNKNOWN");
        }
    }

    /** An observation without canary figures. */
    public Observation(String region, String monitor, RegionHealth health, Instant observedAt, String detail, String configHash) {
        this(region, monitor, health, observedAt, detail, configHash, null);
    }

    /** An observation without a configuration hash (the probe got no health document). */
    public Observation(String region, String monitor, RegionHealth health, Instant observedAt, String detail) {
        this(region, monitor, health, observedAt, detail, null, null);
    }

    /** The key of this observation in the region-state topic: {@code <region>/<monitor>}. */
    public String key() {
        return region + "/" + monitor;
    }
}

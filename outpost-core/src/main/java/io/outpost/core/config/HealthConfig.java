package io.outpost.core.config;

import static io.outpost.core.config.Def.Setting.optional;

import java.time.Duration;
import java.util.List;
import java.util.Objects;

/**
 * Region health monitoring.
 *
 * @param probeInterval  how often each monitor probes every region
 * @param probeTimeout   how long a probe may take before it counts as a failure
 * @param failuresToDown consecutive failures before a region is DOWN
 * @param successesToUp  consecutive successes before a DOWN region is UP again
 * @param observationTtl how old an observation may be and still count towards the majority
 * @param webhooks       URLs that receive a POST on every change of a region's state
 * @param maxLag         how far behind the source a region may be and still report itself UP, and how
 *                       long a canary fence may take to be visible in it
 * @param canaryInterval how often each monitor writes a canary fence through its region's command path
 */
public record HealthConfig(Duration probeInterval, Duration probeTimeout, int failuresToDown, int successesToUp,
                           Duration observationTtl, List<String> webhooks, Duration maxLag, Duration canaryInterval) {

    static final Def.Setting<Duration> PROBE_INTERVAL = optional("probe-interval", Type.DURATION,
            Duration.ofSeconds(1), "How often each monitor probes every region's /outpost/health.");
    static final Def.Setting<Duration> PROBE_TIMEOUT = optional("probe-timeout", Type.DURATION,
            Duration.ofMillis(500), "How long a probe may take before it counts as a failure.");
    static final Def.Setting<Integer> FAILURES_TO_DOWN = optional("failures-to-down", Type.integer(1, 100), 3,
            "Consecutive failed probes before a region counts as DOWN.");
    static final Def.Setting<Integer> SUCCESSES_TO_UP = optional("successes-to-up", Type.integer(1, 100), 2,
            "Consecutive good probes before a DOWN region counts as UP again.");
    static final Def.Setting<Duration> OBSERVATION_TTL = optional("observation-ttl", Type.DURATION,
            Duration.ofSeconds(5), "How old an observation may be and still count towards a region's majority.");
    static final Def.Setting<List<String>> WEBHOOKS = optional("webhooks", Type.listOf(Type.HTTP_URL), List.of(),
            "URLs that receive a POST (JSON) on every change of a region's effective state.");

    static final Def.Setting<Duration> MAX_LAG = optional("max-lag", Type.DURATION, Duration.ofSeconds(30),
            "How far behind the source (now minus the source commit time of its watermark) a region may be and still "
                    + "report itself UP; beyond it, it is DEGRADED (it serves, but old data: its projector may be stuck).");

    /** The default {@code health.canary-interval}. */
    public static final Duration DEFAULT_CANARY_INTERVAL = Duration.ofSeconds(1);

    static final Def.Setting<Duration> CANARY_INTERVAL = optional("canary-interval", Type.DURATION, DEFAULT_CANARY_INTERVAL,
            "How often each monitor writes a canary fence through its own region's command path and measures commit → "
                    + "visible in every region; a region whose canary takes longer than max-lag is DEGRADED.");

    static final Def.Section DEF = Def.Section.of("health", false, "Region health monitoring and alarms.",
            PROBE_INTERVAL, PROBE_TIMEOUT, FAILURES_TO_DOWN, SUCCESSES_TO_UP, OBSERVATION_TTL, WEBHOOKS, MAX_LAG, CANARY_INTERVAL);

    public HealthConfig {
        Objects.requireNonNull(probeInterval, "probeInterval");
        Objects.requireNonNull(probeTimeout, "probeTimeout");
        Objects.requireNonNull(observationTtl, "observationTtl");
        webhooks = List.copyOf(webhooks);
        Objects.requireNonNull(maxLag, "maxLag");
        Objects.requireNonNull(canaryInterval, "canaryInterval");
    }

    /** The same, with the default canary interval. */
    public HealthConfig(Duration probeInterval, Duration probeTimeout, int failuresToDown, int successesToUp,
                        Duration observationTtl, List<String> webhooks, Duration maxLag) {
        this(probeInterval, probeTimeout, failuresToDown, successesToUp, observationTtl, webhooks, maxLag, DEFAULT_CANARY_INTERVAL);
    }

    static HealthConfig read(Cursor c) {
        int before = c.problemCount();
        Duration interval = c.get(PROBE_INTERVAL);
        Duration timeout = c.get(PROBE_TIMEOUT);
        int failures = c.get(FAILURES_TO_DOWN);
        int successes = c.get(SUCCESSES_TO_UP);
        Duration ttl = c.get(OBSERVATION_TTL);
        List<String> webhooks = c.get(WEBHOOKS);
        Duration maxLag = c.get(MAX_LAG);
        Duration canary = c.get(CANARY_INTERVAL);
        if (interval.isZero()) {
            c.problem(PROBE_INTERVAL.key(), "must be longer than 0, but was 0");
        }
        if (timeout.compareTo(interval) > 0) {
            c.problem(PROBE_TIMEOUT.key(), "must not be longer than health.probe-interval (" + interval.toMillis()
                    + " ms), but was " + timeout.toMillis() + " ms");
        }
        if (ttl.compareTo(interval) <= 0) {
            c.problem(OBSERVATION_TTL.key(), "must be longer than health.probe-interval (" + interval.toMillis()
                    + " ms), or every observation would be stale, but was " + ttl.toMillis() + " ms");
        }
        if (maxLag.isZero()) {
            c.problem(MAX_LAG.key(), "must be longer than 0, but was 0");
        }
        if (canary.compareTo(Duration.ofMillis(100)) < 0) {
            c.problem(CANARY_INTERVAL.key(), "must be at least 100 ms (each fence is a write to the source), but was "
                    + canary.toMillis() + " ms");
        }
        return c.failedSince(before) ? null
                : new HealthConfig(interval, timeout, failures, successes, ttl, webhooks, maxLag, canary);
    }
}

package io.outpost.gateway.internal;

import io.github.resilience4j.micrometer.tagged.TaggedBulkheadMetrics;
import io.github.resilience4j.micrometer.tagged.TaggedCircuitBreakerMetrics;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.outpost.core.region.RegionHealth;
import io.outpost.core.region.RegionStateFeed;
import io.outpost.runtime.Freshness;
import io.outpost.runtime.Meters;
import io.outpost.store.WatermarkWatcher;
import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.util.Collection;
import java.util.concurrent.TimeUnit;

/**
 * A gateway's metrics, scraped at {@code /outpost/metrics} in Prometheus' text format:
 * {@code outpost_http_requests_seconds} by route template, method and status;
 * {@code outpost_watermark_staleness_seconds} and {@code outpost_watermark_connected};
 * {@code outpost_region_state} per region ({@code of}); the last stage of freshness
 * ({@code outpost_freshness_*{stage="notified"}}); read decisions; and Resilience4j's own metrics
 * of every command target's breaker and bulkhead ({@code resilience4j_circuitbreaker_*},
 * {@code resilience4j_bulkhead_*}, by target {@code name}), each tagged with the gateway's region.
 *
 * <p>The registry is the process's when the gateway runs beside other roles ({@code outpost run}:
 * the scrape shows theirs too); otherwise one of its own, closed with it.
 */
public final class GatewayMetrics implements AutoCloseable {

    private final PrometheusMeterRegistry registry;
    private final boolean owned;
    private final Meters meters;
    private final Freshness freshness;

    /**
     * The metrics of the gateway of {@code region}, serving {@code source}'s data, in {@code registry}
     * (one of its own when null).
     */
    public GatewayMetrics(String region, String source, PrometheusMeterRegistry registry) {
        this.owned = registry == null;
        this.registry = owned ? new PrometheusMeterRegistry(PrometheusConfig.DEFAULT) : registry;
        this.meters = Meters.of(this.registry, "region", region);
        this.freshness = Freshness.of(meters, "source", source);
        // Resilience4j's meters carry the region through the breakers' and bulkheads' registry tags
        meters.adopt(id -> id.getName().startsWith("resilience4j.") && region.equals(id.getTag("region")));
    }

    /** Counts and times a request under its route template ({@code other} when none matched). */
    public void request(String route, String method, int status, long nanos) {
        meters.timer("outpost.http.requests", "Requests served, by route template, method and status",
                "route", route == null ? "other" : route, "method", method, "status", Integer.toString(status))
                .record(nanos, TimeUnit.NANOSECONDS);
    }

    /** The region's watermark: its staleness and whether the gateway follows it. */
    public void watermark(WatermarkWatcher watcher, InstantSource clock) {
        meters.gauge("outpost.watermark.staleness", "Now minus the source commit time of the region's watermark", "seconds",
                watcher, w -> {
                    Duration staleness = w.current().staleness(clock.instant());
                    return staleness == null ? Double.NaN : staleness.toMillis() / 1000.0;
                });
        meters.gauge("outpost.watermark.connected", "Whether the gateway follows the store's watermark (1) or has lost "
                + "its connection (0)", null, watcher, w -> w.connected() ? 1 : 0);
    }

    /** The watermark moved, as the gateway's NOTIFY told it at {@code now}: the last stage of freshness. */
    public void notified(Instant commitTime, Instant appliedAt, Instant now) {
        freshness.record(Freshness.Stage.NOTIFIED, commitTime.toEpochMilli(), appliedAt.toEpochMilli(), now.toEpochMilli());
    }

    /** Every command target's breaker and bulkhead (their registries are tagged with the region). */
    public void commandTargets(CommandTargets targets) {
        TaggedCircuitBreakerMetrics.ofCircuitBreakerRegistry(targets.breakers()).bindTo(registry);
        TaggedBulkheadMetrics.ofBulkheadRegistry(targets.bulkheads()).bindTo(registry);
    }

    /** Each region's effective state by the monitors' majority. */
    public void regionStates(RegionStateFeed regions, Collection<String> names) {
        for (String name : names) {
            meters.gauge("outpost.region.state", "A region's effective state by the monitors' majority: 0 up, 1 degraded, "
                    + "2 down, 3 unknown", null, regions, r -> r.states().getOrDefault(name, RegionHealth.UNKNOWN).ordinal(),
                    "of", name);
        }
    }

    /** Read decisions by outcome ({@code allowed}, {@code hidden}, {@code unauthenticated}, {@code forbidden}, {@code unavailable}). */
    public void decision(String outcome) {
        meters.counter("outpost.auth.decisions", "Read requests decided by authentication and read rules, by outcome",
                "outcome", outcome).increment();
    }

    /** A credential looked up in forward mode's answers: {@code hit}, {@code miss} (the monolith asked) or {@code stale}. */
    void forwardLookup(String result) {
        meters.counter("outpost.auth.forward.lookups", "Credentials looked up in forward mode: answered from the cache "
                + "(hit), by the monolith (miss), or from an answer past its TTL while the monolith cannot answer (stale)",
                "result", result).increment();
    }

    /** The signing keys' fetches and failed fetches. */
    void keySet(KeySet keys) {
        meters.counted("outpost.auth.key.fetches", "Fetches of the token signing keys (JWKS)", keys, KeySet::fetches);
        meters.counted("outpost.auth.key.fetch.failures", "Fetches of the token signing keys (JWKS) that failed; the last "
                + "good keys stay in use", keys, KeySet::failures);
    }

    /** The registry its metrics are in (the process's, or its own). */
    public PrometheusMeterRegistry registry() {
        return registry;
    }

    /** Every metric of the registry in Prometheus' text format. */
    public String scrape() {
        return registry.scrape();
    }

    /** Removes the gateway's meters from a shared registry; closes one of its own. */
    @Override
    public void close() {
        meters.close();
        if (owned) {
            registry.close();
        }
    }
}

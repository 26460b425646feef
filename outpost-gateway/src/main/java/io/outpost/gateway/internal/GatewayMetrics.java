package io.outpost.gateway.internal;

import io.github.resilience4j.micrometer.tagged.TaggedBulkheadMetrics;
import io.github.resilience4j.micrometer.tagged.TaggedCircuitBreakerMetrics;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Timer;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.outpost.core.region.RegionHealth;
import io.outpost.core.region.RegionStateFeed;
import io.outpost.store.WatermarkWatcher;
import java.time.Duration;
import java.time.InstantSource;
import java.util.Collection;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

/**
 * A gateway's metrics, scraped at {@code /outpost/metrics} in Prometheus' text format:
 * {@code outpost_http_requests_seconds} by route template, method and status;
 * {@code outpost_watermark_staleness_seconds} and {@code outpost_watermark_connected};
 * {@code outpost_region_state} per region ({@code of}); and Resilience4j's own metrics of every
 * command target's breaker and bulkhead ({@code resilience4j_circuitbreaker_*},
 * {@code resilience4j_bulkhead_*}, by target {@code name}), each tagged with the gateway's region.
 */
public final class GatewayMetrics implements AutoCloseable {

    private final String region;
    private final PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    /** By route, method and status: a timer is looked up once, not built per request. */
    private final Map<String, Timer> timers = new ConcurrentHashMap<>();
    private final Map<String, io.micrometer.core.instrument.Counter> decisions = new ConcurrentHashMap<>();
    private final Map<String, io.micrometer.core.instrument.Counter> forwardLookups = new ConcurrentHashMap<>();

    public GatewayMetrics(String region) {
        this.region = region;
    }

    /** Counts and times a request under its route template ({@code other} when none matched). */
    public void request(String route, String method, int status, long nanos) {
        String template = route == null ? "other" : route;
        Timer timer = timers.computeIfAbsent(template + " " + method + " " + status, k -> Timer.builder("outpost.http.requests")
                .description("Requests served, by route template, method and status")
                .tags("route", template, "method", method, "status", Integer.toString(status))
                .publishPercentileHistogram().register(registry));
        timer.record(nanos, TimeUnit.NANOSECONDS);
    }

    /** The region's watermark: its staleness and whether the gateway follows it. */
    public void watermark(WatermarkWatcher watcher, InstantSource clock) {
        Gauge.builder("outpost.watermark.staleness", watcher, w -> {
                    Duration staleness = w.current().staleness(clock.instant());
                    return staleness == null ? Double.NaN : staleness.toMillis() / 1000.0;
                }).description("Now minus the source commit time of the region's watermark").baseUnit("seconds")
                .tag("region", region).register(registry);
        Gauge.builder("outpost.watermark.connected", watcher, w -> w.connected() ? 1 : 0)
                .description("Whether the gateway follows the store's watermark (1) or has lost its connection (0)")
                .tag("region", region).register(registry);
    }

    /** Every command target's breaker and bulkhead (their registries are tagged with the region). */
    public void commandTargets(CommandTargets targets) {
        TaggedCircuitBreakerMetrics.ofCircuitBreakerRegistry(targets.breakers()).bindTo(registry);
        TaggedBulkheadMetrics.ofBulkheadRegistry(targets.bulkheads()).bindTo(registry);
    }

    /** Each region's effective state by the monitors' majority. */
    public void regionStates(RegionStateFeed regions, Collection<String> names) {
        for (String name : names) {
            Gauge.builder("outpost.region.state", regions, r -> r.states().getOrDefault(name, RegionHealth.UNKNOWN).ordinal())
                    .description("A region's effective state by the monitors' majority: 0 up, 1 degraded, 2 down, 3 unknown")
                    .tags("region", region, "of", name).register(registry);
        }
    }

    /** Read decisions by outcome ({@code allowed}, {@code hidden}, {@code unauthenticated}, {@code forbidden}, {@code unavailable}). */
    public void decision(String outcome) {
        decisions.computeIfAbsent(outcome, o -> io.micrometer.core.instrument.Counter.builder("outpost.auth.decisions")
                .description("Read requests decided by authentication and read rules, by outcome")
                .tags("region", region, "outcome", o).register(registry)).increment();
    }

    /** A credential looked up in forward mode's answers: {@code hit}, {@code miss} (the monolith asked) or {@code stale}. */
    void forwardLookup(String result) {
        forwardLookups.computeIfAbsent(result, r -> io.micrometer.core.instrument.Counter.builder("outpost.auth.forward.lookups")
                .description("Credentials looked up in forward mode: answered from the cache (hit), by the monolith (miss), "
                        + "or from an answer past its TTL while the monolith cannot answer (stale)")
                .tags("region", region, "result", r).register(registry)).increment();
    }

    /** The signing keys' fetches and failed fetches. */
    void keySet(KeySet keys) {
        io.micrometer.core.instrument.FunctionCounter.builder("outpost.auth.key.fetches", keys, KeySet::fetches)
                .description("Fetches of the token signing keys (JWKS)").tag("region", region).register(registry);
        io.micrometer.core.instrument.FunctionCounter.builder("outpost.auth.key.fetch.failures", keys, KeySet::failures)
                .description("Fetches of the token signing keys (JWKS) that failed; the last good keys stay in use")
                .tag("region", region).register(registry);
    }

    /** Every metric in Prometheus' text format. */
    public String scrape() {
        return registry.scrape();
    }

    @Override
    public void close() {
        registry.close();
    }
}

package io.outpost.gateway.internal;

import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.annotation.JsonPropertyOrder;
import com.fasterxml.jackson.annotation.JsonUnwrapped;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.annotation.JsonNaming;
import io.outpost.core.region.RegionHealth;
import java.util.List;
import java.util.Map;

/** What a gateway reports about its region, as the JSON of {@code /outpost/health}, {@code /ready} and {@code /v1/status}. */
public final class RegionReport {

    private RegionReport() {
    }

    /**
     * The region as the gateway sees it.
     *
     * @param store          {@code reachable} or {@code unreachable}
     * @param watermark      the watermark as a token; null before the region applied anything
     * @param position       the watermark's source position; null likewise
     * @param commitTime     when the watermark's transaction committed at the source
     * @param stalenessMs    now minus that commit time
     * @param views          each view's state in the store's registry
     * @param commandTargets each command target's breaker state
     */
    @JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
    @JsonPropertyOrder({"region", "store", "watermark", "position", "commit_time", "staleness_ms", "views", "command_targets"})
    public record State(String region, String store, String watermark, String position, String commitTime, Long stalenessMs,
                        Map<String, String> views, Map<String, String> commandTargets) {

        public static final String REACHABLE = "reachable";
        public static final String UNREACHABLE = "unreachable";

        boolean storeReachable() {
            return REACHABLE.equals(store);
        }
    }

    /**
     * Deep health: the status (UP, DEGRADED, DOWN) with the reasons it is not UP, the region's state,
     * and the hash of the configuration the gateway runs.
     */
    @JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
    @JsonPropertyOrder({"status", "reasons"})
    public record Health(RegionHealth status, List<String> reasons, @JsonUnwrapped State state, String configHash) {
    }

    /** Health as anyone may see it: the status alone (the details go to admins and to Outpost itself). */
    public record Brief(RegionHealth status) {
    }

    /** Whether the region takes queries. */
    public record Ready(boolean ready) {
    }

    /**
     * A configured region as this gateway knows it.
     *
     * @param state      its effective state by the monitors' majority
     * @param drained    whether an operator drained it (no commands go through it)
     * @param configHash the configuration hash its gateway reports (recently observed)
     * @param self       whether it is this gateway's region
     * @param canary     how long fences took to be visible in it, by the monitor (region) that wrote them
     */
    @JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
    @JsonPropertyOrder({"name", "gateway", "monolith_route", "state", "drained", "config_hash", "this", "canary"})
    public record Region(String name, String gateway, boolean monolithRoute, RegionHealth state, boolean drained,
                         String configHash, @JsonProperty("this") boolean self, Map<String, CanaryFigures> canary) {
    }

    /**
     * A monitor's canary figures on a region, as {@code /outpost/v1/regions} shows them.
     *
     * @param freshnessMs what counts against {@code health.max-lag}: the latest, or a wait still going on if longer
     */
    @JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
    @JsonPropertyOrder({"freshness_ms", "last_ms", "p50_ms", "p99_ms", "max_ms", "count", "pending_ms"})
    public record CanaryFigures(long freshnessMs, long lastMs, long p50Ms, long p99Ms, long maxMs, int count, long pendingMs) {

        public static CanaryFigures of(io.outpost.core.region.Canary canary) {
            return new CanaryFigures(canary.freshnessMs(), canary.lastMs(), canary.p50Ms(), canary.p99Ms(), canary.maxMs(),
                    canary.count(), canary.pendingMs());
        }
    }

    /** Every configured region, and the route commands take. */
    @JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
    public record Regions(List<Region> regions, List<String> commandRoute) {
    }

    /** The region's state read live, and the gateway's time. */
    @JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
    public record Status(@JsonUnwrapped State state, String now) {
    }
}

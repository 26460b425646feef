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
     */
    @JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
    @JsonPropertyOrder({"name", "gateway", "monolith_route", "state", "drained", "config_hash", "this"})
    public record Region(String name, String gateway, boolean monolithRoute, RegionHealth state, boolean drained,
                         String configHash, @JsonProperty("this") boolean self) {
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

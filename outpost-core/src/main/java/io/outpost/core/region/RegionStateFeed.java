package io.outpost.core.region;

import java.util.Map;
import java.util.Set;
import java.util.function.Consumer;

/**
 * Every region's effective state as the monitors' majority decides it, and its changes: what a
 * gateway needs of the control plane (which implements it) to force breakers open and route
 * commands around regions that are DOWN.
 */
public interface RegionStateFeed {

    /** Every configured region's state as last decided; a region nobody has observed is UNKNOWN. */
    Map<String, RegionHealth> states();

    /**
     * The configuration hash each region's gateway reports (recently observed), by region; a
     * region that runs another version of the shared file shows here.
     */
    default Map<String, String> configHashes() {
        return Map.of();
    }

    /**
     * The canary figures on each region, by region and then by the monitor that measured them (fences
     * written through that monitor's region), from the recent observations.
     */
    default Map<String, Map<String, Canary>> canaries() {
        return Map.of();
    }

    /** The regions an operator drained ({@link Drain}): no commands go through them. */
    default Set<String> drained() {
        return Set.of();
    }

    /** Each monitor's latest fresh observation of {@code region} (empty without a control plane). */
    default java.util.List<Observation> observations(String region) {
        return java.util.List.of();
    }

    /**
     * Calls {@code listener} with every later change, in order, on the feed's own thread, until the
     * returned subscription is closed.
     */
    Subscription onChange(Consumer<RegionStateChange> listener);

    /** A listener's registration; closing it stops the calls. */
    @FunctionalInterface
    interface Subscription extends AutoCloseable {
        @Override
        void close();
    }

    /** No control plane: nothing is known about any region and nothing ever changes. */
    static RegionStateFeed none() {
        return new RegionStateFeed() {
            @Override
            public Map<String, RegionHealth> states() {
                return Map.of();
            }

            @Override
            public Subscription onChange(Consumer<RegionStateChange> listener) {
                return () -> { };
            }
        };
    }
}

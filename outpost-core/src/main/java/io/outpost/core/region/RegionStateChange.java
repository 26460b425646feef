package io.outpost.core.region;

import java.time.Instant;
import java.util.List;
import java.util.Objects;

/**
 * A change of a region's effective state: an alarm.
 *
 * @param region       the region whose state changed
 * @param from         its state before
 * @param to           its state now
 * @param at           when the change was decided
 * @param observations the fresh observations the decision rests on
 */
public record RegionStateChange(String region, RegionHealth from, RegionHealth to, Instant at,
                                List<Observation> observations) {

    public RegionStateChange {
        Objects.requireNonNull(region, "region");
        Objects.requireNonNull(from, "from");
        Objects.requireNonNull(to, "to");
        Objects.requireNonNull(at, "at");
        observations = List.copyOf(observations);
    }
}

package io.outpost.core.region;

/**
 * What a region is, as one monitor observes it or as the monitors' majority decides.
 *
 * <ul>
 *   <li>{@link #UP}: its gateway answers, its store is reachable and has applied something, and
 *       (where it has a route to the monolith) the monolith's breaker is not open.</li>
 *   <li>{@link #DEGRADED}: it answers queries but cannot send commands to the monolith itself.</li>
 *   <li>{@link #DOWN}: it does not answer, or answers that it cannot serve queries.</li>
 *   <li>{@link #UNKNOWN}: no fresh observation of it exists (no monitor has probed it recently);
 *       nothing is decided on its behalf.</li>
 * </ul>
 */
public enum RegionHealth {
    UP, DEGRADED, DOWN, UNKNOWN
}

package io.outpost.gateway.internal;

import io.github.resilience4j.circuitbreaker.CircuitBreaker;
import io.outpost.core.region.RegionHealth;
import io.outpost.core.region.RegionStateFeed;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Follows the regions' effective states: a command target region that the monitors' majority says
 * is DOWN has its breaker forced open until it is not, so commands go around it at once instead of
 * each finding out. UNKNOWN and DEGRADED force nothing: the local breaker still judges by what it
 * sees. A region's own route to the monolith is never forced.
 */
public final class ForcedBreakers implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(ForcedBreakers.class);

    private final String region;
    private final List<CommandTarget> targets;
    private final RegionStateFeed.Subscription subscription;

    private ForcedBreakers(String region, List<CommandTarget> targets, RegionStateFeed regions) {
        this.region = region;
        this.targets = List.copyOf(targets);
        this.subscription = regions.onChange(change -> force(change.region(), change.to()));
        regions.states().forEach(this::force);
    }

    /** Starts following {@code regions} for the command targets of {@code region}'s gateway. */
    public static ForcedBreakers follow(String region, List<CommandTarget> targets, RegionStateFeed regions) {
        return new ForcedBreakers(region, targets, regions);
    }

    private void force(String other, RegionHealth health) {
        for (CommandTarget target : targets) {
            if (target.monolith() || !target.name().equals(other)) {
                continue;
            }
            CircuitBreaker breaker = target.breaker();
            boolean forced = breaker.getState() == CircuitBreaker.State.FORCED_OPEN;
            if (health == RegionHealth.DOWN && !forced) {
                breaker.transitionToForcedOpenState();
                LOG.warn("gateway of region {}: region {} is DOWN by its monitors' majority; commands go around it",
                        region, other);
            } else if (health != RegionHealth.DOWN && forced) {
                breaker.transitionToClosedState();
                LOG.info("gateway of region {}: region {} is {} again; commands may go to it", region, other, health);
            }
        }
    }

    /** Stops following (a gateway that closes must not leave its listener on a watch that lives on). */
    @Override
    public void close() {
        subscription.close();
    }
}

package io.outpost.gateway.internal;

import io.github.resilience4j.circuitbreaker.CircuitBreaker;
import io.outpost.core.region.RegionHealth;
import io.outpost.core.region.RegionStateFeed;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Follows the regions' effective states: a command target region that the monitors' majority says
 * is DOWN has its breaker forced open, so commands go around it at once (to the next route) instead
 * of each finding out. The way back has hysteresis: only UP by majority — which the monitors give
 * only after {@code health.successes-to-up} good probes each — closes it again (failback); DEGRADED
 * keeps it as it is. When nothing is known any more (UNKNOWN: no fresh observation), a forced
 * breaker is handed back to its own judgement, open: after its wait it lets trial commands through
 * and closes on their success, so a deployment whose monitors are gone does not lose a route for
 * good. A region's own route to the monolith is never forced.
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
            } else if (health == RegionHealth.UP && forced) {
                breaker.transitionToClosedState();
                LOG.info("gateway of region {}: region {} is UP again by its monitors' majority; commands go to it again",
                        region, other);
            } else if (health == RegionHealth.UNKNOWN && forced) {
                breaker.transitionToOpenState();
                LOG.info("gateway of region {}: region {} is UNKNOWN (no fresh observation); its breaker judges by itself "
                        + "again, letting trial commands through after its wait", region, other);
            }
        }
    }

    /** Stops following (a gateway that closes must not leave its listener on a watch that lives on). */
    @Override
    public void close() {
        subscription.close();
    }
}

package io.outpost.gateway.internal;

import io.github.resilience4j.circuitbreaker.CircuitBreaker;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * The order in which a command tries its targets, and why a target passes one over. A region with
 * a route to the monolith tries it first, then the regions of {@code commands.route}; a forwarded
 * command never goes back to a region it passed ({@code Outpost-Via}) nor beyond
 * {@code commands.max-hops}.
 */
final class CommandRoute {

    private final List<CommandTarget> targets;
    private final int maxHops;

    /** @param targets in order of preference: the monolith first when this region has a route to it */
    CommandRoute(List<CommandTarget> targets, int maxHops) {
        this.targets = List.copyOf(targets);
        this.maxHops = maxHops;
    }

    List<CommandTarget> targets() {
        return targets;
    }

    int maxHops() {
        return maxHops;
    }

    /** The targets a command that passed the regions {@code via} in {@code hops} hops may try, in order. */
    List<CommandTarget> candidates(List<String> via, int hops) {
        List<CommandTarget> candidates = new ArrayList<>();
        for (CommandTarget target : targets) {
            if (target.monolith() || !via.contains(target.name()) && hops + 1 <= maxHops) {
                candidates.add(target);
            }
        }
        return candidates;
    }

    /**
     * Takes a permission of {@code target}'s bulkhead, then of its breaker. Returns null when both
     * granted (the caller releases the bulkhead's when done); otherwise why not, with nothing held.
     */
    static String acquire(CommandTarget target) {
        if (!target.bulkhead().tryAcquirePermission()) {
            return target.name() + ": more than " + target.bulkhead().getBulkheadConfig().getMaxConcurrentCalls()
                    + " commands in flight for over " + target.bulkhead().getBulkheadConfig().getMaxWaitDuration().toMillis()
                    + " ms";
        }
        if (!target.breaker().tryAcquirePermission()) {
            target.bulkhead().onComplete();
            CircuitBreaker.State state = target.breaker().getState();
            return target.name() + (state == CircuitBreaker.State.FORCED_OPEN
                    ? ": DOWN by its monitors' majority" : ": breaker " + state.name().toLowerCase(Locale.ROOT));
        }
        return null;
    }
}

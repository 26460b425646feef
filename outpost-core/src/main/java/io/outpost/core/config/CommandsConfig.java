package io.outpost.core.config;

import static io.outpost.core.config.Def.Setting.derived;
import static io.outpost.core.config.Def.Setting.optional;

import java.time.Duration;
import java.util.List;
import java.util.Objects;

/**
 * How commands travel home.
 *
 * @param route   the regions to try, in order, when the local one cannot reach the monolith
 * @param timeout the most a client waits for a command, forwarding included
 * @param maxHops how many regions a command may pass through
 */
public record CommandsConfig(List<String> route, Duration timeout, int maxHops) {

    static final Def.Setting<List<String>> ROUTE = derived("route", Type.listOf(Type.REGION_NAME),
            "the regions with monolith-route: true, in the order they are declared",
            "Regions to dispatch through, in order of preference, when the local region has no usable route.");
    static final Def.Setting<Duration> TIMEOUT = optional("timeout", Type.DURATION, Duration.ofSeconds(10),
            "The most a client waits for a command, forwarding included.");
    static final Def.Setting<Integer> MAX_HOPS = optional("max-hops", Type.integer(1, 5), 2,
            "How many regions a command may pass through before it is refused.");

    static final Def.Section DEF = Def.Section.of("commands", false, "How commands are dispatched to the monolith.",
            ROUTE, TIMEOUT, MAX_HOPS);

    public CommandsConfig {
        route = List.copyOf(route);
        Objects.requireNonNull(timeout, "timeout");
    }

    static CommandsConfig read(Cursor c, java.util.Set<String> regionNames, List<String> defaultRoute) {
        int before = c.problemCount();
        List<String> route;
        if (c.has(ROUTE.key())) {
            route = c.get(ROUTE);
            if (route != null) {
                for (String region : route) {
                    if (!regionNames.contains(region)) {
                        c.problem(ROUTE.key(), "names \"" + region + "\", which is not a region; the regions are "
                                + regionNames);
                    }
                }
                if (route.stream().distinct().count() < route.size()) {
                    c.problem(ROUTE.key(), "names a region twice: " + route);
                }
            }
        } else {
            route = defaultRoute;
        }
        Duration timeout = c.get(TIMEOUT);
        int maxHops = c.get(MAX_HOPS);
        return c.failedSince(before) ? null : new CommandsConfig(route, timeout, maxHops);
    }
}

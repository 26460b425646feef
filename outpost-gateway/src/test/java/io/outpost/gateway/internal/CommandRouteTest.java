package io.outpost.gateway.internal;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.URI;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/** The dispatcher's choice of route, without sending anything. */
class CommandRouteTest {

    private static final Duration TIMEOUT = Duration.ofSeconds(10);

    private static List<String> names(List<CommandTarget> targets) {
        return targets.stream().map(CommandTarget::name).toList();
    }

    @Test
    @DisplayName("command route: the monolith first where there is a route to it, then commands.route in order")
    void theMonolithFirstThenTheRouteInOrder() {
        CommandTargets targets = new CommandTargets("us-east");
        CommandRoute route = new CommandRoute(List.of(targets.monolith(URI.create("http://shop"), TIMEOUT),
                targets.region("eu-west", URI.create("http://eu"), TIMEOUT),
                targets.region("ap-south", URI.create("http://ap"), TIMEOUT)), 3);
        assertThat(names(route.candidates(List.of("us-east"), 0))).containsExactly("monolith", "eu-west", "ap-south");
    }

    @Test
    @DisplayName("command route: a forwarded command never goes back to a region it passed, nor beyond max-hops")
    void neverBackNorBeyondMaxHops() {
        CommandTargets targets = new CommandTargets("ap-south");
        CommandRoute route = new CommandRoute(List.of(targets.region("us-east", URI.create("http://us"), TIMEOUT),
                targets.region("eu-west", URI.create("http://eu"), TIMEOUT)), 2);
        assertThat(names(route.candidates(List.of("eu-west", "ap-south"), 1))).containsExactly("us-east");
        assertThat(names(route.candidates(List.of("ap-south"), 1))).containsExactly("us-east", "eu-west");
        assertThat(route.candidates(List.of("ap-south"), 2)).as("a third hop is one too many").isEmpty();

        CommandTargets home = new CommandTargets("us-east");
        CommandRoute withMonolith = new CommandRoute(List.of(home.monolith(URI.create("http://shop"), TIMEOUT),
                home.region("eu-west", URI.create("http://eu"), TIMEOUT)), 2);
        assertThat(names(withMonolith.candidates(List.of("eu-west", "us-east"), 2)))
                .as("the monolith is no hop: it is always tried").containsExactly("monolith");
    }

    @Test
    @DisplayName("command route: a region DOWN by its monitors' majority (breaker forced open) is passed over, saying so")
    void aForcedOpenBreakerIsPassedOverSayingWhy() {
        CommandTargets targets = new CommandTargets("ap-south");
        CommandTarget usEast = targets.region("us-east", URI.create("http://us"), TIMEOUT);
        usEast.breaker().transitionToForcedOpenState();
        assertThat(CommandRoute.acquire(usEast)).isEqualTo("us-east: DOWN by its monitors' majority");
        assertThat(usEast.bulkhead().getMetrics().getAvailableConcurrentCalls()).as("nothing held").isEqualTo(64);

        CommandTarget euWest = targets.region("eu-west", URI.create("http://eu"), TIMEOUT);
        euWest.breaker().transitionToOpenState();
        assertThat(CommandRoute.acquire(euWest)).isEqualTo("eu-west: breaker open");

        CommandTarget monolith = new CommandTargets("us-east").monolith(URI.create("http://shop"), TIMEOUT);
        assertThat(CommandRoute.acquire(monolith)).as("a closed breaker lets it through").isNull();
        assertThat(monolith.bulkhead().getMetrics().getAvailableConcurrentCalls()).isEqualTo(63);
    }

    @Test
    @DisplayName("command route: a target with its bulkhead full is passed over, saying how full")
    void aFullBulkheadIsPassedOver() {
        CommandTarget shop = new CommandTargets("us-east", 1, Duration.ZERO).monolith(URI.create("http://shop"), TIMEOUT);
        assertThat(CommandRoute.acquire(shop)).isNull();
        assertThat(CommandRoute.acquire(shop)).isEqualTo("monolith: more than 1 commands in flight for over 0 ms");
        shop.bulkhead().onComplete();
        assertThat(CommandRoute.acquire(shop)).isNull();
    }

    @Test
    @DisplayName("an open breaker refuses only within its wait: then the next command is a trial, so a target nobody "
            + "sent to since is not taken for broken for good (a region's health reads this)")
    void anOpenBreakerRefusesOnlyWithinItsWait() {
        CommandTarget shop = new CommandTargets("ap-south", 64, Duration.ofSeconds(1), Duration.ofMillis(300))
                .monolith(URI.create("http://shop"), TIMEOUT);
        assertThat(shop.refusing()).isFalse();
        shop.breaker().transitionToOpenState();
        assertThat(shop.refusing()).isTrue();
        org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(10)).until(() -> !shop.refusing());
        assertThat(shop.breaker().getState()).as("nobody asked it yet").isEqualTo(io.github.resilience4j.circuitbreaker
                .CircuitBreaker.State.OPEN);
        assertThat(CommandRoute.acquire(shop)).as("the next command is a trial").isNull();
        shop.breaker().transitionToForcedOpenState();
        assertThat(shop.refusing()).isTrue();
    }
}

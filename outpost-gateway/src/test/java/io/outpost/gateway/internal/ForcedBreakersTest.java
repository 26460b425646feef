package io.outpost.gateway.internal;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.resilience4j.circuitbreaker.CircuitBreaker.State;
import io.outpost.core.region.RegionHealth;
import java.net.URI;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

class ForcedBreakersTest {

    private static final Duration TIMEOUT = Duration.ofSeconds(5);

    @Test
    @DisplayName("failback has hysteresis: a region DOWN by majority is routed around until it is UP again; DEGRADED "
            + "keeps it forced, UNKNOWN hands the breaker back to its own trial calls; the own route is never forced")
    void aForcedBreakerClosesOnlyOnUpByMajority() {
        CommandTargets factory = new CommandTargets("ap-south");
        CommandTarget home = factory.region("us-east", URI.create("http://us"), TIMEOUT);
        CommandTarget backup = factory.region("eu-west", URI.create("http://eu"), TIMEOUT);
        CommandTarget own = new CommandTargets("ap-south").monolith(URI.create("http://shop"), TIMEOUT);
        SettableRegionStates feed = new SettableRegionStates();
        feed.set("us-east", RegionHealth.DOWN);
        ForcedBreakers breakers = ForcedBreakers.follow("ap-south", List.of(own, home, backup), feed);
        try {
            assertThat(home.breaker().getState()).as("DOWN at start: forced at once").isEqualTo(State.FORCED_OPEN);
            assertThat(backup.breaker().getState()).isEqualTo(State.CLOSED);

            feed.set("us-east", RegionHealth.DEGRADED);
            assertThat(home.breaker().getState()).as("DEGRADED is not yet back").isEqualTo(State.FORCED_OPEN);
            feed.set("us-east", RegionHealth.UP);
            assertThat(home.breaker().getState()).as("UP by majority: failback").isEqualTo(State.CLOSED);

            feed.set("us-east", RegionHealth.DEGRADED);
            assertThat(home.breaker().getState()).as("DEGRADED forces nothing by itself").isEqualTo(State.CLOSED);
            feed.set("us-east", RegionHealth.DOWN);
            assertThat(home.breaker().getState()).isEqualTo(State.FORCED_OPEN);
            feed.set("us-east", RegionHealth.UNKNOWN);
            assertThat(home.breaker().getState()).as("nobody knows: its own breaker judges, open until a trial call")
                    .isEqualTo(State.OPEN);
            feed.set("us-east", RegionHealth.UNKNOWN);
            assertThat(home.breaker().getState()).isEqualTo(State.OPEN);

            feed.set("ap-south", RegionHealth.DOWN);
            assertThat(own.breaker().getState()).as("a region's own route to the monolith").isEqualTo(State.CLOSED);
        } finally {
            breakers.close();
        }
    }
}

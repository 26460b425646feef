package io.outpost.control;

import static io.outpost.core.region.RegionHealth.DEGRADED;
import static io.outpost.core.region.RegionHealth.DOWN;
import static io.outpost.core.region.RegionHealth.UNKNOWN;
import static io.outpost.core.region.RegionHealth.UP;
import static org.assertj.core.api.Assertions.assertThat;

import io.outpost.core.region.Observation;
import io.outpost.core.region.RegionHealth;
import io.outpost.core.region.RegionStateChange;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;

class RegionStatesTest {

    private static final Instant T0 = Instant.parse("2026-12-02T10:00:00Z");
    private final RegionStates states = new RegionStates(List.of("us-east", "eu-west", "ap-south"), Duration.ofSeconds(5));

    private void observe(String region, String monitor, RegionHealth health, Instant at) {
        states.record(new Observation(region, monitor, health, at, ""));
    }

    @Test
    void aRegionIsWhatTheMajorityOfFreshObservationsSays() {
        observe("eu-west", "us-east", DOWN, T0);
        observe("eu-west", "ap-south", DOWN, T0);
        observe("eu-west", "eu-west", UP, T0);
        observe("us-east", "us-east", UP, T0);
        observe("us-east", "eu-west", UP, T0);
        observe("us-east", "ap-south", DEGRADED, T0);

        List<RegionStateChange> changes = states.evaluate(T0.plusSeconds(1));

        assertThat(states.effective("eu-west")).isEqualTo(DOWN);
        assertThat(states.effective("us-east")).isEqualTo(UP);
        assertThat(states.effective("ap-south")).as("nobody observed it").isEqualTo(UNKNOWN);
        assertThat(changes).extracting(RegionStateChange::region, RegionStateChange::from, RegionStateChange::to)
                .containsExactly(org.assertj.core.groups.Tuple.tuple("us-east", UNKNOWN, UP),
                        org.assertj.core.groups.Tuple.tuple("eu-west", UNKNOWN, DOWN));
        assertThat(changes.get(1).observations()).hasSize(3);
    }

    @Test
    void servingWithoutAMajorityUpIsDegraded() {
        observe("us-east", "us-east", DEGRADED, T0);
        observe("us-east", "eu-west", DEGRADED, T0);
        observe("us-east", "ap-south", UP, T0);
        states.evaluate(T0);
        assertThat(states.effective("us-east")).isEqualTo(DEGRADED);
    }

    @Test
    void aTieKeepsTheStateItHad() {
        observe("us-east", "us-east", UP, T0);
        observe("us-east", "eu-west", UP, T0);
        states.evaluate(T0);
        observe("us-east", "eu-west", DOWN, T0.plusSeconds(1));

        assertThat(states.evaluate(T0.plusSeconds(1))).isEmpty();
        assertThat(states.effective("us-east")).isEqualTo(UP);
    }

    @Test
    void staleObservationsDropOutOfTheCountAndNoneLeftIsUnknown() {
        observe("eu-west", "us-east", UP, T0);
        observe("eu-west", "ap-south", UP, T0);
        observe("eu-west", "eu-west", DOWN, T0.plusSeconds(4));
        states.evaluate(T0.plusSeconds(4));
        assertThat(states.effective("eu-west")).isEqualTo(UP);

        // the two UP observations are older than the 5 s TTL at T0+6 s; only the DOWN one counts
        List<RegionStateChange> changes = states.evaluate(T0.plusSeconds(6));
        assertThat(states.effective("eu-west")).isEqualTo(DOWN);
        assertThat(changes).singleElement().satisfies(c -> assertThat(c.observations()).extracting(Observation::monitor)
                .containsExactly("eu-west"));

        states.evaluate(T0.plusSeconds(10));
        assertThat(states.effective("eu-west")).isEqualTo(UNKNOWN);
    }

    @Test
    void anOlderObservationDoesNotReplaceANewerOne() {
        observe("us-east", "eu-west", DOWN, T0.plusSeconds(2));
        assertThat(states.record(new Observation("us-east", "eu-west", UP, T0, ""))).isFalse();
        states.evaluate(T0.plusSeconds(2));
        assertThat(states.effective("us-east")).isEqualTo(DOWN);
    }

    @Test
    void observationsOfUnconfiguredRegionsAreIgnored() {
        assertThat(states.record(new Observation("mars", "us-east", UP, T0, ""))).isFalse();
        assertThat(states.effective()).containsOnlyKeys("us-east", "eu-west", "ap-south");
    }

    @Test
    void unchangedStatesRaiseNothing() {
        observe("us-east", "us-east", UP, T0);
        assertThat(states.evaluate(T0)).hasSize(1);
        observe("us-east", "us-east", UP, T0.plusSeconds(1));
        assertThat(states.evaluate(T0.plusSeconds(1))).isEmpty();
    }

    @Test
    void eachRegionsConfigurationHashIsTheNewestFreshOneReported() {
        states.record(new Observation("us-east", "us-east", UP, T0, "", "aaaa"));
        states.record(new Observation("us-east", "eu-west", UP, T0.plusSeconds(1), "", "bbbb"));
        states.record(new Observation("eu-west", "us-east", DOWN, T0, "connection refused", null));
        states.record(new Observation("ap-south", "us-east", UP, T0.minusSeconds(10), "", "cccc"));

        assertThat(states.configHashes(T0.plusSeconds(2))).as("eu-west reported none; ap-south's is stale")
                .containsExactly(java.util.Map.entry("us-east", "bbbb"));
    }
}

package io.outpost.control;

import static org.assertj.core.api.Assertions.assertThat;

import io.outpost.control.internal.CanaryWindow;
import io.outpost.core.region.Canary;
import io.outpost.core.region.RegionHealth;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/** A monitor's canary figures on a region, and how they weigh on its verdict. */
class CanaryTest {

    private static final long MS = 1_000_000;

    @Test
    void noFiguresBeforeTheFirstFenceIsSeen() {
        CanaryWindow window = new CanaryWindow();
        assertThat(window.figures(0)).isNull();
        assertThat(window.begin(5 * MS)).isTrue();
        assertThat(window.figures(10 * MS)).isNull();
    }

    @Test
    void figuresAreOverTheRecentFencesAndAWaitStillGoingOnShows() {
        CanaryWindow window = new CanaryWindow();
        for (int i = 1; i <= 100; i++) {
            assertThat(window.begin(i * 1000 * MS)).isTrue();
            window.measured(i * MS);
        }
        // the last 60 fences: 41..100 ms
        assertThat(window.figures(0)).isEqualTo(new Canary(100, 70, 100, 100, 60, 0));
        assertThat(window.begin(200_000 * MS)).isTrue();
        assertThat(window.begin(201_000 * MS)).as("one wait at a time").isFalse();
        Canary waiting = window.figures(203_500 * MS);
        assertThat(waiting.pendingMs()).isEqualTo(3500);
        assertThat(waiting.freshnessMs()).as("a region that stopped showing fences gets no fresher").isEqualTo(3500);
        window.abandon();
        assertThat(window.figures(203_500 * MS).pendingMs()).isZero();
    }

    @Test
    void aRegionThatServesButShowsFencesLateIsDegraded() {
        Monitor.Probe up = new Monitor.Probe(RegionHealth.UP, "HTTP 200, status UP", "hash");
        Duration maxLag = Duration.ofSeconds(2);
        assertThat(Monitor.withCanary(up, null, maxLag, "us-east")).isEqualTo(up);
        assertThat(Monitor.withCanary(up, new Canary(40, 30, 90, 120, 60, 0), maxLag, "us-east")).isEqualTo(up);
        Monitor.Probe late = Monitor.withCanary(up, new Canary(40, 30, 90, 120, 60, 2500), maxLag, "us-east");
        assertThat(late.health()).isEqualTo(RegionHealth.DEGRADED);
        assertThat(late.detail()).isEqualTo("HTTP 200, status UP; canary: a fence written through region us-east took 2500 ms "
                + "to be visible, more than health.max-lag (2000 ms)");
        Monitor.Probe down = new Monitor.Probe(RegionHealth.DOWN, "connection refused", null);
        assertThat(Monitor.withCanary(down, new Canary(40, 30, 90, 120, 60, 9000), maxLag, "us-east"))
                .as("a failed probe stays a failed probe").isEqualTo(down);
    }
}

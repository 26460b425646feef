package io.outpost.control;

import static io.outpost.core.region.RegionHealth.DEGRADED;
import static io.outpost.core.region.RegionHealth.DOWN;
import static io.outpost.core.region.RegionHealth.UNKNOWN;
import static io.outpost.core.region.RegionHealth.UP;
import static org.assertj.core.api.Assertions.assertThat;

import io.outpost.control.internal.Hysteresis;
import org.junit.jupiter.api.Test;

class HysteresisTest {

    @Test
    void goesDownOnlyAfterEnoughFailuresInARow() {
        Hysteresis h = new Hysteresis(3, 2);
        assertThat(h.next(UP)).isEqualTo(UP);
        assertThat(h.next(DOWN)).isEqualTo(UP);
        assertThat(h.next(DOWN)).isEqualTo(UP);
        assertThat(h.next(UP)).as("a good probe starts the count again").isEqualTo(UP);
        assertThat(h.next(DOWN)).isEqualTo(UP);
        assertThat(h.next(DOWN)).isEqualTo(UP);
        assertThat(h.next(DOWN)).isEqualTo(DOWN);
    }

    @Test
    void comesBackOnlyAfterEnoughSuccessesInARow() {
        Hysteresis h = new Hysteresis(1, 2);
        assertThat(h.next(DOWN)).isEqualTo(DOWN);
        assertThat(h.next(UP)).isEqualTo(DOWN);
        assertThat(h.next(DOWN)).isEqualTo(DOWN);
        assertThat(h.next(UP)).isEqualTo(DOWN);
        assertThat(h.next(DEGRADED)).as("two good probes in a row, the latest DEGRADED").isEqualTo(DEGRADED);
    }

    @Test
    void followsUpAndDegradedAtOnce() {
        Hysteresis h = new Hysteresis(3, 3);
        assertThat(h.next(DEGRADED)).isEqualTo(DEGRADED);
        assertThat(h.next(UP)).isEqualTo(UP);
        assertThat(h.next(DEGRADED)).isEqualTo(DEGRADED);
    }

    @Test
    void hasNoVerdictBeforeAGoodProbeOrEnoughFailures() {
        Hysteresis h = new Hysteresis(2, 2);
        assertThat(h.next(DOWN)).isEqualTo(UNKNOWN);
        assertThat(h.next(DOWN)).isEqualTo(DOWN);
        assertThat(new Hysteresis(2, 2).next(UP)).isEqualTo(UP);
    }

    @Test
    void saysHowFarAProbeIsFromTurningTheVerdict() {
        Hysteresis h = new Hysteresis(3, 2);
        h.next(UP);
        h.next(DOWN);
        assertThat(h.pending(DOWN)).isEqualTo("failure 1 of 3 before DOWN");
        h.next(DOWN);
        h.next(DOWN);
        assertThat(h.pending(DOWN)).isEmpty();
        h.next(DEGRADED);
        assertThat(h.pending(DEGRADED)).isEqualTo("good probe 1 of 2 before DEGRADED");
    }
}

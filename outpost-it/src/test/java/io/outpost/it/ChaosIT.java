package io.outpost.it;

import static org.assertj.core.api.Assertions.assertThat;

import io.outpost.it.chaos.Chaos;
import io.outpost.it.topology.Topology;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/**
 * CI's short chaos run (`./bench chaos` with a fixed seed, for 100 s): randomized faults on the
 * example deployment as OS processes while clients place and read orders through random regions;
 * every checker must find nothing.
 */
class ChaosIT {

    /** Its first nine faults are of every kind, the home region killed among them. */
    private static final long SEED = 7059L;

    @Test
    void aShortFixedSeedChaosRunLeavesEveryCheckerAtZero() throws Exception {
        Chaos.Report report;
        try (Topology topology = Topology.builder("chaos_it").captureStandby("ap-south").ownStoreServer("eu-west")
                .ownSourceServer().start()) {
            report = Chaos.run(topology, Duration.ofSeconds(100), SEED, 3, System.out);
        }
        System.out.println(report);
        assertThat(report.faults()).as("faults injected").hasSizeGreaterThanOrEqualTo(5);
        assertThat(report.acknowledged()).as("commands acknowledged").isPositive();
        assertThat(report.reads()).as("orders read whole").isPositive();
        report.violations().forEach((checker, found) -> assertThat(found).as(checker).isEmpty());
    }
}

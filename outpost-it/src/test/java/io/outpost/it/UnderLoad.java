package io.outpost.it;

import static org.assertj.core.api.Assertions.assertThat;

import io.outpost.it.chaos.Chaos;
import io.outpost.it.harness.CommandLoad;
import io.outpost.it.topology.Topology;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.function.BooleanSupplier;

/**
 * What the topology tests check around a fault under load: commands through eu-west (no link of its
 * own) before and after, none lost or applied twice (the shop witnesses keys), every region's views
 * equal to the source afterwards.
 */
final class UnderLoad {

    static final Duration STATE_CHANGE = Duration.ofSeconds(60);

    private UnderLoad() {
    }

    /** A fault that blocks through its outage and mends it before it returns. */
    @FunctionalInterface
    interface Outage {
        void run() throws Exception;
    }

    /**
     * Runs {@code outage} under load through eu-west: every region UP again, commands acknowledged
     * after it, none lost or applied twice, and every region's views equal the source afterwards.
     */
    static void survives(Topology topology, long seed, Outage outage) throws Exception {
        try (CommandLoad load = CommandLoad.start(topology.gatewayUrl("eu-west"), 20, Duration.ofSeconds(15), 50, 40, seed)) {
            long started = System.nanoTime();
            await(topology, "commands acknowledged", () -> load.acknowledgedVia("us-east", started) >= 10);
            outage.run();
            long mended = System.nanoTime();
            topology.awaitEveryRegionUp(STATE_CHANGE);
            await(topology, "commands acknowledged after the outage", () -> load.acknowledged().stream()
                    .filter(a -> a.firstSentNanos() >= mended).count() >= 10);
            load.stop(Duration.ofSeconds(90));
            assertThat(load.failed()).as("commands refused for good or given up on").allMatch(CommandLoad.Failed::outcomeUnknown);
            assertAppliedOnce(topology, load.keys(), load.acknowledged());
        }
        assertThat(Chaos.differencesFromSource(topology)).as("differences between the regions' views and the source").isEmpty();
    }

    /** Every acknowledged command reached the shop exactly once, and no command of {@code keys} reached it twice. */
    static void assertAppliedOnce(Topology topology, Set<String> keys, List<CommandLoad.Acked> acked) throws SQLException {
        Set<String> twice = new HashSet<>();
        Set<String> witnessed = new HashSet<>();
        try (Connection c = topology.shopDatabase().getConnection(); Statement s = c.createStatement();
             ResultSet rows = s.executeQuery("SELECT key, count(*) FROM commands_witnessed WHERE key LIKE 'load-%' GROUP BY key")) {
            while (rows.next()) {
                if (!keys.contains(rows.getString(1))) {
                    continue; // an earlier test's
                }
                witnessed.add(rows.getString(1));
                if (rows.getLong(2) > 1) {
                    twice.add(rows.getString(1));
                }
            }
        }
        assertThat(twice).as("keys the shop ran more than once").isEmpty();
        assertThat(witnessed).as("every acknowledged command reached the shop")
                .containsAll(acked.stream().map(CommandLoad.Acked::key).toList());
    }

    /** Waits up to 60 s for {@code condition}; fails naming {@code what}, the processes and where their logs are. */
    static void await(Topology topology, String what, BooleanSupplier condition) throws InterruptedException {
        long deadline = System.nanoTime() + STATE_CHANGE.toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("not within " + STATE_CHANGE.toSeconds() + " s: " + what + "; processes "
                        + topology.processes() + "; logs in " + topology.directory());
            }
            Thread.sleep(100);
        }
    }
}

package io.outpost.it.bench;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import io.outpost.it.chaos.Chaos;
import io.outpost.it.topology.Topology;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * Randomized faults on the example deployment as OS processes while clients place and read orders
 * through random regions ({@link Chaos}): what was injected, what the clients got, and what every
 * checker found — each must be 0. The same seed gives the same faults in the same order (their
 * timing, and so the commands caught by each, follows the machine).
 */
@Command(name = "chaos", mixinStandardHelpOptions = true,
        description = "Randomized faults under load, then the checkers: consistency, exactly once, read your writes, "
                + "no partial transaction, no request past its timeout.")
final class ChaosBenchmark implements Callable<Integer> {

    @Option(names = "--minutes", defaultValue = "5", description = "How long faults go on (default: ${DEFAULT-VALUE}).")
    double minutes;

    @Option(names = "--seed", defaultValue = "1", description = "Which faults, in which order (default: ${DEFAULT-VALUE}).")
    long seed;

    @Option(names = "--clients", defaultValue = "4", description = "Clients placing and reading orders (default: ${DEFAULT-VALUE}).")
    int clients;

    @Option(names = "--process-per-role", description = "Run each region's roles (projector, gateway, monitor) as "
            + "processes of their own, so that a kill or a hang takes one role (default: one process per region).")
    boolean processPerRole;

    @Option(names = "--kafka-nodes", defaultValue = "0", description = "Put the change log on a Kafka cluster of this many "
            + "broker JVMs, a broker fault then killing one of them (default: the in-process broker, restarted).")
    int kafkaNodes;

    @Option(names = "--out", defaultValue = "target/bench/chaos.json", description = "Where the JSON report goes (default: ${DEFAULT-VALUE}).")
    Path out;

    @Override
    public Integer call() throws Exception {
        System.out.printf("chaos: seed %d, %.1f minutes, %d clients; starting the example deployment as processes "
                + "(the shop, capture and a standby, 3 regions%s, the source and eu-west's store each on a server of its own%s)…%n", seed, minutes, clients,
                processPerRole ? " with a process per role" : "",
                kafkaNodes > 0 ? ", Kafka as a cluster of " + kafkaNodes + " broker processes" : "");
        Chaos.Report report;
        Topology.Builder builder = Topology.builder("bench_chaos").captureStandby("ap-south").ownStoreServer("eu-west")
                .ownSourceServer().fullCompilation(true).heap("512m");
        if (kafkaNodes > 0) {
            builder.kafkaCluster(kafkaNodes);
        }
        if (processPerRole) {
            builder.shape(Topology.Shape.PROCESS_PER_ROLE).heap("384m");
        }
        try (Topology topology = builder.start()) {
            report = Chaos.run(topology, Duration.ofMillis((long) (minutes * 60_000)), seed, clients, System.out);
        }
        print(report);
        Files.createDirectories(out.toAbsolutePath().getParent());
        new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT).writeValue(out.toFile(), report);
        System.out.println("report: " + out);
        return report.clean() ? 0 : 1;
    }

    static void print(Chaos.Report report) {
        System.out.println();
        System.out.printf("%d faults in %.0f s: %s%n", report.faults().size(), report.seconds(), count(report.faults()));
        List<Long> downs = report.faults().stream().filter(f -> f.downAfterMs() >= 0).map(Chaos.Fault::downAfterMs).sorted().toList();
        List<Long> ups = report.faults().stream().filter(f -> f.upAfterMs() >= 0).map(Chaos.Fault::upAfterMs).sorted().toList();
        if (!downs.isEmpty()) {
            System.out.printf("a region taken away: DOWN after p50 %d ms, max %d ms (%d faults)%n", downs.get(downs.size() / 2),
                    downs.getLast(), downs.size());
        }
        if (!ups.isEmpty()) {
            System.out.printf("after a mend, every region UP again after p50 %d ms, max %d ms%n", ups.get(ups.size() / 2), ups.getLast());
        }
        System.out.println("every region caught up with the source after the fault, by kind (p50 / max):");
        count(report.faults()).keySet().forEach(kind -> {
            List<Long> caught = report.faults().stream().filter(f -> f.kind().equals(kind) && f.caughtUpAfterMs() >= 0)
                    .map(Chaos.Fault::caughtUpAfterMs).sorted().toList();
            if (!caught.isEmpty()) {
                System.out.printf("  %-8s %6d / %6d ms%s%n", kind, caught.get(caught.size() / 2), caught.getLast(),
                        kind.equals("capture") ? "  (the standby's takeover)" : "");
            }
        });
        System.out.printf("commands: %d acknowledged, %d outcome unknown, %d given up; %d orders read whole; %d requests "
                        + "unavailable (refused, 503, token not reached in time); largest staleness read %d ms%n",
                report.acknowledged(), report.outcomeUnknown(), report.gaveUp(), report.reads(), report.unavailable(),
                report.maxStalenessMs());
        System.out.println("checker                violations");
        report.violations().forEach((checker, found) -> {
            System.out.printf("%-22s %d%n", checker, found.size());
            found.stream().limit(5).forEach(v -> System.out.println("    " + v));
        });
        System.out.println(report.clean() ? "every checker: 0" : "VIOLATIONS FOUND");
    }

    private static Map<String, Long> count(List<Chaos.Fault> faults) {
        Map<String, Long> counts = new java.util.TreeMap<>();
        faults.forEach(f -> counts.merge(f.kind(), 1L, Long::sum));
        return counts;
    }
}

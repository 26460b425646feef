package io.outpost.it.bench;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import io.outpost.it.harness.CommandLoad;
import io.outpost.it.topology.OutpostProcess;
import io.outpost.it.topology.Topology;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * Failover of commands, end to end, on the example deployment as OS processes ({@link Topology}):
 * clients in eu-west (no link of its own) send orders with Idempotency-Keys while the home region,
 * us-east, fails — killed (kill -9), hung (SIGSTOP), cut off (its fault proxy drops its traffic) —
 * and comes back. For each: the longest any command waited from the failure for an answer that
 * settled it (acknowledged through the backup, ap-south, or a 504 saying its outcome is unknown) and
 * until it was acknowledged, the time to DOWN by majority as eu-west sees it, the time from the
 * recovery until commands are back on us-east, and the errors clients saw; then whether any
 * acknowledged command was lost or any command applied twice (the shop witnesses keys). The
 * baseline is the same clients' command latency before the first failure, after a ramp-up.
 *
 * <p>The default rate is what this project's 2-core machine carries with five JVMs, the broker and
 * PostgreSQL on it (docs/decisions.md); the 200 commands/s needs more cores.
 */
@Command(name = "failover", mixinStandardHelpOptions = true,
        description = "Commands through a home region killed, hung and cut off, and back: failover and failback times.")
final class FailoverBenchmark implements Callable<Integer> {

    @Option(names = "--runs", defaultValue = "5", description = "Failures of each kind (default: ${DEFAULT-VALUE}).")
    int runs;

    @Option(names = "--rate", defaultValue = "25", description = "Commands a second sent through eu-west (default: ${DEFAULT-VALUE}).")
    int rate;

    @Option(names = "--class-data", negatable = true, defaultValue = "true", fallbackValue = "true",
            description = "Give each process a class-data archive, written by a clean restart before the failures, as "
                    + "./outpost run keeps one (default: ${DEFAULT-VALUE}; --no-class-data: none).")
    boolean classData;

    @Option(names = "--kinds", split = ",", defaultValue = "kill,hang,cut", description = "Which failures (default: ${DEFAULT-VALUE}).")
    List<String> kinds;

    @Option(names = "--out", defaultValue = "target/bench/failover.json", description = "Where the JSON report goes (default: ${DEFAULT-VALUE}).")
    Path out;

    private static final long SETTLE_MS = 3000;
    private static final int RAMP_STEPS = 10;
    private static final Duration STEADY_WITHIN = Duration.ofSeconds(60);
    /** Each region process's heap: commands in flight during a failover take room. */
    private static final String HEAP = "512m";

    /** One failure and recovery, measured. */
    record Run(String kind, double downMs, double longestWaitMs, double longestAckMs, double failbackMs, long inFlightAtFailure,
               Map<Integer, Long> errors, long gatewayListeningAfterMs, String startTimes) {
    }

    @Override
    public Integer call() throws Exception {
        System.out.println("failover: starting the example deployment as processes (capture, 3 regions)…");
        try (Topology topology = Topology.builder("bench_failover").fullCompilation(true).heap(HEAP)
                .classDataArchives(classData).start()) {
            if (classData) {
                // as a region that has run before: each process stopped cleanly once writes its archive
                System.out.println("class-data archives: restarting every process once so that each has one…");
                for (OutpostProcess process : topology.processes()) {
                    process.restart(false);
                }
                topology.awaitEveryRegionUp(Duration.ofSeconds(120));
            }
            CommandLoad load = CommandLoad.start(topology.gatewayUrl("eu-west"), rate / 10.0, Duration.ofSeconds(15), 50, 40, 7);
            Thread progress = Thread.ofPlatform().daemon().name("failover-progress").start(() -> progress(topology, load));
            // cold JVMs cannot take the full rate at once, and clients that do not wait pile up: ramp up
            System.out.printf("warming up: %d → %d commands/s over %d s%n", rate / 10, rate, RAMP_STEPS * 2);
            for (int step = 1; step <= RAMP_STEPS; step++) {
                load.rate(rate * step / (double) RAMP_STEPS);
                Thread.sleep(2000);
            }
            awaitSteady(topology, load);
            long baselineFrom = System.nanoTime();
            Thread.sleep(SETTLE_MS * 2);
            Latencies baseline = new Latencies();
            load.acknowledged().stream().filter(a -> a.firstSentNanos() >= baselineFrom)
                    .forEach(a -> baseline.recordNanos(a.ackedNanos() - a.firstSentNanos()));
            List<Run> measured = new ArrayList<>();
            for (int i = 0; i < runs; i++) {
                for (String kind : kinds) {
                    awaitSteady(topology, load);
                    Run run = fail(topology, load, kind);
                    measured.add(run);
                    System.out.printf("  %-5s run %d: DOWN after %6.0f ms, longest wait for an answer %6.0f ms (until "
                            + "acknowledged %6.0f ms), failback %6.0f ms, %d in flight at the failure, errors %s%n", kind, i + 1,
                            run.downMs(), run.longestWaitMs(), run.longestAckMs(), run.failbackMs(), run.inFlightAtFailure(),
                            run.errors());
                    if (run.gatewayListeningAfterMs() >= 0) {
                        System.out.printf("        us-east restarted under load: its gateway listened %d ms after its JVM "
                                + "started (%s)%n", run.gatewayListeningAfterMs(), run.startTimes());
                    }
                }
            }
            load.stop(Duration.ofSeconds(90));
            progress.interrupt();
            long[] check = check(topology, load);
            print(baseline, measured, load, check);
            write(baseline, measured, load, check);
            load.close();
        }
        return 0;
    }

    /**
     * Waits until eu-west sees every region UP and the clients keep up (at most half a second's
     * commands in flight), so that each failure starts from a steady state; a deployment that does
     * not get there within a minute cannot carry the rate on this machine.
     */
    private void awaitSteady(Topology topology, CommandLoad load) throws InterruptedException {
        long deadline = System.nanoTime() + STEADY_WITHIN.toNanos();
        int steadyFor = 0;
        while (steadyFor < 5) {
            boolean up = topology.statesSeenBy("eu-west").values().stream().allMatch("UP"::equals);
            steadyFor = up && load.inFlight() <= rate / 2 ? steadyFor + 1 : 0;
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException("the deployment did not settle within " + STEADY_WITHIN.toSeconds() + " s at "
                        + rate + " commands/s on this machine (" + load.inFlight() + " commands in flight, eu-west sees "
                        + topology.statesSeenBy("eu-west") + "); try a lower --rate");
            }
            Thread.sleep(200);
        }
    }

    /** A line every two seconds: what the clients have, and the regions' states as eu-west sees them. */
    private static void progress(Topology topology, CommandLoad load) {
        long start = System.nanoTime();
        try {
            while (!Thread.currentThread().isInterrupted()) {
                Thread.sleep(2000);
                System.out.printf("    %5.1f s: %d sent, %d acknowledged, %d in flight, %d failed; eu-west sees %s%n",
                        (System.nanoTime() - start) / 1e9, load.sent(), load.acknowledged().size(), load.inFlight(),
                        load.failed().size(), topology.statesSeenBy("eu-west"));
            }
        } catch (InterruptedException e) {
            // stopped
        }
    }

    private Run fail(Topology topology, CommandLoad load, String kind) throws InterruptedException {
        OutpostProcess home = topology.process("us-east");
        Runnable failure;
        Runnable recovery;
        switch (kind) {
            case "kill" -> {
                failure = home::kill;
                recovery = home::start;
            }
            case "hang" -> {
                failure = home::hang;
                recovery = home::resume;
            }
            case "cut" -> {
                failure = () -> topology.proxy("us-east").cut();
                recovery = () -> topology.proxy("us-east").heal();
            }
            default -> throw new IllegalArgumentException("no failure kind " + kind + " (kill, hang, cut)");
        }
        Map<Integer, Long> errorsBefore = load.errors();
        long inFlight = load.sent() - load.acknowledged().size() - load.failed().size();
        failure.run();
        long failed = System.nanoTime();
        long down = 0;
        while (down == 0) {
            if ("DOWN".equals(topology.statesSeenBy("eu-west").get("us-east"))) {
                down = System.nanoTime();
            }
            Thread.sleep(20);
        }
        Thread.sleep(SETTLE_MS);
        recovery.run();
        long recovered = System.nanoTime();
        topology.awaitEveryRegionUp(Duration.ofSeconds(120));
        long back = 0;
        while (back == 0) {
            back = load.acknowledged().stream().filter(a -> a.route().equals("us-east") && a.firstSentNanos() >= recovered)
                    .mapToLong(CommandLoad.Acked::ackedNanos).min().orElse(0);
            Thread.sleep(20);
        }
        Thread.sleep(SETTLE_MS);
        // from the failure (or the command's first attempt, if later) to its first answer that settled it:
        // acknowledged, or a 504 saying the outcome is unknown; and, separately, until acknowledged
        long longest = java.util.stream.Stream.concat(
                        load.acknowledged().stream().map(a -> new long[] {a.firstSentNanos(), a.answeredNanos()}),
                        load.failed().stream().filter(f -> f.answeredNanos() > 0).map(f -> new long[] {f.firstSentNanos(), f.answeredNanos()}))
                .filter(t -> t[1] >= failed && t[0] < recovered)
                .mapToLong(t -> t[1] - Math.max(t[0], failed)).max().orElse(0);
        long longestAck = load.acknowledged().stream().filter(a -> a.ackedNanos() >= failed && a.firstSentNanos() < recovered)
                .mapToLong(a -> a.ackedNanos() - Math.max(a.firstSentNanos(), failed)).max().orElse(0);
        Map<Integer, Long> errors = new java.util.TreeMap<>();
        load.errors().forEach((status, n) -> {
            long added = n - errorsBefore.getOrDefault(status, 0L);
            if (added > 0) {
                errors.put(status, added);
            }
        });
        boolean restarted = kind.equals("kill");
        return new Run(kind, (down - failed) / 1e6, longest / 1e6, longestAck / 1e6, (back - recovered) / 1e6, inFlight, errors,
                restarted ? home.gatewayListeningAfterMs() : -1, restarted ? home.startTimes() : "");
    }

    /** {lost: acknowledged but not at the source, twice: applied more than once, unknown: outcome unknown}. */
    private static long[] check(Topology topology, CommandLoad load) throws Exception {
        Map<String, Long> witnessed = new HashMap<>();
        try (Connection c = topology.shopDatabase().getConnection(); Statement s = c.createStatement();
             ResultSet rows = s.executeQuery("SELECT key, count(*) FROM commands_witnessed GROUP BY key")) {
            while (rows.next()) {
                witnessed.put(rows.getString(1), rows.getLong(2));
            }
        }
        Set<String> keys = load.keys();
        long lost = load.acknowledged().stream().filter(a -> !witnessed.containsKey(a.key())).count();
        long twice = keys.stream().filter(k -> witnessed.getOrDefault(k, 0L) > 1).count();
        long unknown = load.failed().stream().filter(CommandLoad.Failed::outcomeUnknown).count();
        return new long[] {lost, twice, unknown, load.failed().size() - unknown};
    }

    private void print(Latencies baseline, List<Run> measured, CommandLoad load, long[] check) {
        System.out.println();
        System.out.printf("baseline: a command through eu-west → us-east, p50 %.1f ms, p99 %.1f ms (%d commands)%n",
                baseline.p50(), baseline.p99(), baseline.count());
        System.out.println("kind   runs  DOWN p50   longest wait for an answer p50 / max   until acknowledged p50 / max"
                + "   failback p50 / max   answer wait ÷ baseline p50");
        for (String kind : kinds) {
            List<Run> of = measured.stream().filter(r -> r.kind().equals(kind)).toList();
            if (of.isEmpty()) {
                continue;
            }
            double wait = Latencies.median(of.stream().map(Run::longestWaitMs).toList());
            System.out.printf("%-6s %4d  %6.0f ms   %6.0f / %6.0f ms                      %6.0f / %6.0f ms"
                            + "          %6.0f / %6.0f ms    %8.0f×%n", kind, of.size(),
                    Latencies.median(of.stream().map(Run::downMs).toList()), wait,
                    of.stream().mapToDouble(Run::longestWaitMs).max().orElse(0),
                    Latencies.median(of.stream().map(Run::longestAckMs).toList()),
                    of.stream().mapToDouble(Run::longestAckMs).max().orElse(0),
                    Latencies.median(of.stream().map(Run::failbackMs).toList()),
                    of.stream().mapToDouble(Run::failbackMs).max().orElse(0), wait / Math.max(0.001, baseline.p50()));
        }
        List<Double> listening = listeningMs(measured);
        if (!listening.isEmpty()) {
            System.out.printf("us-east restarted under load (after kill -9): its gateway listened p50 %.0f ms, max %.0f ms "
                    + "after its JVM started%n", Latencies.median(listening), listening.stream().mapToDouble(d -> d).max().orElse(0));
        }
        System.out.printf("commands: %d sent, %d acknowledged, %d outcome unknown, %d failed otherwise; "
                + "acknowledged but lost: %d, applied twice: %d%n", load.sent(), load.acknowledged().size(), check[2], check[3],
                check[0], check[1]);
        System.out.println("targets: longest wait for an answer ≤ 3000 ms (stretch 2000), failback ≤ 5000 ms, none lost, "
                + "none applied twice");
    }

    /** Each restarted region's start → listening, of the runs that restarted one (kills). */
    private static List<Double> listeningMs(List<Run> runs) {
        return runs.stream().filter(r -> r.gatewayListeningAfterMs() >= 0).map(r -> (double) r.gatewayListeningAfterMs()).toList();
    }

    private void write(Latencies baseline, List<Run> measured, CommandLoad load, long[] check) throws Exception {
        Map<String, Object> json = new LinkedHashMap<>();
        json.put("benchmark", "failover");
        json.put("cores", Runtime.getRuntime().availableProcessors());
        json.put("rate_per_s", rate);
        json.put("runs_per_kind", runs);
        json.put("baseline_command", baseline.json());
        Map<String, Object> byKind = new LinkedHashMap<>();
        for (String kind : kinds) {
            List<Run> of = measured.stream().filter(r -> r.kind().equals(kind)).toList();
            if (of.isEmpty()) {
                continue;
            }
            Map<String, Object> figures = new LinkedHashMap<>();
            figures.put("runs", of);
            figures.put("down_p50_ms", Latencies.round(Latencies.median(of.stream().map(Run::downMs).toList())));
            figures.put("longest_wait_p50_ms", Latencies.round(Latencies.median(of.stream().map(Run::longestWaitMs).toList())));
            figures.put("longest_until_acknowledged_p50_ms",
                    Latencies.round(Latencies.median(of.stream().map(Run::longestAckMs).toList())));
            figures.put("failback_p50_ms", Latencies.round(Latencies.median(of.stream().map(Run::failbackMs).toList())));
            List<Double> listening = listeningMs(of);
            if (!listening.isEmpty()) {
                figures.put("restart_gateway_listening_p50_ms", Latencies.round(Latencies.median(listening)));
            }
            byKind.put(kind, figures);
        }
        json.put("failures", byKind);
        json.put("commands", Map.of("sent", load.sent(), "acknowledged", load.acknowledged().size(), "outcome_unknown", check[2],
                "failed_otherwise", check[3], "lost", check[0], "applied_twice", check[1]));
        Files.createDirectories(out.toAbsolutePath().getParent());
        new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT).writeValue(out.toFile(), json);
        System.out.println("report: " + out);
    }
}

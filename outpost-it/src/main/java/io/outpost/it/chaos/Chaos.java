package io.outpost.it.chaos;

import io.outpost.core.SourcePosition;
import io.outpost.core.config.OutpostConfig;
import io.outpost.core.config.RegionConfig;
import io.outpost.embedded.EmbeddedKafka;
import io.outpost.embedded.KafkaCluster;
import io.outpost.it.harness.ConsistencyChecker;
import io.outpost.it.topology.OutpostProcess;
import io.outpost.it.topology.Topology;
import io.outpost.store.RegionStore;
import java.io.PrintStream;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

/**
 * Randomized faults on a running {@link Topology} while a {@link Workload} runs, then the checkers.
 * From a seed, one fault at a time, a few seconds apart: a region's process killed (kill -9) or hung
 * (SIGSTOP), a region cut off or slowed down (300 ms each way) by its fault proxy, the broker
 * restarted (on a {@link Topology.Builder#kafkaCluster}: one broker of the cluster killed, then
 * started again on its data), a region's store crashed (regions with a server of their own),
 * capture killed (with a standby), the monolith stopped, the monolith's database crashed (when it
 * has a server of its own). Each is held 2–6 s, then mended, and the next waits until every region
 * is UP again. Each fault is timed: to DOWN (a region taken away), to every region UP after the
 * mend, and to every region caught up with what the source committed once the fault was in place
 * (a capture killed: the standby's takeover as the regions see it). After
 * the run, the checkers: (a) every region's views equal the source; (b) every acknowledged command
 * is at the source exactly once and no command twice (the shop witnesses keys); (c) no
 * read-your-writes violation; (d) no partial transaction seen; (e) no request outlived its timeout;
 * and every fault mended (every region UP again and caught up within 90 s).
 */
public final class Chaos {

    /** The longest a fault is held, and so the longest a process is stopped holding a request. */
    static final Duration LONGEST_FAULT = Duration.ofSeconds(6);
    private static final Duration RECOVERY = Duration.ofSeconds(90);

    /**
     * One fault as injected.
     *
     * @param atSeconds   since the workload started
     * @param downAfterMs for a fault that takes a region away: when another region saw it DOWN; -1 when it
     *                    did not within the fault (or the fault takes no region away)
     * @param upAfterMs   from the mend until every region was UP again as every region sees it; -1 when not within 90 s
     * @param caughtUpAfterMs from the fault until every region's watermark passed the source's position
     *                    once the fault was in place (a broker or store restart: once it was over; a
     *                    capture killed: the standby's takeover as the regions see it, when the killed
     *                    one was active); -1 when not within 90 s
     */
    public record Fault(String kind, String target, double atSeconds, long heldMs, long downAfterMs, long upAfterMs,
                        long caughtUpAfterMs) {
    }

    /** What a run did and what the checkers found; {@link #clean} when every checker found nothing. */
    public record Report(long seed, double seconds, List<Fault> faults, int acknowledged, int outcomeUnknown, int gaveUp,
                         long unavailable, long reads, long maxStalenessMs, Map<String, List<String>> violations) {

        public boolean clean() {
            return violations.values().stream().allMatch(List::isEmpty);
        }
    }

    private Chaos() {
    }

    /**
     * Runs faults for {@code duration} with {@code clients} clients, prints a line per fault to {@code out},
     * then checks. The topology should witness keys (the default), and may have a capture standby and
     * regions with stores of their own: what it has decides which faults can happen.
     */
    public static Report run(Topology topology, Duration duration, long seed, int clients, PrintStream out)
            throws Exception {
        Random random = new Random(seed);
        List<String> regions = topology.regions();
        Map<String, String> gateways = new LinkedHashMap<>();
        regions.forEach(r -> gateways.put(r, topology.gatewayUrl(r)));
        List<String> kinds = new ArrayList<>(List.of("kill", "hang", "cut", "delay", "broker"));
        if (!topology.regionsWithOwnStore().isEmpty()) {
            kinds.add("store");
        }
        boolean standby = topology.processes().stream().anyMatch(p -> p.name().equals("capture-standby"));
        if (standby) {
            kinds.add("capture");
        }
        kinds.add("monolith");
        if (topology.hasOwnSourceServer()) {
            kinds.add("source");
        }
        List<Fault> faults = new ArrayList<>();
        List<String> unmended = new ArrayList<>();
        long start = System.nanoTime();
        Workload workload = new Workload(gateways, clients, topology.config().commands().timeout(), LONGEST_FAULT, 50, 40, seed);
        try {
            while (System.nanoTime() - start < duration.toNanos()) {
                Thread.sleep(2000 + random.nextInt(3000));
                if (System.nanoTime() - start >= duration.toNanos()) {
                    break;
                }
                String kind = kinds.get(random.nextInt(kinds.size()));
                String target = switch (kind) {
                    case "broker" -> topology.onKafkaCluster()
                            ? "kafka-" + topology.kafkaCluster().nodeIds().get(random.nextInt(topology.kafkaCluster().nodeIds().size()))
                            : "kafka";
                    case "capture" -> "capture";
                    case "monolith" -> "shop";
                    case "source" -> "postgres";
                    case "store" -> topology.regionsWithOwnStore().get(random.nextInt(topology.regionsWithOwnStore().size()));
                    default -> regions.get(random.nextInt(regions.size()));
                };
                List<OutpostProcess> roles = topology.regionProcesses(target);
                if (List.of("kill", "hang").contains(kind) && roles.size() > 1) {
                    target = roles.get(random.nextInt(roles.size())).name(); // one role's process, where each has its own
                }
                long held = 2000 + random.nextInt((int) LONGEST_FAULT.toMillis() - 1999);
                Fault fault = inject(topology, kind, target, held, (System.nanoTime() - start) / 1e9);
                faults.add(fault);
                out.printf("  %6.1f s  %-7s %-9s held %5d ms  DOWN after %s  every region UP %s after the mend, caught up "
                                + "with the source %s after the fault%n", fault.atSeconds(), kind, target, held,
                        fault.downAfterMs() < 0 ? "-" : fault.downAfterMs() + " ms",
                        fault.upAfterMs() < 0 ? "NOT within 90 s" : fault.upAfterMs() + " ms",
                        fault.caughtUpAfterMs() < 0 ? "NOT within 90 s" : fault.caughtUpAfterMs() + " ms");
                if (fault.upAfterMs() < 0 || fault.caughtUpAfterMs() < 0) {
                    unmended.add(kind + " of " + target + " at " + Math.round(fault.atSeconds()) + " s: "
                            + (fault.upAfterMs() < 0 ? "not every region UP" : "not every region caught up with the source")
                            + " within " + RECOVERY.toSeconds() + " s; processes " + topology.processes());
                    break;
                }
            }
        } finally {
            workload.stop();
        }
        double seconds = (System.nanoTime() - start) / 1e9;
        Map<String, List<String>> violations = new LinkedHashMap<>();
        violations.put("recovery", unmended);
        violations.put("consistency", differencesFromSource(topology));
        violations.put("exactly_once", exactlyOnce(topology, workload));
        violations.put("read_your_writes", workload.readYourWritesViolations());
        violations.put("partial_transactions", workload.partialTransactions());
        violations.put("timeouts", workload.outlivedTimeouts());
        workload.close();
        return new Report(seed, seconds, faults, workload.placed().size(), workload.unknown().size(), workload.gaveUp().size(),
                workload.unavailable(), workload.reads(), workload.maxStalenessMs(), violations);
    }

    private static Fault inject(Topology topology, String kind, String target, long heldMs, double at) throws Exception {
        // a region's process, or one of its roles' (us-east-gateway): which region it takes away, if any
        String region = topology.regions().stream().filter(r -> target.equals(r) || target.startsWith(r + "-")).findFirst()
                .orElse(target);
        String observer = topology.regions().stream().filter(r -> !r.equals(region)).findFirst().orElseThrow();
        boolean takesRegionAway = List.of("kill", "hang", "cut").contains(kind)
                && (target.equals(region) || target.endsWith("-gateway"));
        long injected = System.nanoTime();
        Runnable mend;
        switch (kind) {
            case "kill" -> {
                OutpostProcess process = topology.process(target);
                process.kill();
                mend = process::start;
            }
            case "hang" -> {
                OutpostProcess process = topology.process(target);
                process.hang();
                mend = process::resume;
            }
            case "cut" -> {
                topology.proxy(target).cut();
                mend = () -> topology.proxy(target).heal();
            }
            case "delay" -> {
                topology.proxy(target).delay(Duration.ofMillis(300));
                mend = () -> topology.proxy(target).heal();
            }
            case "broker" -> {
                if (topology.onKafkaCluster()) {
                    // one node of the cluster killed; back on its data, and in sync again before the next fault
                    KafkaCluster cluster = topology.kafkaCluster();
                    int node = Integer.parseInt(target.substring("kafka-".length()));
                    cluster.kill(node);
                    mend = () -> {
                        cluster.restart(node);
                        try {
                            cluster.awaitInSync(topology.config().changesTopic(), RECOVERY);
                        } catch (InterruptedException e) {
                            Thread.currentThread().interrupt();
                        } catch (IllegalStateException e) {
                            System.err.println("chaos: " + e.getMessage() + "; the next fault may find the log short of replicas");
                        }
                    };
                } else {
                    EmbeddedKafka.shared().restart(Duration.ofMillis(heldMs)); // down for the fault's length, then back
                    mend = () -> { };
                }
            }
            case "store" -> {
                topology.storeServer(target).restart(Duration.ofMillis(heldMs), true);
                mend = () -> { };
            }
            case "capture" -> {
                OutpostProcess capture = topology.process("capture");
                capture.kill();
                mend = capture::start; // it comes back as the standby
            }
            case "monolith" -> {
                topology.stopShop(); // its port refuses: commands are refused fast and retried, reads go on
                mend = topology::startShop;
            }
            case "source" -> {
                // the monolith's database crashes (pg_ctl stop -m immediate) and starts again: capture,
                // the ledger and the fences reconnect; the shop answers 5xx meanwhile
                topology.sourceServer().restart(Duration.ofMillis(heldMs), true);
                mend = () -> { };
            }
            default -> throw new IllegalArgumentException("no fault " + kind);
        }
        // what the source has committed by now — for a broker or store restart, which returns once over: during it
        java.util.concurrent.CompletableFuture<Long> caughtUp = caughtUp(topology, injected);
        long down = -1;
        long heldUntil = injected + heldMs * 1_000_000;
        while (System.nanoTime() < heldUntil) {
            if (takesRegionAway && down < 0 && "DOWN".equals(topology.statesSeenBy(observer).get(region))) {
                down = (System.nanoTime() - injected) / 1_000_000;
            }
            Thread.sleep(50);
        }
        mend.run();
        long mended = System.nanoTime();
        long up;
        try {
            topology.awaitEveryRegionUp(RECOVERY);
            up = (System.nanoTime() - mended) / 1_000_000;
        } catch (AssertionError | RuntimeException e) {
            up = -1;
        }
        return new Fault(kind, target, at, heldMs, down, up, caughtUp.join());
    }

    /**
     * Takes the source's position now and, in the background, waits until every region's watermark
     * has passed it (heartbeats and canary fences move watermarks on an idle source): the time from
     * {@code sinceNanos}, or -1 when not within 90 s.
     */
    private static java.util.concurrent.CompletableFuture<Long> caughtUp(Topology topology, long sinceNanos) throws SQLException {
        SourcePosition position = sourcePosition(topology);
        java.util.concurrent.CompletableFuture<Long> done = new java.util.concurrent.CompletableFuture<>();
        Thread.ofVirtual().name("chaos-caught-up").start(() -> {
            try {
                List<String> behind = behind(topology, position);
                done.complete(behind.isEmpty() ? (System.nanoTime() - sinceNanos) / 1_000_000 : -1L);
            } catch (InterruptedException e) {
                done.complete(-1L);
            }
        });
        return done;
    }

    private static SourcePosition sourcePosition(Topology topology) throws SQLException {
        try (Connection source = topology.shopDatabase().getConnection()) {
            return ConsistencyChecker.currentPosition(source);
        }
    }

    /** Waits up to 90 s for every region's watermark to pass {@code position}; the regions still behind then. */
    private static List<String> behind(Topology topology, SourcePosition position) throws InterruptedException {
        OutpostConfig config = topology.config();
        long deadline = System.nanoTime() + RECOVERY.toNanos();
        List<RegionConfig> behind = new ArrayList<>(config.regions().values());
        while (!behind.isEmpty() && System.nanoTime() < deadline) {
            behind.removeIf(region -> {
                try (Connection store = DriverManager.getConnection(region.store().url())) {
                    return RegionStore.watermark(store, config.source().name()).map(w -> !position.isAfter(w.position()))
                            .orElse(false);
                } catch (SQLException e) {
                    return false; // the store is not there now
                }
            });
            if (!behind.isEmpty()) {
                Thread.sleep(100);
            }
        }
        return behind.stream().map(RegionConfig::name).toList();
    }

    /**
     * Once every region has caught up with the source (up to 90 s), each difference between a region's
     * views and the same views computed on the source, and each region that did not catch up.
     */
    public static List<String> differencesFromSource(Topology topology) throws SQLException, InterruptedException {
        OutpostConfig config = topology.config();
        SourcePosition end = sourcePosition(topology);
        List<String> behind = behind(topology, end);
        List<String> found = new ArrayList<>();
        for (RegionConfig region : config.regions().values()) {
            if (behind.contains(region.name())) {
                found.add(region.name() + " did not reach the source's position " + end + " within " + RECOVERY.toSeconds() + " s");
                continue;
            }
            try (Connection source = topology.shopDatabase().getConnection();
                 Connection store = DriverManager.getConnection(region.store().url())) {
                ConsistencyChecker.Report report = ConsistencyChecker.compare(source, store, config.views().values(),
                        region.name(), end);
                report.differences().forEach(d -> found.add(region.name() + ": " + d));
            }
        }
        return found;
    }

    /** Acknowledged commands missing at the source, and commands the shop ran more than once. */
    private static List<String> exactlyOnce(Topology topology, Workload workload) throws SQLException {
        Map<String, Long> witnessed = new HashMap<>();
        try (Connection c = topology.shopDatabase().getConnection(); Statement s = c.createStatement();
             ResultSet rows = s.executeQuery("SELECT key, count(*) FROM commands_witnessed WHERE key LIKE 'chaos-%' GROUP BY key")) {
            while (rows.next()) {
                witnessed.put(rows.getString(1), rows.getLong(2));
            }
        }
        List<String> found = new ArrayList<>();
        for (Workload.Placed order : workload.placed()) {
            if (!witnessed.containsKey(order.key())) {
                found.add("acknowledged but not at the source: " + order);
            }
        }
        for (String key : workload.keys()) {
            long runs = witnessed.getOrDefault(key, 0L);
            if (runs > 1) {
                found.add("applied " + runs + " times: " + key);
            }
        }
        return found;
    }
}

package io.outpost.server;

import io.outpost.control.RegionStateTopic;
import io.outpost.core.OutpostException;
import io.outpost.core.SourcePosition;
import io.outpost.core.config.OutpostConfig;
import io.outpost.core.region.Canary;
import io.outpost.core.region.Drain;
import io.outpost.core.region.RegionHealth;
import java.io.PrintWriter;
import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import picocli.CommandLine.Command;

@Command(name = "status", mixinStandardHelpOptions = true,
        description = {"Shows where each region stands: its state by its monitors' majority (UP, DEGRADED, DOWN, UNKNOWN;",
            "? when the region-state topic cannot be read), its watermark (the source position it has applied up to),",
            "how far behind the source it is (WAL bytes, and time since the watermark's commit), and its views."})
final class StatusCommand extends ConfigCommand {

    @Override
    int run(OutpostConfig parsed, PrintWriter out, PrintWriter err) {
        Optional<SourcePosition> source = RegionStatus.sourcePosition(parsed);
        out.println("source " + parsed.source().name() + ": " + source.map(p -> "at " + p)
                .orElse("unreachable at " + parsed.source().url() + " (lag in bytes unknown)"));
        List<RegionStatus> regions = RegionStatus.of(parsed, source, Instant.now());
        Map<String, RegionHealth> states;
        Map<String, Drain> drains;
        Map<String, Map<String, Canary>> canaries;
        try {
            RegionStateTopic.Snapshot snapshot = RegionStateTopic.snapshot(parsed.log().access(), parsed.regions().keySet(),
                    parsed.health().observationTtl(), Duration.ofSeconds(5), InstantSource.system());
            states = snapshot.states();
            drains = snapshot.drains();
            canaries = snapshot.canaries();
        } catch (OutpostException e) {
            out.println("region states unknown: " + e.getMessage());
            states = Map.of();
            drains = Map.of();
            canaries = Map.of();
        }
        out.printf("%-12s %-9s %-14s %-12s %-10s %-20s %s%n", "region", "state", "watermark", "behind", "staleness",
                "canary p50/p99", "views");
        boolean allReachable = true;
        for (RegionStatus region : regions) {
            String health = states.containsKey(region.region()) ? states.get(region.region()).name() : "?";
            if (region.problem() != null) {
                out.printf("%-12s %-9s %s%n", region.region(), health, region.problem());
                allReachable = false;
                continue;
            }
            StringBuilder views = new StringBuilder();
            region.views().forEach((name, state) -> views.append(views.isEmpty() ? "" : ", ").append(name).append(' ')
                    .append(state.name().toLowerCase(java.util.Locale.ROOT)));
            out.printf("%-12s %-9s %-14s %-12s %-10s %-20s %s%n", region.region(), health,
                    region.watermark().map(w -> w.position().toString()).orElse("-"),
                    RegionStatus.bytes(region.behind()), RegionStatus.seconds(region.staleness()),
                    canary(canaries.getOrDefault(region.region(), Map.of())), views.isEmpty() ? "-" : views);
        }
        for (Drain drain : drains.values()) {
            if (drain.drained() && parsed.regions().containsKey(drain.region())) {
                out.println("region " + drain.region() + " is drained (no commands go through it) by " + drain.by() + " since "
                        + drain.at() + (drain.reason().isEmpty() ? "" : ": " + drain.reason()));
            }
        }
        out.flush();
        return allReachable ? 0 : 2;
    }

    /**
     * A region's canary, the slowest monitor's figures: "12/40 ms" (p50/p99 over the last minute),
     * with a fence still waiting when it waits longer than that; "-" before any.
     */
    static String canary(Map<String, Canary> byMonitor) {
        if (byMonitor.isEmpty()) {
            return "-";
        }
        long p50 = byMonitor.values().stream().mapToLong(Canary::p50Ms).max().orElse(0);
        long p99 = byMonitor.values().stream().mapToLong(Canary::p99Ms).max().orElse(0);
        long pending = byMonitor.values().stream().mapToLong(Canary::pendingMs).max().orElse(0);
        return p50 + "/" + p99 + " ms" + (pending > p99 ? ", waiting " + pending + " ms" : "");
    }
}

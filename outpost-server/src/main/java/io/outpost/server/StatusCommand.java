package io.outpost.server;

import io.outpost.control.RegionStateTopic;
import io.outpost.core.OutpostException;
import io.outpost.core.SourcePosition;
import io.outpost.core.config.OutpostConfig;
import io.outpost.core.region.Canary;
import io.outpost.core.region.Drain;
import io.outpost.core.region.RegionHealth;
import io.outpost.source.CaptureSlot;
import java.io.PrintWriter;
import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

@Command(name = "status", mixinStandardHelpOptions = true,
        description = {"Shows where each region stands: its state by its monitors' majority (UP, DEGRADED, DOWN, UNKNOWN;",
            "? when the region-state topic cannot be read), its watermark (the source position it has applied up to),",
            "how far behind the source it is (WAL bytes, and time since the watermark's commit), its views and their",
            "rebuilds, what its gateway says of commit -> visible there (p50) and of its breakers; and capture as the",
            "source sees it (its slot streamed from or not, WAL not yet confirmed)."})
final class StatusCommand extends ConfigCommand {

    @Option(names = "--json", description = "One JSON document instead of the table (for scripts and monitoring).")
    boolean json;

    @Override
    int run(OutpostConfig parsed, PrintWriter out, PrintWriter err) {
        Optional<SourcePosition> source = RegionStatus.sourcePosition(parsed);
        List<RegionStatus> regions = RegionStatus.of(parsed, source, Instant.now());
        RegionStateTopic.Snapshot snapshot = null;
        String statesProblem = null;
        try {
            snapshot = RegionStateTopic.snapshot(parsed.log().access(), parsed.regions().keySet(),
                    parsed.health().observationTtl(), Duration.ofSeconds(5), InstantSource.system());
        } catch (OutpostException e) {
            statesProblem = e.getMessage();
        }
        CaptureSlot capture = source.isPresent() ? RegionStatus.capture(parsed) : null;
        Map<String, GatewayFigures> gateways = GatewayFigures.of(parsed);
        if (json) {
            return json(parsed, source, capture, regions, gateways, snapshot, statesProblem, out);
        }
        out.println("source " + parsed.source().name() + ": " + source.map(p -> "at " + p)
                .orElse("unreachable at " + parsed.source().url() + " (lag in bytes unknown)"));
        if (capture != null) {
            out.println("capture: " + capture.state() + " (slot " + capture.slot()
                    + (capture.lagBytes() == null ? "" : ", " + RegionStatus.bytes(capture.lagBytes()) + " not confirmed yet")
                    + (CaptureSlot.STREAMING.equals(capture.state()) ? "" : ": " + capture.detail()) + ")");
        }
        if (statesProblem != null) {
            out.println("region states unknown: " + statesProblem);
        }
        Map<String, RegionHealth> states = snapshot == null ? Map.of() : snapshot.states();
        Map<String, Drain> drains = snapshot == null ? Map.of() : snapshot.drains();
        Map<String, Map<String, Canary>> canaries = snapshot == null ? Map.of() : snapshot.canaries();
        out.printf("%-12s %-9s %-14s %-12s %-10s %-20s %-9s %-14s %s%n", "region", "state", "watermark", "behind", "staleness",
                "canary p50/p99", "visible", "breakers", "views");
        boolean allReachable = true;
        for (RegionStatus region : regions) {
            String health = states.containsKey(region.region()) ? states.get(region.region()).name() : "?";
            if (region.problem() != null) {
                out.printf("%-12s %-9s %s%n", region.region(), health, region.problem());
                allReachable = false;
                continue;
            }
            StringBuilder views = new StringBuilder();
            region.views().keySet().forEach(name -> views.append(views.isEmpty() ? "" : ", ").append(region.view(name)));
            GatewayFigures gateway = gateways.get(region.region());
            out.printf("%-12s %-9s %-14s %-12s %-10s %-20s %-9s %-14s %s%n", region.region(), health,
                    region.watermark().map(w -> w.position().toString()).orElse("-"),
                    RegionStatus.bytes(region.behind()), RegionStatus.seconds(region.staleness()),
                    canary(canaries.getOrDefault(region.region(), Map.of())), gateway.visibleText(), gateway.breakersText(),
                    views.isEmpty() ? "-" : views);
        }
        gateways.forEach((region, gateway) -> {
            if (gateway.problem() != null) {
                out.println("region " + region + ": no breakers nor commit → visible: " + gateway.problem());
            }
        });
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
     * The same figures as one JSON document: {@code source} (name, position or null), {@code capture}
     * (its slot's state and unconfirmed bytes as the source sees them; null when the source is unreachable), {@code regions}
     * (each with its state, watermark, commit time, bytes behind, staleness, canary figures by
     * monitor, views, recent rebuilds, its {@code gateway}'s command targets' breakers and commit → visible p50
     * (or why it could not be asked), and the problem when its store cannot be read), {@code drained} regions, and
     * {@code states_known} (false when the region-state topic cannot be read). The exit code is the
     * table's. {@code snapshot} is null when the region-state topic could not be read ({@code statesProblem} says why).
     */
    private static int json(OutpostConfig parsed, Optional<SourcePosition> source, CaptureSlot capture,
                            List<RegionStatus> regionStatuses, Map<String, GatewayFigures> gateways,
                            RegionStateTopic.Snapshot snapshot, String statesProblem, PrintWriter out) {
        com.fasterxml.jackson.databind.ObjectMapper mapper = new com.fasterxml.jackson.databind.ObjectMapper();
        com.fasterxml.jackson.databind.node.ObjectNode root = mapper.createObjectNode();
        root.putObject("source").put("name", parsed.source().name()).put("position", source.map(Object::toString).orElse(null));
        root.set("capture", capture == null ? null : mapper.valueToTree(capture));
        root.put("states_known", snapshot != null);
        if (statesProblem != null) {
            root.put("states_problem", statesProblem);
        }
        boolean allReachable = true;
        com.fasterxml.jackson.databind.node.ArrayNode regions = root.putArray("regions");
        for (RegionStatus region : regionStatuses) {
            com.fasterxml.jackson.databind.node.ObjectNode node = regions.addObject();
            node.put("name", region.region());
            RegionHealth state = snapshot == null ? null : snapshot.states().get(region.region());
            node.put("state", state == null ? null : state.name());
            GatewayFigures figures = gateways.get(region.region());
            com.fasterxml.jackson.databind.node.ObjectNode gateway = node.putObject("gateway");
            gateway.set("command_targets", mapper.valueToTree(figures.breakers()));
            gateway.put("visible_p50_ms", figures.visibleP50());
            gateway.put("problem", figures.problem());
            if (region.problem() != null) {
                node.put("problem", region.problem());
                allReachable = false;
                continue;
            }
            node.put("watermark", region.watermark().map(w -> w.position().toString()).orElse(null));
            node.put("commit_time", region.watermark().map(w -> w.commitTime().toString()).orElse(null));
            if (region.behind() >= 0) {
                node.put("behind_bytes", region.behind());
            } else {
                node.putNull("behind_bytes");
            }
            if (region.staleness() != null) {
                node.put("staleness_ms", region.staleness().toMillis());
            } else {
                node.putNull("staleness_ms");
            }
            com.fasterxml.jackson.databind.node.ObjectNode canary = node.putObject("canary");
            (snapshot == null ? Map.<String, Canary>of() : snapshot.canaries().getOrDefault(region.region(), Map.of()))
                    .forEach((monitor, c) -> canary.putObject(monitor).put("p50_ms", c.p50Ms()).put("p99_ms", c.p99Ms())
                            .put("pending_ms", c.pendingMs()).put("count", c.count()));
            com.fasterxml.jackson.databind.node.ObjectNode views = node.putObject("views");
            region.views().forEach((name, viewState) -> views.put(name, viewState.name()));
            node.set("rebuilds", mapper.valueToTree(region.rebuilds()));
        }
        com.fasterxml.jackson.databind.node.ArrayNode drained = root.putArray("drained");
        if (snapshot != null) {
            for (Drain drain : snapshot.drains().values()) {
                if (drain.drained() && parsed.regions().containsKey(drain.region())) {
                    drained.addObject().put("region", drain.region()).put("by", drain.by()).put("at", drain.at().toString())
                            .put("reason", drain.reason());
                }
            }
        }
        out.println(root.toPrettyString());
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

package io.outpost.gateway.internal;

import io.outpost.core.ConsistencyToken;
import io.outpost.core.OutpostException;
import io.outpost.core.region.RegionHealth;
import io.outpost.store.ViewReads;
import io.outpost.store.ViewTables;
import io.outpost.store.WatermarkWatcher;
import java.sql.SQLException;
import java.time.Duration;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Puts together what a gateway says about its region. Health and readiness, which monitors and load
 * balancers poll, never wait for the store's pool, which a burst of queries can hold for seconds —
 * a region busy answering must not look DOWN: the store counts as reachable while the watermark
 * watcher's own connection is up, and the views' states are the registry last read. Status reads
 * the registry live.
 */
public final class RegionReports {

    private final String region;
    private final String source;
    private final String configHash;
    private final Duration maxLag;
    private final WatermarkWatcher watcher;
    private final ViewRegistry views;
    private final List<CommandTarget> targets;
    private final InstantSource clock;

    /** @param maxLag beyond this far behind the source the region is DEGRADED ({@code health.max-lag}) */
    public RegionReports(String region, String source, String configHash, Duration maxLag, WatermarkWatcher watcher,
                         ViewRegistry views, List<CommandTarget> targets, InstantSource clock) {
        this.region = region;
        this.source = source;
        this.configHash = configHash;
        this.maxLag = maxLag;
        this.watcher = watcher;
        this.views = views;
        this.targets = List.copyOf(targets);
        this.clock = clock;
    }

    /**
     * Deep health: UP when the store is reachable and its watermark known, the region is at most
     * {@code maxLag} behind the source, and (in a region with a route to the monolith) the monolith's
     * breaker does not refuse commands (open, within its wait); DEGRADED when it serves but is too
     * far behind or cannot reach the monolith; DOWN otherwise.
     */
    public RegionReport.Health health() {
        RegionReport.State state = state(watcher.connected(), views.lastRead());
        List<String> reasons = new ArrayList<>();
        if (!state.storeReachable()) {
            reasons.add("the region store cannot be reached");
        } else if (state.position() == null) {
            reasons.add("the region has applied nothing yet");
        }
        boolean down = !reasons.isEmpty();
        if (!down && state.stalenessMs() != null && state.stalenessMs() > maxLag.toMillis()) {
            reasons.add(state.stalenessMs() / 1000 + " s behind the source (more than health.max-lag, " + maxLag.toSeconds()
                    + " s)");
        }
        // open within its wait: after it, the next command is a trial, so an idle region is not DEGRADED for good
        targets.stream().filter(CommandTarget::monolith).filter(CommandTarget::refusing)
                .forEach(t -> reasons.add("the monolith's breaker is open"));
        RegionHealth status = down ? RegionHealth.DOWN : reasons.isEmpty() ? RegionHealth.UP : RegionHealth.DEGRADED;
        return new RegionReport.Health(status, reasons, state, configHash);
    }

    /** Ready to take queries: the store answers and the region has applied something. */
    public RegionReport.Ready ready() {
        return new RegionReport.Ready(watcher.connected() && watcher.current().position() != null);
    }

    /** The region's state with the store asked now, and the time. */
    public RegionReport.Status status() {
        Map<String, ViewTables.Registered> registered;
        boolean reachable;
        try {
            registered = views.readNow();
            reachable = true;
        } catch (SQLException | OutpostException e) {
            registered = Map.of();
            reachable = false;
        }
        return new RegionReport.Status(state(reachable, registered), clock.instant().toString());
    }

    private RegionReport.State state(boolean storeReachable, Map<String, ViewTables.Registered> registered) {
        ViewReads.Snapshot watermark = watcher.current();
        Map<String, String> viewStates = new LinkedHashMap<>();
        registered.forEach((name, view) -> viewStates.put(name, view.state().name()));
        Map<String, String> breakers = new LinkedHashMap<>();
        targets.forEach(t -> breakers.put(t.name(), t.breaker().getState().name().toLowerCase(Locale.ROOT)));
        Duration staleness = watermark.staleness(clock.instant());
        return new RegionReport.State(region,
                storeReachable ? RegionReport.State.REACHABLE : RegionReport.State.UNREACHABLE,
                watermark.position() == null ? null : new ConsistencyToken(source, watermark.position()).encode(),
                watermark.position() == null ? null : watermark.position().toString(),
                watermark.commitTime() == null ? null : watermark.commitTime().toString(),
                staleness == null ? null : staleness.toMillis(), viewStates, breakers);
    }
}

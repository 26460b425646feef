package io.outpost.control;

import io.outpost.core.region.Canary;
import io.outpost.core.region.Observation;
import io.outpost.core.region.RegionHealth;
import io.outpost.core.region.RegionStateChange;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * Every region's effective state: the majority of the fresh observations of it, one (the latest)
 * per monitor. An observation is fresh while it is at most {@code observationTtl} old; a monitor
 * that stops publishing (its region is cut off, its process died) drops out of the count instead
 * of voting with what it saw last.
 *
 * <p>Decision: DOWN when more than half of the fresh observations say DOWN; UP when more than half
 * say UP; DEGRADED when more than half say the region serves queries (UP or DEGRADED) but not more
 * than half UP; with no majority either way (as many DOWN as serving) the state stays what it was,
 * so that two monitors disagreeing do not make it flap. With no fresh observation the state is
 * {@link RegionHealth#UNKNOWN}. Hysteresis (several failed probes in a row before DOWN) happens in
 * each monitor, before it publishes; see {@link Monitor}.
 *
 * <p>Thread safety: all methods are synchronized; observations arrive on the topic's reader thread
 * and decisions are taken on a timer.
 */
public final class RegionStates {

    private final Duration observationTtl;
    /** Region → monitor → its latest observation of that region. */
    private final Map<String, Map<String, Observation>> latest = new LinkedHashMap<>();
    private final Map<String, RegionHealth> effective = new LinkedHashMap<>();

    /**
     * @param regions        the configured regions; observations of others are ignored
     * @param observationTtl how old an observation may be and still count
     */
    public RegionStates(Collection<String> regions, Duration observationTtl) {
        this.observationTtl = Objects.requireNonNull(observationTtl, "observationTtl");
        for (String region : regions) {
            latest.put(region, new LinkedHashMap<>());
            effective.put(region, RegionHealth.UNKNOWN);
        }
    }

    /**
     * Takes an observation in; an older one than the monitor's latest of that region is ignored.
     *
     * @return whether it was taken (false for an unknown region or an older observation)
     */
    public synchronized boolean record(Observation observation) {
        Map<String, Observation> byMonitor = latest.get(observation.region());
        if (byMonitor == null) {
            return false;
        }
        Observation known = byMonitor.get(observation.monitor());
        if (known != null && known.observedAt().isAfter(observation.observedAt())) {
            return false;
        }
        byMonitor.put(observation.monitor(), observation);
        return true;
    }

    /**
     * Decides every region's state at {@code now} from the observations fresh then.
     *
     * @return the regions whose state changed, in configuration order
     */
    public synchronized List<RegionStateChange> evaluate(Instant now) {
        List<RegionStateChange> changes = new ArrayList<>();
        for (var entry : latest.entrySet()) {
            String region = entry.getKey();
            List<Observation> fresh = fresh(entry.getValue().values(), now);
            RegionHealth before = effective.get(region);
            RegionHealth after = decide(fresh, before);
            if (after != before) {
                effective.put(region, after);
                changes.add(new RegionStateChange(region, before, after, now, fresh));
            }
        }
        return changes;
    }

    /** The state {@link #evaluate} last decided for {@code region} ({@code UNKNOWN} for an unknown region). */
    public synchronized RegionHealth effective(String region) {
        return effective.getOrDefault(region, RegionHealth.UNKNOWN);
    }

    /** Every region's state as last decided, in configuration order. */
    public synchronized Map<String, RegionHealth> effective() {
        return new LinkedHashMap<>(effective);
    }

    /**
     * The configuration hash each region's gateway reports, from the newest fresh observation of
     * it that carries one; regions without one are left out.
     */
    public synchronized Map<String, String> configHashes(Instant now) {
        Map<String, String> hashes = new LinkedHashMap<>();
        latest.forEach((region, byMonitor) -> fresh(byMonitor.values(), now).stream()
                .filter(o -> o.configHash() != null)
                .max(java.util.Comparator.comparing(Observation::observedAt))
                .ifPresent(o -> hashes.put(region, o.configHash())));
        return hashes;
    }

    /** The canary figures of the observations fresh at {@code now}: region → monitor → figures. */
    public synchronized Map<String, Map<String, Canary>> canaries(Instant now) {
        Map<String, Map<String, Canary>> canaries = new LinkedHashMap<>();
        latest.forEach((region, byMonitor) -> {
            Map<String, Canary> byWriter = new java.util.TreeMap<>();
            fresh(byMonitor.values(), now).stream().filter(o -> o.canary() != null)
                    .forEach(o -> byWriter.put(o.monitor(), o.canary()));
            canaries.put(region, byWriter);
        });
        return canaries;
    }

    /** The observations of {@code region} that are fresh at {@code now}. */
    public synchronized List<Observation> observations(String region, Instant now) {
        Map<String, Observation> byMonitor = latest.get(region);
        return byMonitor == null ? List.of() : fresh(byMonitor.values(), now);
    }

    private List<Observation> fresh(Collection<Observation> observations, Instant now) {
        Instant oldest = now.minus(observationTtl);
        return observations.stream().filter(o -> !o.observedAt().isBefore(oldest)).toList();
    }

    static RegionHealth decide(List<Observation> fresh, RegionHealth before) {
        if (fresh.isEmpty()) {
            return RegionHealth.UNKNOWN;
        }
        int up = 0;
        int down = 0;
        for (Observation o : fresh) {
            switch (o.health()) {
                case UP -> up++;
                case DOWN -> down++;
                case DEGRADED, UNKNOWN -> { }
            }
        }
        int serving = fresh.size() - down;
        if (2 * down > fresh.size()) {
            return RegionHealth.DOWN;
        }
        if (2 * up > fresh.size()) {
            return RegionHealth.UP;
        }
        if (2 * serving > fresh.size()) {
            return RegionHealth.DEGRADED;
        }
        return before;
    }
}

package io.outpost.gateway.internal;

import io.outpost.core.region.RegionHealth;
import io.outpost.core.region.RegionStateChange;
import io.outpost.core.region.RegionStateFeed;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Consumer;

/** Region states a test decides, told to its listeners at once, as a region watch tells its changes. */
public final class SettableRegionStates implements RegionStateFeed {

    private final Map<String, RegionHealth> states = new ConcurrentHashMap<>();
    private final List<Consumer<RegionStateChange>> listeners = new CopyOnWriteArrayList<>();

    /** Makes {@code region} {@code health} and tells every listener. */
    public void set(String region, RegionHealth health) {
        RegionHealth before = states.getOrDefault(region, RegionHealth.UNKNOWN);
        states.put(region, health);
        listeners.forEach(l -> l.accept(new RegionStateChange(region, before, health, Instant.now(), List.of())));
    }

    @Override
    public Map<String, RegionHealth> states() {
        return Map.copyOf(states);
    }

    @Override
    public Subscription onChange(Consumer<RegionStateChange> listener) {
        listeners.add(listener);
        return () -> listeners.remove(listener);
    }
}

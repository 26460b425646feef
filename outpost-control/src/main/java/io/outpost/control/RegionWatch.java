package io.outpost.control;

import io.micrometer.core.instrument.MeterRegistry;
import io.outpost.core.config.HealthConfig;
import io.outpost.core.config.KafkaAccess;
import io.outpost.core.region.Drain;
import io.outpost.core.region.Observation;
import io.outpost.core.region.RegionHealth;
import io.outpost.core.region.RegionStateChange;
import io.outpost.core.region.RegionStateFeed;
import io.outpost.runtime.Meters;
import java.time.InstantSource;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One region's view of every region's effective state: reads the region-state topic from its
 * beginning, keeps the observations in {@link RegionStates}, decides each region's state every
 * {@code health.probe-interval} (and when an observation arrives), raises an {@link Alarms alarm}
 * for each change and tells its listeners (the gateway's breakers and routing).
 */
public final class RegionWatch implements RegionStateFeed, AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(RegionWatch.class);

    private final String observer;
    private final RegionStates states;
    private final Alarms alarms;
    private final InstantSource clock;
    private final List<Consumer<RegionStateChange>> listeners = new CopyOnWriteArrayList<>();
    private final Map<String, Drain> drains = new ConcurrentHashMap<>();
    private final ScheduledExecutorService timer;
    private RegionStateTopic.Reader reader;
    private volatile Meters meters;

    private RegionWatch(String observer, Collection<String> regions, HealthConfig health, InstantSource clock) {
        this.observer = observer;
        this.states = new RegionStates(regions, health.observationTtl());
        this.alarms = new Alarms(observer, health.webhooks());
        this.clock = clock;
        this.timer = Executors.newSingleThreadScheduledExecutor(r -> Thread.ofPlatform().daemon()
                .name("outpost-region-watch-" + observer).unstarted(r));
    }

    /**
     * Starts watching.
     *
     * @param observer the region this watch runs in
     * @param regions  every configured region
     */
    public static RegionWatch start(KafkaAccess kafka, String observer, Collection<String> regions,
                                    HealthConfig health, InstantSource clock) {
        RegionWatch watch = new RegionWatch(observer, regions, health, clock);
        watch.reader = RegionStateTopic.Reader.start(kafka, "outpost-region-watch-" + observer, o -> {
            if (watch.states.record(o)) {
                watch.timer.execute(watch::evaluate);
            }
        }, watch::drain);
        long interval = health.probeInterval().toMillis();
        watch.timer.scheduleAtFixedRate(watch::evaluate, interval, interval, TimeUnit.MILLISECONDS);
        return watch;
    }

    /** Calls {@code listener} with every later change of a region's state, on the watch's thread, until unsubscribed. */
    @Override
    public Subscription onChange(Consumer<RegionStateChange> listener) {
        listeners.add(listener);
        return () -> listeners.remove(listener);
    }

    /** Takes in an operator's drain or undrain of a region (on the reader's thread). */
    private void drain(Drain drain) {
        Drain before = drains.put(drain.region(), drain);
        if (before == null ? drain.drained() : before.drained() != drain.drained()) {
            LOG.info("region watch {}: region {} is {} by {} at {}{}", observer, drain.region(),
                    drain.drained() ? "drained (no commands go through it; it still answers queries)" : "undrained",
                    drain.by(), drain.at(), drain.reason().isEmpty() ? "" : ": " + drain.reason());
        }
    }

    /** The regions an operator drained, as the topic last said. */
    @Override
    public Set<String> drained() {
        Set<String> drained = new TreeSet<>();
        drains.values().stream().filter(Drain::drained).forEach(d -> drained.add(d.region()));
        return drained;
    }

    /** Only the timer thread decides, so changes reach listeners in order. */
    private void evaluate() {
        noticeDrift();
        List<RegionStateChange> changes = states.evaluate(clock.instant());
        Map<String, RegionHealth> after = changes.isEmpty() ? Map.of() : states.effective();
        for (RegionStateChange change : changes) {
            alarms.raise(change, after);
            for (Consumer<RegionStateChange> listener : listeners) {
                try {
                    listener.accept(change);
                } catch (RuntimeException e) {
                    LOG.error("region watch {}: a listener failed on the change of region {} to {}", observer,
                            change.region(), change.to(), e);
                }
            }
        }
    }

    /** The distinct configuration hashes last logged about; only the timer thread touches it. */
    private java.util.Set<String> driftLogged = java.util.Set.of();

    /**
     * Logs once when the regions' gateways start reporting different configuration hashes (every
     * region should run the same file), and once when they agree again.
     */
    private void noticeDrift() {
        Map<String, String> hashes = states.configHashes(clock.instant());
        java.util.Set<String> distinct = new java.util.TreeSet<>(hashes.values());
        if (distinct.size() > 1 && !distinct.equals(driftLogged)) {
            LOG.warn("region watch {}: the regions run different configurations: {}; every region should run the same "
                    + "file (compare them, then restart the regions running the older one)", observer, hashes);
            driftLogged = distinct;
        } else if (distinct.size() == 1 && driftLogged.size() > 1) {
            LOG.info("region watch {}: every region runs the same configuration again ({})", observer,
                    distinct.iterator().next());
            driftLogged = distinct;
        }
    }

    @Override
    public Map<String, String> configHashes() {
        return states.configHashes(clock.instant());
    }

    @Override
    public Map<String, Map<String, io.outpost.core.region.Canary>> canaries() {
        return states.canaries(clock.instant());
    }

    /** The effective state of {@code region} as last decided. */
    public RegionHealth state(String region) {
        return states.effective(region);
    }

    /** Every region's effective state as last decided. */
    @Override
    public Map<String, RegionHealth> states() {
        return states.effective();
    }

    /** The observations of {@code region} fresh now. */
    @Override
    public List<Observation> observations(String region) {
        return states.observations(region, clock.instant());
    }

    /** How many alarms this watch has raised. */
    public long alarmsRaised() {
        return alarms.raised();
    }

    /**
     * Counts this watch's alarms in {@code registry} ({@code outpost_alarms_total}, tagged with the
     * region it runs in) until it closes.
     */
    public void register(MeterRegistry registry) {
        Meters registered = Meters.of(registry, "region", observer);
        registered.counted("outpost.alarms", "Alarms raised: changes of a region's effective state, each sent to every "
                + "health.webhooks URL", this, RegionWatch::alarmsRaised);
        meters = registered;
    }

    @Override
    public void close() {
        timer.shutdownNow();
        if (reader != null) {
            reader.close();
        }
        alarms.close();
        Meters registered = meters;
        if (registered != null) {
            registered.close();
        }
    }
}

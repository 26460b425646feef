package io.outpost.gateway.internal;

import com.fasterxml.jackson.annotation.JsonPropertyOrder;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.annotation.JsonNaming;
import io.micrometer.core.instrument.MeterRegistry;
import io.outpost.core.region.Observation;
import io.outpost.core.region.RegionHealth;
import io.outpost.core.region.RegionStateChange;
import io.outpost.core.region.RegionStateFeed;
import io.outpost.runtime.Buckets;
import io.outpost.runtime.Freshness;
import io.outpost.source.CaptureSlot;
import io.outpost.store.Rebuilds;
import java.time.Duration;
import java.time.InstantSource;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

/**
 * What the built-in dashboard ({@code /outpost/}) shows, as one JSON document
 * ({@code /outpost/v1/dashboard}): every region by the monitors' majority and by each monitor, this
 * region's watermark, staleness and its history (sampled every 2 s, the last 10 minutes, so a page
 * opened now shows the trend), views and their rebuilds, command targets (breakers), capture as the
 * source sees it (where this region reaches the source), freshness by stage from the process's
 * metrics, and the latest alarms this gateway's region watch raised.
 *
 * <p>Thread safety: alarms arrive on the watch's thread, samples on the sampler's; {@link #now} may
 * be called from any thread.
 */
public final class Dashboard implements AutoCloseable {

    /** How many alarms it keeps. */
    static final int ALARMS = 20;
    /** How often staleness is sampled, and how many samples are kept (10 minutes). */
    static final Duration SAMPLE_EVERY = Duration.ofSeconds(2);
    static final int SAMPLES = 300;
    /** Rebuilds shown: those waiting or running, and those that ended this long ago at most. */
    public static final Duration REBUILDS_ENDED = Duration.ofMinutes(15);

    /**
     * Where the figures the gateway does not hold itself come from.
     *
     * @param stalenessMs the region's staleness now (null before it applied anything)
     * @param rebuilds    the recent rebuild requests of the region's store
     * @param capture     capture as the source sees it; null where this region does not reach the source
     */
    public record Inputs(Supplier<Long> stalenessMs, Callable<List<Rebuilds.Request>> rebuilds, CaptureReport capture) {
    }

    /** A monitor's latest verdict on a region. */
    @JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
    public record MonitorView(RegionHealth health, String observedAt, String detail) {
    }

    /** An alarm: a region's effective state changed. */
    @JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
    public record Alarm(String region, RegionHealth from, RegionHealth to, String at, List<String> why) {
    }

    /** A stage of freshness, since the process started: the stage alone and since the source commit. */
    @JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
    public record Stage(double p50Ms, double p99Ms, double totalP50Ms, double totalP99Ms, long count) {
    }

    /** The whole page's figures. */
    @JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
    @JsonPropertyOrder({"region", "now", "regions", "command_route", "monitors", "status", "staleness_history", "rebuilds",
            "capture", "freshness", "alarms"})
    public record Snapshot(String region, String now, List<RegionReport.Region> regions, List<String> commandRoute,
                           Map<String, Map<String, MonitorView>> monitors, RegionReport.Status status,
                           List<Sample> stalenessHistory, List<Rebuilds.Request> rebuilds, CaptureSlot capture,
                           Map<String, Stage> freshness, List<Alarm> alarms) {
    }

    /** The region's staleness at a moment (epoch milliseconds); {@code ms} null while it had applied nothing. */
    public record Sample(long at, Long ms) {
    }

    private final String region;
    private final RegionStateFeed feed;
    private final MeterRegistry registry;
    private final InstantSource clock;
    private final Deque<Alarm> alarms = new ArrayDeque<>();
    private final RegionStateFeed.Subscription subscription;
    private final Inputs inputs;
    private final Deque<Sample> samples = new ArrayDeque<>();
    private final ScheduledExecutorService sampler = Executors.newSingleThreadScheduledExecutor(
            r -> Thread.ofPlatform().daemon().name("outpost-dashboard-sampler").unstarted(r));

    public Dashboard(String region, RegionStateFeed feed, MeterRegistry registry, InstantSource clock, Inputs inputs) {
        this.region = region;
        this.feed = feed;
        this.registry = registry;
        this.clock = clock;
        this.inputs = inputs;
        this.subscription = feed.onChange(this::alarm);
        sampler.scheduleAtFixedRate(this::sample, 0, SAMPLE_EVERY.toMillis(), TimeUnit.MILLISECONDS);
    }

    private void sample() {
        Long staleness;
        try {
            staleness = inputs.stalenessMs().get();
        } catch (RuntimeException e) {
            staleness = null; // a failed sample is a gap in the chart; the next one comes (a throw would end them all)
        }
        Sample sample = new Sample(clock.millis(), staleness);
        synchronized (samples) {
            samples.addLast(sample);
            while (samples.size() > SAMPLES) {
                samples.removeFirst();
            }
        }
    }

    private synchronized void alarm(RegionStateChange change) {
        List<String> why = new ArrayList<>();
        for (Observation o : change.observations()) {
            why.add("monitor " + o.monitor() + " says " + o.health() + " (" + o.detail() + ")");
        }
        alarms.addFirst(new Alarm(change.region(), change.from(), change.to(), change.at().toString(), why));
        while (alarms.size() > ALARMS) {
            alarms.removeLast();
        }
    }

    /** The figures now, around what the gateway reports of the regions and of its own state. */
    public Snapshot now(RegionReport.Regions regions, RegionReport.Status status) {
        Map<String, Map<String, MonitorView>> monitors = new LinkedHashMap<>();
        for (RegionReport.Region region : regions.regions()) {
            Map<String, MonitorView> views = new LinkedHashMap<>();
            for (Observation o : feed.observations(region.name())) {
                views.put(o.monitor(), new MonitorView(o.health(), o.observedAt().toString(), o.detail()));
            }
            monitors.put(region.name(), views);
        }
        Map<String, Stage> freshness = new LinkedHashMap<>();
        for (Freshness.Stage stage : Freshness.Stage.values()) {
            Buckets alone = Buckets.of(registry.find("outpost.freshness.stage").tag("stage", stage.tag()).timers());
            if (alone.count() == 0) {
                continue; // a stage no role of this process measures
            }
            Buckets total = Buckets.of(registry.find("outpost.freshness").tag("at", stage.tag()).timers());
            freshness.put(stage.tag(), new Stage(round(alone.percentile(0.5)), round(alone.percentile(0.99)),
                    round(total.percentile(0.5)), round(total.percentile(0.99)), alone.count()));
        }
        List<Alarm> latest;
        synchronized (this) {
            latest = List.copyOf(alarms);
        }
        List<Sample> history;
        synchronized (samples) {
            history = List.copyOf(samples);
        }
        List<Rebuilds.Request> rebuilds;
        try {
            rebuilds = inputs.rebuilds().call();
        } catch (Exception e) {
            rebuilds = List.of(); // the store cannot be reached: the status says so
        }
        return new Snapshot(region, clock.instant().toString(), regions.regions(), regions.commandRoute(), monitors, status,
                history, rebuilds, inputs.capture() == null ? null : inputs.capture().now(), freshness, latest);
    }

    private static double round(double value) {
        return Math.round(value * 10) / 10.0;
    }

    @Override
    public void close() {
        sampler.shutdownNow();
        subscription.close();
    }
}

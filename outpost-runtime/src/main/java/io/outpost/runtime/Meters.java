package io.outpost.runtime;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.binder.jvm.ClassLoaderMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmGcMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmMemoryMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmThreadMetrics;
import io.micrometer.core.instrument.binder.system.FileDescriptorMetrics;
import io.micrometer.core.instrument.binder.system.ProcessorMetrics;
import io.micrometer.core.instrument.binder.system.UptimeMetrics;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Predicate;
import java.util.function.Supplier;
import java.util.function.ToDoubleFunction;

/**
 * The meters one part of a process (a capture, a projector, a monitor, a gateway) registers in the
 * process's registry, each with the part's own tags ({@code region=eu-west}, {@code source=shop}).
 * Closing removes them: a part started again in the same process (the demo brings a region back up)
 * registers fresh meters instead of finding the old part's gauges, which would still read the old
 * part's objects.
 *
 * <p>Gauges and counted values hold their objects strongly (Micrometer's default is weakly: a
 * lambda or a helper made for the gauge alone would be collected, and the gauge read NaN) until
 * the meters close.
 *
 * <p>Timers publish a percentile histogram (Prometheus {@code _bucket} series) from 100 µs to 5
 * minutes. Counters and timers are looked up once per name and tags, not built per event.
 *
 * <p>Thread safety: every method may be called from any thread.
 */
public final class Meters implements AutoCloseable {

    private final MeterRegistry registry;
    private final Tags tags;
    private final List<Meter> registered = new CopyOnWriteArrayList<>();
    private final List<Object> held = new CopyOnWriteArrayList<>();
    private final List<Predicate<Meter.Id>> adopted = new CopyOnWriteArrayList<>();
    private final Map<List<String>, Counter> counters = new ConcurrentHashMap<>();
    private final Map<List<String>, Timer> timers = new ConcurrentHashMap<>();

    private Meters(MeterRegistry registry, Tags tags) {
        this.registry = Objects.requireNonNull(registry, "registry");
        this.tags = tags;
    }

    /** A part's meters in {@code registry}, each tagged with {@code tags} (name, value, name, value…). */
    public static Meters of(MeterRegistry registry, String... tags) {
        return new Meters(registry, Tags.of(tags));
    }

    /**
     * A registry for a whole process, scraped in Prometheus' text format, with the JVM's metrics
     * (memory, garbage collection, threads, classes) and the process's (CPU, uptime, open files).
     */
    public static PrometheusMeterRegistry processRegistry() {
        PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
        new JvmMemoryMetrics().bindTo(registry);
        new JvmGcMetrics().bindTo(registry);
        new JvmThreadMetrics().bindTo(registry);
        new ClassLoaderMetrics().bindTo(registry);
        new ProcessorMetrics().bindTo(registry);
        new UptimeMetrics().bindTo(registry);
        new FileDescriptorMetrics().bindTo(registry);
        return registry;
    }

    /** A counter of events. */
    public Counter counter(String name, String description, String... tags) {
        return counters.computeIfAbsent(key(name, tags), k -> add(Counter.builder(name).description(description)
                .tags(this.tags).tags(tags).register(registry)));
    }

    /** A timer of events, with a percentile histogram from 100 µs to 5 minutes. */
    public Timer timer(String name, String description, String... tags) {
        return timers.computeIfAbsent(key(name, tags), k -> add(Timer.builder(name).description(description)
                .tags(this.tags).tags(tags).publishPercentileHistogram()
                .minimumExpectedValue(Duration.ofNanos(100_000)).maximumExpectedValue(Duration.ofMinutes(5))
                .register(registry)));
    }

    /** A value read from {@code object} at each scrape. */
    public <T> void gauge(String name, String description, String unit, T object, ToDoubleFunction<T> value, String... tags) {
        add(Gauge.builder(name, object, value).description(description).baseUnit(unit).tags(this.tags).tags(tags)
                .strongReference(true).register(registry));
    }

    /** A count kept elsewhere (only ever growing), read from {@code object} at each scrape. */
    public <T> void counted(String name, String description, T object, ToDoubleFunction<T> count, String... tags) {
        held.add(object); // a function counter holds its object weakly, and has no choice
        add(FunctionCounter.builder(name, object, count).description(description).tags(this.tags).tags(tags)
                .register(registry));
    }

    /**
     * Where a part is in its life, one gauge per possible state: 1 for the state it is in, 0 for the
     * others ({@code outpost_projector_state{state="RUNNING"} 1}).
     */
    public <E extends Enum<E>> void state(String name, String description, Class<E> states, Supplier<E> current) {
        for (E state : states.getEnumConstants()) {
            add(Gauge.builder(name, current, c -> c.get() == state ? 1 : 0).description(description).tags(this.tags)
                    .tag("state", state.name()).strongReference(true).register(registry));
        }
    }

    /**
     * Meters another library registers for this part (Resilience4j's, say): removed with the rest
     * on close, whenever they were registered.
     */
    public void adopt(Predicate<Meter.Id> which) {
        adopted.add(which);
    }

    private <M extends Meter> M add(M meter) {
        registered.add(meter);
        return meter;
    }

    private static List<String> key(String name, String... tags) {
        String[] key = new String[tags.length + 1];
        key[0] = name;
        System.arraycopy(tags, 0, key, 1, tags.length);
        return List.of(key);
    }

    /** Removes this part's meters from the registry. */
    @Override
    public void close() {
        for (Meter meter : registered) {
            registry.remove(meter);
        }
        registered.clear();
        held.clear();
        counters.clear();
        timers.clear();
        if (!adopted.isEmpty()) {
            for (Meter meter : registry.getMeters()) {
                if (adopted.stream().anyMatch(p -> p.test(meter.getId()))) {
                    registry.remove(meter);
                }
            }
        }
    }
}

package io.outpost.control;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.outpost.control.internal.CanaryWindow;
import io.outpost.control.internal.Hysteresis;
import io.outpost.core.config.HealthConfig;
import io.outpost.core.region.Canary;
import io.outpost.core.region.Observation;
import io.outpost.core.region.RegionHealth;
import io.outpost.runtime.Meters;
import java.io.IOException;
import java.net.ConnectException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.time.Duration;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.CompletionException;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Probes every region's {@code /outpost/health} each {@code health.probe-interval} and publishes
 * its verdict on each ({@link Observation}) after every probe, so that its observations stay fresh
 * while it runs. A probe fails when it gets no answer within {@code health.probe-timeout}, or an
 * answer other than 200 with status UP or DEGRADED; the verdict turns DOWN after
 * {@code health.failures-to-down} failures in a row and back after {@code health.successes-to-up}
 * good probes in a row ({@link Hysteresis}). One monitor runs in each region, named after it.
 *
 * <p><b>Canary.</b> Every {@code health.canary-interval} the monitor also writes a fence through its
 * own region's command path ({@code POST /outpost/v1/canary} on its region's gateway, routed as a
 * command is) and asks every region's gateway to answer once its watermark reaches the fence
 * ({@code GET /outpost/v1/canary/{token}}): commit → visible for each pair (this monitor's region,
 * observed region), kept over the last minute ({@link CanaryWindow}) and published with every
 * observation. A region that serves but whose canary takes longer than {@code health.max-lag} is
 * judged DEGRADED by this monitor.
 */
public final class Monitor implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(Monitor.class);
    private static final ObjectMapper JSON = new ObjectMapper();

    private final String name;
    private final HealthConfig health;
    private final Consumer<Observation> publish;
    private final InstantSource clock;
    private final HttpClient http;
    private final Map<String, Target> targets = new LinkedHashMap<>();
    private final ScheduledExecutorService timer;
    private final Meters meters;

    private static final class Target {
        final String region;
        final URI health;
        final Hysteresis hysteresis;
        final URI gateway;
        final CanaryWindow canary = new CanaryWindow();
        /**
         * Written under this target's monitor (probes of one region may overlap when one is slow);
         * read by the metrics at any time.
         */
        volatile RegionHealth announced = RegionHealth.UNKNOWN;

        Target(String region, URI gateway, Hysteresis hysteresis) {
            this.region = region;
            this.gateway = gateway;
            this.health = path(gateway, "/outpost/health");
            this.hysteresis = hysteresis;
        }
    }

    /** Set once by {@link #start}, before the first probe. */
    private volatile String serviceToken;

    private Monitor(String name, Map<String, URI> gateways, HealthConfig health, Consumer<Observation> publish,
                    InstantSource clock, javax.net.ssl.SSLContext tls, MeterRegistry registry) {
        this.name = Objects.requireNonNull(name, "name");
        this.meters = Meters.of(registry, "region", name);
        this.health = Objects.requireNonNull(health, "health");
        this.publish = Objects.requireNonNull(publish, "publish");
        this.clock = Objects.requireNonNull(clock, "clock");
        gateways.forEach((region, url) -> targets.put(region, new Target(region, url,
                new Hysteresis(health.failuresToDown(), health.successesToUp()))));
        HttpClient.Builder client = HttpClient.newBuilder().connectTimeout(health.probeTimeout())
                .executor(Executors.newVirtualThreadPerTaskExecutor());
        if (tls != null) {
            client.sslContext(tls);
        }
        this.http = client.build();
        this.timer = Executors.newSingleThreadScheduledExecutor(r -> Thread.ofPlatform().daemon()
                .name("outpost-monitor-" + name).unstarted(r));
    }

    /**
     * Starts probing.
     *
     * @param name     the monitor's name: the region it runs in
     * @param gateways every region's gateway base URL ({@code http://host:port}), by region
     * @param publish  receives each verdict (normally {@link RegionStateTopic.Publisher#publish})
     */
    public static Monitor start(String name, Map<String, URI> gateways, HealthConfig health,
                                Consumer<Observation> publish, InstantSource clock) {
        return start(name, gateways, health, null, null, publish, clock);
    }

    /**
     * The same, for gateways that authenticate: probes carry {@code serviceToken} (in
     * {@link io.outpost.core.config.AuthConfig#SERVICE_TOKEN_HEADER}), so health shows them its details.
     *
     * @param serviceToken {@code auth.service-token}; null without authentication
     * @param tls          how gateways' certificates are verified (and this monitor's presented), from
     *                     {@code tls}; null for the JDK's default
     */
    public static Monitor start(String name, Map<String, URI> gateways, HealthConfig health, String serviceToken,
                                javax.net.ssl.SSLContext tls, Consumer<Observation> publish, InstantSource clock) {
        return start(name, gateways, health, serviceToken, tls, publish, clock, new SimpleMeterRegistry());
    }

    /**
     * The same, with its metrics in {@code registry} (the process's), tagged with this monitor's
     * region: {@code outpost_monitor_probes_seconds} by target ({@code of}) and outcome,
     * {@code outpost_monitor_region_state} (this monitor's own verdict on each region) and
     * {@code outpost_monitor_canary_seconds} (commit → visible of its canary fences, by region).
     */
    public static Monitor start(String name, Map<String, URI> gateways, HealthConfig health, String serviceToken,
                                javax.net.ssl.SSLContext tls, Consumer<Observation> publish, InstantSource clock,
                                MeterRegistry registry) {
        Monitor monitor = new Monitor(name, gateways, health, publish, clock, tls, registry);
        for (Target target : monitor.targets.values()) {
            monitor.meters.gauge("outpost.monitor.region.state", "This monitor's own verdict on a region (not the "
                    + "majority's): 0 up, 1 degraded, 2 down, 3 unknown", null, target, t -> t.announced.ordinal(),
                    "of", target.region);
        }
        monitor.serviceToken = serviceToken;
        long interval = health.probeInterval().toMillis();
        monitor.timer.scheduleAtFixedRate(monitor::probeAll, 0, interval, TimeUnit.MILLISECONDS);
        if (monitor.targets.containsKey(name)) {
            long canary = health.canaryInterval().toMillis();
            monitor.timer.scheduleAtFixedRate(monitor::canary, canary, canary, TimeUnit.MILLISECONDS);
        }
        LOG.info("monitor {} probes {} every {} ms", name, monitor.targets.keySet(), interval);
        return monitor;
    }

    private static URI path(URI gateway, String path) {
        String base = gateway.toString();
        return URI.create((base.endsWith("/") ? base.substring(0, base.length() - 1) : base) + path);
    }

    private void probeAll() {
        for (Target target : targets.values()) {
            HttpRequest request = request(target.health, health.probeTimeout()).GET().build();
            long sent = System.nanoTime();
            http.sendAsync(request, HttpResponse.BodyHandlers.ofString())
                    .handle((response, failure) -> {
                        Probe probe = failure == null ? judge(response) : failed(failure);
                        meters.timer("outpost.monitor.probes", "Probes of every region's /outpost/health, by region "
                                        + "(of) and outcome (up, degraded, down: a failed probe)", "of", target.region,
                                        "outcome", probe.health().name().toLowerCase(java.util.Locale.ROOT))
                                .record(System.nanoTime() - sent, TimeUnit.NANOSECONDS);
                        conclude(target, probe);
                        return null;
                    });
        }
    }

    record Probe(RegionHealth health, String detail, String configHash) {
    }

    /** Whether a canary fence is being written now (the next waits until it is acknowledged or refused). */
    private final java.util.concurrent.atomic.AtomicBoolean writing = new java.util.concurrent.atomic.AtomicBoolean();
    /** Why the latest canary fence could not be written; null while they are. Only the writing thread touches it. */
    private String canaryRefused;

    /** Writes a canary fence through this monitor's region, then asks every region when it shows it. */
    private void canary() {
        if (!writing.compareAndSet(false, true)) {
            return;
        }
        HttpRequest write = request(path(targets.get(name).gateway, CANARY_PATH), health.maxLag())
                .POST(HttpRequest.BodyPublishers.noBody()).build();
        http.sendAsync(write, HttpResponse.BodyHandlers.ofString()).handle((response, failure) -> {
            try {
                String token = failure == null ? token(response) : null;
                if (token == null) {
                    refused(failure == null ? "HTTP " + response.statusCode() + ": " + problemDetail(response.body())
                            : failed(failure).detail());
                    return null;
                }
                if (canaryRefused != null) {
                    LOG.info("monitor {}: canary fences are written through region {} again", name, name);
                    canaryRefused = null;
                }
                long written = System.nanoTime();
                for (Target target : targets.values()) {
                    if (target.canary.begin(written)) {
                        awaitVisible(target, token, written);
                    }
                }
                return null;
            } finally {
                writing.set(false);
            }
        });
    }

    private void refused(String why) {
        if (!why.equals(canaryRefused)) {
            LOG.warn("monitor {}: cannot write a canary fence through region {}: {}; trying again every {} ms", name, name, why,
                    health.canaryInterval().toMillis());
            canaryRefused = why;
        }
    }

    private void awaitVisible(Target target, String token, long written) {
        long waitMs = Math.min(health.maxLag().toMillis(), LONGEST_CANARY_WAIT.toMillis());
        HttpRequest ask = request(path(target.gateway, CANARY_PATH + "/" + token + "?wait_ms=" + waitMs),
                Duration.ofMillis(waitMs).plus(health.probeTimeout())).GET().build();
        http.sendAsync(ask, HttpResponse.BodyHandlers.ofString()).handle((response, failure) -> {
            if (failure != null || response.statusCode() != 200) {
                target.canary.abandon(); // the region cannot be asked: its probes say so
            } else if (reached(response.body())) {
                long took = System.nanoTime() - written;
                target.canary.measured(took);
                meters.timer("outpost.monitor.canary", "Commit → visible of this monitor's canary fences, by region (of)",
                        "of", target.region).record(took, TimeUnit.NANOSECONDS);
            } else if (!timer.isShutdown()) {
                awaitVisible(target, token, written); // not yet: the wait goes on, and shows as pending
            }
            return null;
        });
    }

    private HttpRequest.Builder request(URI uri, Duration timeout) {
        HttpRequest.Builder builder = HttpRequest.newBuilder(uri).timeout(timeout).header("Accept", "application/json")
                .header("Outpost-Monitor", name);
        if (serviceToken != null) {
            builder.header(io.outpost.core.config.AuthConfig.SERVICE_TOKEN_HEADER, serviceToken);
        }
        return builder;
    }

    /** Whether a canary visibility answer says the region reached the fence. */
    private static boolean reached(String body) {
        try {
            JsonNode answer = JSON.readTree(body);
            return answer != null && answer.path("reached").asBoolean(false);
        } catch (IOException e) {
            return false;
        }
    }

    /** A problem document's detail, or the start of a body that is none. */
    private static String problemDetail(String body) {
        try {
            JsonNode problem = JSON.readTree(body);
            if (problem != null && problem.hasNonNull("detail")) {
                return problem.get("detail").asText();
            }
        } catch (IOException e) {
            // not JSON
        }
        return body.length() > 200 ? body.substring(0, 200) + "…" : body;
    }

    /** The token of a canary fence's answer; null when it is no such answer. */
    private static String token(HttpResponse<String> response) {
        if (response.statusCode() != 200) {
            return null;
        }
        try {
            JsonNode body = JSON.readTree(response.body());
            return body == null ? null : body.path("token").asText(null);
        } catch (IOException e) {
            return null;
        }
    }

    /** The longest a gateway waits on a canary's fence for one request; an unmet wait is asked again. */
    static final Duration LONGEST_CANARY_WAIT = Duration.ofMinutes(1);

    /** The gateway's canary route; see {@code io.outpost.gateway.internal.Dispatcher#CANARY_PATH}. */
    static final String CANARY_PATH = "/outpost/v1/canary";

    /**
     * Judges a health answer: 200 with status UP or DEGRADED serves, anything else is a failed
     * probe. The detail names the status and the gateway's reasons; the configuration hash is the one
     * the gateway reported.
     */
    static Probe judge(HttpResponse<String> response) {
        JsonNode body = null;
        try {
            body = JSON.readTree(response.body());
        } catch (IOException e) {
            // not JSON: judged by the status code alone
        }
        String status = body == null ? null : body.path("status").asText(null);
        String hash = body == null ? null : body.path("config_hash").asText(null);
        List<String> reasons = new ArrayList<>();
        if (body != null) {
            body.path("reasons").forEach(r -> reasons.add(r.asText()));
        }
        String detail = "HTTP " + response.statusCode() + (status == null ? "" : ", status " + status)
                + (reasons.isEmpty() ? "" : ": " + String.join("; ", reasons));
        if (response.statusCode() == 200 && "UP".equals(status)) {
            return new Probe(RegionHealth.UP, detail, hash);
        }
        if (response.statusCode() == 200 && "DEGRADED".equals(status)) {
            return new Probe(RegionHealth.DEGRADED, detail, hash);
        }
        return new Probe(RegionHealth.DOWN, detail, hash);
    }

    private Probe failed(Throwable failure) {
        Throwable cause = failure instanceof CompletionException && failure.getCause() != null ? failure.getCause() : failure;
        String detail;
        if (cause instanceof HttpTimeoutException) {
            detail = "no answer within " + health.probeTimeout().toMillis() + " ms";
        } else if (cause instanceof ConnectException) {
            detail = "connection refused";
        } else {
            detail = cause.getClass().getSimpleName() + (cause.getMessage() == null ? "" : ": " + cause.getMessage());
        }
        return new Probe(RegionHealth.DOWN, detail, null);
    }

    private void conclude(Target target, Probe probed) {
        Canary canary = target.canary.figures(System.nanoTime());
        Probe probe = withCanary(probed, canary, health.maxLag(), name);
        Observation observation;
        synchronized (target) {
            RegionHealth verdict = target.hysteresis.next(probe.health());
            if (verdict == RegionHealth.UNKNOWN) {
                return; // failures, but fewer than failures-to-down since this monitor started
            }
            if (verdict != target.announced) {
                // the first verdict on a region that serves is not news (every start has nine of them)
                if (target.announced == RegionHealth.UNKNOWN && verdict != RegionHealth.DOWN) {
                    LOG.debug("monitor {}: region {} looks {} ({})", name, target.region, verdict, probe.detail());
                } else {
                    LOG.info("monitor {}: region {} looks {} ({})", name, target.region, verdict, probe.detail());
                }
                target.announced = verdict;
            }
            String pending = target.hysteresis.pending(probe.health());
            observation = new Observation(target.region, name, verdict, clock.instant(),
                    pending.isEmpty() ? probe.detail() : probe.detail() + "; " + pending, probe.configHash(), canary);
        }
        publish.accept(observation);
    }

    /**
     * A probe of a region that serves, judged with this monitor's canary on it: DEGRADED when fences
     * take longer than {@code maxLag} to be visible there (it serves, but old data), with the figure
     * in the detail; otherwise the probe as it was.
     */
    static Probe withCanary(Probe probe, Canary canary, Duration maxLag, String monitor) {
        if (canary == null || probe.health() == RegionHealth.DOWN || canary.freshnessMs() <= maxLag.toMillis()) {
            return probe;
        }
        String why = "canary: a fence written through region " + monitor + " took " + canary.freshnessMs()
                + " ms to be visible, more than health.max-lag (" + maxLag.toMillis() + " ms)";
        return new Probe(RegionHealth.DEGRADED, probe.detail() + "; " + why, probe.configHash());
    }

    @Override
    public void close() {
        timer.shutdownNow();
        try {
            timer.awaitTermination(5, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        // not close(): it waits for every request in flight, and a canary's wait can take long
        http.shutdownNow();
        meters.close();
    }
}

package io.outpost.control;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.outpost.control.internal.Hysteresis;
import io.outpost.core.config.HealthConfig;
import io.outpost.core.region.Observation;
import io.outpost.core.region.RegionHealth;
import java.io.IOException;
import java.net.ConnectException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
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

    private static final class Target {
        final String region;
        final URI health;
        final Hysteresis hysteresis;
        /** Guarded by this target's monitor: probes of one region may overlap when one is slow. */
        RegionHealth announced = RegionHealth.UNKNOWN;

        Target(String region, URI health, Hysteresis hysteresis) {
            this.region = region;
            this.health = health;
            this.hysteresis = hysteresis;
        }
    }

    /** Set once by {@link #start}, before the first probe. */
    private volatile String serviceToken;

    private Monitor(String name, Map<String, URI> gateways, HealthConfig health, Consumer<Observation> publish,
                    InstantSource clock, javax.net.ssl.SSLContext tls) {
        this.name = Objects.requireNonNull(name, "name");
        this.health = Objects.requireNonNull(health, "health");
        this.publish = Objects.requireNonNull(publish, "publish");
        this.clock = Objects.requireNonNull(clock, "clock");
        gateways.forEach((region, url) -> targets.put(region, new Target(region, healthUri(url),
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
        Monitor monitor = new Monitor(name, gateways, health, publish, clock, tls);
        monitor.serviceToken = serviceToken;
        long interval = health.probeInterval().toMillis();
        monitor.timer.scheduleAtFixedRate(monitor::probeAll, 0, interval, TimeUnit.MILLISECONDS);
        LOG.info("monitor {} probes {} every {} ms", name, monitor.targets.keySet(), interval);
        return monitor;
    }

    private static URI healthUri(URI gateway) {
        String base = gateway.toString();
        return URI.create((base.endsWith("/") ? base.substring(0, base.length() - 1) : base) + "/outpost/health");
    }

    private void probeAll() {
        for (Target target : targets.values()) {
            HttpRequest.Builder builder = HttpRequest.newBuilder(target.health).timeout(health.probeTimeout())
                    .header("Accept", "application/json").header("Outpost-Monitor", name).GET();
            if (serviceToken != null) {
                builder.header(io.outpost.core.config.AuthConfig.SERVICE_TOKEN_HEADER, serviceToken);
            }
            HttpRequest request = builder.build();
            http.sendAsync(request, HttpResponse.BodyHandlers.ofString())
                    .handle((response, failure) -> {
                        Probe probe = failure == null ? judge(response) : failed(failure);
                        conclude(target, probe);
                        return null;
                    });
        }
    }

    record Probe(RegionHealth health, String detail, String configHash) {
    }

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

    private void conclude(Target target, Probe probe) {
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
                    pending.isEmpty() ? probe.detail() : probe.detail() + "; " + pending, probe.configHash());
        }
        publish.accept(observation);
    }

    @Override
    public void close() {
        timer.shutdownNow();
        try {
            timer.awaitTermination(5, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        http.close();
    }
}

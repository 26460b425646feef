package io.outpost.server;

import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.outpost.capture.Capture;
import io.outpost.capture.CaptureSettings;
import io.outpost.control.Monitor;
import io.outpost.control.RegionStateTopic;
import io.outpost.control.RegionWatch;
import io.outpost.core.OutpostException;
import io.outpost.core.config.KafkaAccess;
import io.outpost.core.config.OutpostConfig;
import io.outpost.core.config.RegionConfig;
import io.outpost.gateway.Gateway;
import io.outpost.gateway.GatewaySettings;
import io.outpost.projector.Projector;
import io.outpost.projector.ProjectorSettings;
import io.outpost.runtime.Meters;
import io.outpost.runtime.Supervisor;
import java.net.URI;
import java.nio.file.Path;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One process's share of a distributed deployment ({@code outpost run}): some roles of one region
 * — or capture, which belongs to the source — against the Kafka cluster and the PostgreSQL
 * databases the configuration names. Each role is the same code the demo runs; standbys wait on
 * their advisory locks, and every outage is retried by the role itself.
 */
public final class Deployment implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(Deployment.class);

    /** What a process can run. */
    public enum Role {
        /** Capture of the source into the change log (one active per source; others wait). */
        CAPTURE,
        /** The region's projector (one active per region; others wait). */
        PROJECTOR,
        /** The region's gateway (any number per region). */
        GATEWAY,
        /** The region's monitor, probing every region's gateway. */
        MONITOR
    }

    /**
     * How the process is: {@code DOWN} when a role stopped for good (it needs an operator),
     * {@code DEGRADED} when one is retrying, otherwise {@code UP}; each role with its state and the
     * reason when it is not running.
     *
     * @param reasons one line per role that is not running: {@code projector of region eu-west FAILED: view …}
     */
    public record Health(Status status, List<Role> roles, List<String> reasons) {

        /** The process's status. */
        public enum Status { UP, DEGRADED, DOWN }

        /** A role: {@code capture}, {@code projector}, {@code gateway}, {@code monitor}. */
        public record Role(String role, String state, String problem) {
        }

        public Health {
            roles = List.copyOf(roles);
            reasons = List.copyOf(reasons);
        }
    }

    private final Parts parts = new Parts();
    private final PrometheusMeterRegistry registry;
    /** Whether the registry is this deployment's own (closed with it) or its caller's. */
    private final boolean ownsRegistry;
    /** How long each step of the start took, in order: {@code projector 812 ms}. */
    private final List<String> steps = new ArrayList<>();
    private long stepStarted = System.nanoTime();
    private volatile long projectorStartMs;
    private long gatewayListeningAt;
    private String source;
    private Monitor monitor;
    private Capture capture;
    private Projector projector;
    private Gateway gateway;
    private RegionWatch watch;

    private Deployment(PrometheusMeterRegistry registry, boolean ownsRegistry) {
        this.registry = registry;
        this.ownsRegistry = ownsRegistry;
    }

    /**
     * Starts {@code roles} of {@code region} (null when the only role is capture).
     *
     * @throws OutpostException naming the role and why when one cannot start; those started are stopped
     */
    public static Deployment start(OutpostConfig config, String region, Set<Role> roles) {
        return start(config, region, roles, null);
    }

    /**
     * The same, with capture spilling large transactions into {@code spillDirectory} (null: the
     * default, under the system's temporary directory).
     */
    public static Deployment start(OutpostConfig config, String region, Set<Role> roles, Path spillDirectory) {
        return start(config, region, roles, spillDirectory, Meters.processRegistry(), true);
    }

    /**
     * The same, with every role's metrics in {@code registry} (the process's): what the
     * management address and the gateway's {@code /outpost/metrics} show. The registry stays open
     * when the deployment closes: the caller's to close.
     */
    public static Deployment start(OutpostConfig config, String region, Set<Role> roles, Path spillDirectory,
                                   PrometheusMeterRegistry registry) {
        return start(config, region, roles, spillDirectory, registry, false);
    }

    private static Deployment start(OutpostConfig config, String region, Set<Role> roles, Path spillDirectory,
                                    PrometheusMeterRegistry registry, boolean ownsRegistry) {
        Set<Role> regional = EnumSet.copyOf(roles);
        regional.remove(Role.CAPTURE);
        if (!regional.isEmpty() && (region == null || !config.regions().containsKey(region))) {
            List<String> names = regional.stream().map(r -> r.name().toLowerCase(java.util.Locale.ROOT)).toList();
            throw new OutpostException((region == null ? "the roles " + String.join(", ", names) + " need --region"
                    : "there is no region " + region + " in the configuration")
                    + " (regions: " + String.join(", ", config.regions().keySet()) + ")");
        }
        Deployment deployment = new Deployment(registry, ownsRegistry);
        try {
            deployment.startRoles(config, region, roles, spillDirectory);
            return deployment;
        } catch (RuntimeException e) {
            deployment.close();
            throw e;
        }
    }

    private void startRoles(OutpostConfig config, String region, Set<Role> roles, Path spillDirectory) {
        if (roles.contains(Role.CAPTURE)) {
            CaptureSettings settings = CaptureSettings.of(config);
            capture = parts.push(Capture.start(spillDirectory == null ? settings : settings.withSpillDirectory(spillDirectory),
                    registry));
            source = config.source().name();
            step("capture");
        }
        // the projector starts beside the gateway: neither needs the other, and the gateway answers
        // from the store whatever the projector has applied (a restarted region listens sooner)
        CompletableFuture<Projector> projecting = null;
        if (roles.contains(Role.PROJECTOR)) {
            projecting = CompletableFuture.supplyAsync(() -> {
                long from = System.nanoTime();
                Projector p = Projector.start(ProjectorSettings.of(config, region), registry);
                projectorStartMs = (System.nanoTime() - from) / 1_000_000;
                return p;
            }, task -> Thread.ofPlatform().name("outpost-start-projector").start(task));
        }
        try {
            startGatewayAndMonitor(config, region, roles);
        } catch (RuntimeException e) {
            if (projecting != null) {
                projecting.handle((p, error) -> {
                    if (p != null) {
                        p.close();
                    }
                    return null;
                }).join();
            }
            throw e;
        }
        if (projecting != null) {
            try {
                projector = parts.push(projecting.join());
            } catch (CompletionException e) {
                throw e.getCause() instanceof RuntimeException r ? r : new OutpostException("the projector did not start", e.getCause());
            }
            steps.add("projector " + projectorStartMs + " ms (beside the rest)");
        }
    }

    private void startGatewayAndMonitor(OutpostConfig config, String region, Set<Role> roles) {
        KafkaAccess kafka = config.log().access();
        if (roles.contains(Role.GATEWAY) || roles.contains(Role.MONITOR)) {
            try {
                RegionStateTopic.ensure(kafka);
            } catch (OutpostException.Retriable e) {
                // the watch and the monitor retry by themselves; the topic is created on a later start
                LOG.warn("{}; region states stay UNKNOWN (nothing forced) until the topic can be read", e.getMessage());
            }
            step("region-state topic");
        }
        if (roles.contains(Role.GATEWAY)) {
            watch = RegionWatch.start(kafka, region, config.regions().keySet(), config.health(),
                    InstantSource.system());
            parts.push(watch);
            watch.register(registry);
            step("region watch");
            GatewaySettings settings = GatewaySettings.of(config, region).withRegionStates(watch).withMetrics(registry);
            java.util.Optional<io.opentelemetry.sdk.OpenTelemetrySdk> tracing = TraceExport.of(config.tracing(), region);
            if (tracing.isPresent()) {
                parts.push(tracing.get()::close); // after the gateway stops: its last spans are flushed
                settings = settings.withTracing(tracing.get());
            }
            gateway = Gateway.start(settings);
            parts.push(gateway);
            gatewayListeningAt = System.currentTimeMillis();
            step("gateway");
        }
        if (roles.contains(Role.MONITOR)) {
            RegionStateTopic.Publisher publisher = RegionStateTopic.Publisher.open(kafka, "outpost-monitor-" + region);
            parts.push(publisher);
            Map<String, URI> probed = new LinkedHashMap<>();
            for (RegionConfig r : config.regions().values()) {
                probed.put(r.name(), URI.create(r.gateway().url()));
            }
            monitor = parts.push(Monitor.start(region, probed, config.health(), config.auth().serviceToken(),
                    io.outpost.gateway.Tls.clientContext(config.tls()), publisher::publish, InstantSource.system(), registry));
            step("monitor");
        }
    }

    private void step(String what) {
        long now = System.nanoTime();
        steps.add(what + " " + (now - stepStarted) / 1_000_000 + " ms");
        stepStarted = now;
    }

    /**
     * How long each step of the start took, in order: {@code region-state topic 95 ms, region watch
     * 310 ms, gateway 812 ms, monitor 40 ms, projector 760 ms (beside the rest)}.
     */
    public String startTimes() {
        return String.join(", ", steps);
    }

    /** The dashboard's files and JSON at {@code path} of this deployment's gateway; empty without a gateway. */
    public Optional<Gateway.Served> dashboard(String path) {
        Gateway running = gateway;
        return running == null ? Optional.empty() : running.dashboard(path);
    }

    /** When the gateway started listening (epoch milliseconds), 0 when this deployment runs none. */
    public long gatewayListeningAt() {
        return gatewayListeningAt;
    }

    /** What runs, in words: {@code projector, gateway on http://…:7002, monitor}. */
    public String describe() {
        List<String> roles = new ArrayList<>();
        if (capture != null) {
            roles.add("capture of source " + source);
        }
        if (projector != null) {
            roles.add("projector");
        }
        if (gateway != null) {
            roles.add("gateway on " + gateway.url());
        }
        if (monitor != null) {
            roles.add("monitor");
        }
        return String.join(", ", roles);
    }

    /** The registry every role's metrics are in. */
    public PrometheusMeterRegistry registry() {
        return registry;
    }

    /** How each role is, and so the process. */
    public Health health() {
        List<Health.Role> roles = new ArrayList<>();
        List<String> reasons = new ArrayList<>();
        Health.Status status = Health.Status.UP;
        if (capture != null) {
            Capture.Status c = capture.status();
            status = worse(status, role(roles, reasons, "capture", "capture of source " + source, c.state(), c.problem()));
        }
        if (projector != null) {
            Projector.Status p = projector.status();
            status = worse(status, role(roles, reasons, "projector", "projector of region " + projector.region(), p.state(),
                    p.problem()));
        }
        if (gateway != null) {
            roles.add(new Health.Role("gateway", "RUNNING", null));
        }
        if (monitor != null) {
            roles.add(new Health.Role("monitor", "RUNNING", null));
        }
        return new Health(status, roles, reasons);
    }

    private static Health.Status role(List<Health.Role> roles, List<String> reasons, String role, String name,
                                      Supervisor.State state, String problem) {
        roles.add(new Health.Role(role, state.name(), problem));
        Health.Status status = switch (state) {
            case FAILED -> Health.Status.DOWN;
            case RETRYING -> Health.Status.DEGRADED;
            default -> Health.Status.UP;
        };
        if (status != Health.Status.UP) {
            reasons.add(name + " " + state + (problem == null ? "" : ": " + problem));
        }
        return status;
    }

    private static Health.Status worse(Health.Status a, Health.Status b) {
        return a.compareTo(b) >= 0 ? a : b;
    }

    /** The capture, when this deployment runs it. */
    public Capture capture() {
        return capture;
    }

    /** The projector, when this deployment runs one. */
    public Projector projector() {
        return projector;
    }

    /** The gateway, when this deployment runs one. */
    public Gateway gateway() {
        return gateway;
    }

    /** The region states its gateway follows, when this deployment runs a gateway. */
    public RegionWatch watch() {
        return watch;
    }

    /** Stops every role, the last started first (their meters go with them), then closes a registry of its own. */
    @Override
    public void close() {
        parts.close();
        if (ownsRegistry) {
            registry.close();
        }
    }
}

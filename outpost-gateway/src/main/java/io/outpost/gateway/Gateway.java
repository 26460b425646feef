package io.outpost.gateway;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import io.github.resilience4j.circuitbreaker.CircuitBreaker;
import io.javalin.Javalin;
import io.javalin.config.RoutesConfig;
import io.javalin.http.Context;
import io.javalin.http.HandlerType;
import io.javalin.http.HttpResponseException;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Timer;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.outpost.core.ConsistencyToken;
import io.outpost.core.OutpostException;
import io.outpost.core.config.OutpostConfig;
import io.outpost.core.config.RegionConfig;
import io.outpost.core.config.RouteConfig;
import io.outpost.core.region.RegionHealth;
import io.outpost.core.region.RegionStateFeed;
import io.outpost.gateway.internal.Dispatcher;
import io.outpost.gateway.internal.Problem;
import io.outpost.gateway.internal.Queries;
import io.outpost.gateway.internal.ViewCatalog;
import io.outpost.source.FenceWriter;
import io.outpost.source.IdempotencyLedger;
import io.outpost.store.RegionStore;
import io.outpost.store.ViewReads;
import io.outpost.store.ViewTables;
import io.outpost.store.WatermarkWatcher;
import java.net.URI;
import java.net.http.HttpClient;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Executors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A region's HTTP gateway: queries answered from the region's store (the native API under
 * {@code /outpost/v1/views} and the configured drop-in routes), every other request dispatched home
 * as a command, and the region's health, readiness and status.
 *
 * <p>Stateless: any number may serve a region. It reads the store (a pool, and one connection
 * that listens for the watermark), reaches the monolith or other regions' gateways over HTTP, and —
 * in a region with a route to the monolith — writes fences into the source database.
 */
public final class Gateway implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(Gateway.class);
    /** Largest request body accepted (a command's), bytes. */
    public static final int MAX_BODY_BYTES = 1 << 20;

    private final GatewaySettings settings;
    private final RegionStore store;
    private final WatermarkWatcher watcher;
    private final HikariDataSource source;
    private final HttpClient http;
    private final Queries queries;
    private final Dispatcher dispatcher;
    private final Javalin app;
    private final PrometheusMeterRegistry metrics = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    /** By route, method and status: a timer is looked up once, not built per request. */
    private final Map<String, Timer> timers = new java.util.concurrent.ConcurrentHashMap<>();
    private static final Duration VIEW_STATES_MAX_AGE = Duration.ofSeconds(5);
    /** The views' states as last read from the store, and when (nanoTime); see {@link #state}. */
    private volatile Map<String, String> viewStates = Map.of();
    private volatile long viewStatesRead = System.nanoTime() - VIEW_STATES_MAX_AGE.toNanos() - 1;
    private final java.util.concurrent.atomic.AtomicBoolean refreshing = new java.util.concurrent.atomic.AtomicBoolean();
    /** This gateway's registration with the region states: closed with the gateway. */
    private RegionStateFeed.Subscription following;

    private Gateway(GatewaySettings settings) {
        this.settings = settings;
        OutpostConfig config = settings.config();
        RegionConfig region = settings.region();
        String sourceName = config.source().name();
        this.store = RegionStore.open(region.store(), "gateway " + region.name(), region.store().poolSize());
        this.watcher = WatermarkWatcher.start(region.store(), sourceName, region.name());
        this.http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).connectTimeout(Duration.ofSeconds(2))
                .executor(Executors.newVirtualThreadPerTaskExecutor()).build();
        List<Queries.Peer> peers = new ArrayList<>();
        config.regions().values().stream().filter(r -> !r.name().equals(region.name()))
                .forEach(r -> peers.add(new Queries.Peer(r.name(), URI.create(r.gateway().url()))));
        this.queries = new Queries(region.name(), sourceName, store, new ViewCatalog(config.views(), store), watcher,
                region.gateway().maxWait(), peers, http, settings.clock());
        List<Dispatcher.Target> targets = new ArrayList<>();
        FenceWriter fences = null;
        IdempotencyLedger ledger = null;
        if (region.monolithRoute()) {
            targets.add(Dispatcher.target("monolith", URI.create(config.monolith().url()), true, config.monolith().timeout()));
            this.source = sourcePool(config, region.name());
            fences = new FenceWriter(source, sourceName);
            // a claim older than a command may take (forwarding included) was abandoned by its dispatcher
            ledger = new IdempotencyLedger(source, sourceName, config.commands().timeout().multipliedBy(2));
        } else {
            this.source = null;
        }
        for (String name : config.commands().route()) {
            RegionConfig other = config.regions().get(name);
            if (!name.equals(region.name())) {
                targets.add(Dispatcher.target(name, URI.create(other.gateway().url()), false, config.commands().timeout()));
            }
        }
        this.dispatcher = new Dispatcher(region.name(), targets, fences, ledger, config.commands().timeout(),
                config.commands().maxHops(), http);
        registerGauges();
        follow(settings.regions());
        this.app = Javalin.create(javalin -> {
            javalin.startup.showJavalinBanner = false;
            javalin.startup.showOldJavalinVersionWarning = false;
            javalin.concurrency.useVirtualThreads = true;
            javalin.http.maxRequestSize = MAX_BODY_BYTES;
            javalin.jetty.host = settings.host();
            javalin.jetty.port = settings.port();
            // what Jetty refuses before Javalin sees it (headers over 8 KiB: 431) is a problem too
            javalin.jetty.modifyServer(server -> server.setErrorHandler(new JettyProblems()));
            routes(javalin.routes, config);
        });
    }

    /**
     * Starts the gateway of {@code settings.region()}; the store and the source may be unreachable
     * (queries then answer 503 until they are back).
     */
    public static Gateway start(GatewaySettings settings) {
        Gateway gateway = new Gateway(settings);
        try {
            gateway.app.start();
        } catch (RuntimeException e) {
            gateway.close();
            throw new OutpostException("the gateway of region " + settings.region().name() + " cannot listen on port "
                    + settings.port() + ": " + e.getMessage() + "; free the port or set regions." + settings.region().name()
                    + ".gateway.port", e);
        }
        LOG.info("gateway of region {} listening on {}", settings.region().name(), url(settings.host(), gateway.app.port()));
        return gateway;
    }

    private static String url(String host, int port) {
        return "http://" + ("0.0.0.0".equals(host) ? "localhost" : host) + ":" + port;
    }

    /** The address it listens on, e.g. {@code http://localhost:7001}. */
    public String url() {
        return url(settings.host(), app.port());
    }

    public int port() {
        return app.port();
    }

    private static HikariDataSource sourcePool(OutpostConfig config, String region) {
        HikariConfig pool = new HikariConfig();
        pool.setJdbcUrl(config.source().url());
        pool.setUsername(config.source().user());
        pool.setPassword(config.source().password());
        pool.setMaximumPoolSize(4);
        pool.setMinimumIdle(0);
        pool.setInitializationFailTimeout(-1);
        pool.setConnectionTimeout(2000);
        pool.setPoolName("outpost-fences-" + region);
        pool.addDataSourceProperty("ApplicationName", "outpost gateway " + region);
        return new HikariDataSource(pool);
    }

    private static final String ROUTE = "outpost.route";
    private static final String STARTED = "outpost.started";

    /** {@code handler}, its requests counted and timed under {@code route} (a template, never a raw path). */
    private static io.javalin.http.Handler timed(String route, io.javalin.http.Handler handler) {
        return ctx -> {
            ctx.attribute(ROUTE, route);
            handler.handle(ctx);
        };
    }

    private void routes(RoutesConfig routes, OutpostConfig config) {
        routes.before(ctx -> ctx.attribute(STARTED, System.nanoTime()));
        routes.after(this::record);
        routes.get("/outpost/health", timed("/outpost/health", this::health));
        routes.get("/outpost/ready", timed("/outpost/ready", this::ready));
        routes.get("/outpost/metrics", ctx -> ctx.contentType("text/plain; version=0.0.4; charset=utf-8").result(metrics.scrape()));
        routes.get("/outpost/v1/status", timed("/outpost/v1/status", this::status));
        routes.get("/outpost/v1/regions", timed("/outpost/v1/regions", this::regions));
        routes.get("/outpost/v1/views/{view}/{key}", timed("/outpost/v1/views/{view}/{key}",
                ctx -> queries.byKey(ctx, ctx.pathParam("view"), ctx.pathParam("key"))));
        routes.get("/outpost/v1/views/{view}", timed("/outpost/v1/views/{view}", ctx -> queries.list(ctx, ctx.pathParam("view"))));
        for (RouteConfig route : config.routes()) {
            int open = route.path().indexOf('{');
            if (open < 0) {
                routes.get(route.path(), timed(route.path(), ctx -> queries.list(ctx, route.view())));
            } else {
                String parameter = route.path().substring(open + 1, route.path().indexOf('}', open));
                routes.get(route.path(), timed(route.path(), ctx -> queries.byKey(ctx, route.view(), ctx.pathParam(parameter))));
            }
        }
        for (HandlerType method : List.of(HandlerType.GET, HandlerType.POST, HandlerType.PUT, HandlerType.PATCH,
                HandlerType.DELETE, HandlerType.HEAD, HandlerType.OPTIONS)) {
            routes.addHttpHandler(method, "/<path>", timed("command", this::command));
            routes.addHttpHandler(method, "/", timed("command", this::command));
        }
        routes.exception(Problem.class, (e, ctx) -> problem(ctx, e));
        routes.exception(HttpResponseException.class, (e, ctx) -> problem(ctx,
                new Problem(e.getStatus(), "http-" + e.getStatus(), "The request cannot be served", e.getMessage())));
        routes.exception(OutpostException.Retriable.class, (e, ctx) -> problem(ctx,
                new Problem(503, "store-unavailable", "The region's store cannot be reached", e.getMessage()
                        + "; queries in this region fail until it is back").header("Retry-After", "5")));
        routes.exception(SQLException.class, (e, ctx) -> {
            LOG.warn("{} {}: the region store failed: {}", ctx.method(), ctx.path(), e.getMessage());
            problem(ctx, new Problem(503, "store-unavailable", "The region's store failed the query",
                    "the region store failed: " + e.getMessage() + "; try again shortly").header("Retry-After", "5"));
        });
        routes.exception(Exception.class, (e, ctx) -> {
            LOG.error("{} {} failed", ctx.method(), ctx.path(), e);
            problem(ctx, new Problem(500, "internal-error", "Internal error", "the gateway failed to serve the request"));
        });
        routes.error(404, ctx -> {
            if (!Problem.CONTENT_TYPE.equals(ctx.res().getContentType())) {
                problem(ctx, new Problem(404, "not-found", "Not found", "nothing is served at " + ctx.path()));
            }
        });
    }

    /** Counts and times a finished request under its route template ({@code other} when none matched). */
    private void record(Context ctx) {
        Long started = ctx.attribute(STARTED);
        if (started == null || "/outpost/metrics".equals(ctx.path())) {
            return;
        }
        String route = ctx.attribute(ROUTE);
        String key = (route == null ? "other" : route) + " " + ctx.method().name() + " " + ctx.statusCode();
        Timer timer = timers.computeIfAbsent(key, k -> Timer.builder("outpost.http.requests")
                .description("Requests served, by route template, method and status")
                .tags("route", route == null ? "other" : route, "method", ctx.method().name(),
                        "status", Integer.toString(ctx.statusCode()))
                .publishPercentileHistogram().register(metrics));
        timer.record(System.nanoTime() - started, java.util.concurrent.TimeUnit.NANOSECONDS);
    }

    private void registerGauges() {
        Gauge.builder("outpost.watermark.staleness", watcher, w -> {
                    Duration staleness = w.current().staleness(settings.clock().instant());
                    return staleness == null ? Double.NaN : staleness.toMillis() / 1000.0;
                }).description("Now minus the source commit time of the region's watermark").baseUnit("seconds")
                .tag("region", settings.region().name()).register(metrics);
        Gauge.builder("outpost.watermark.connected", watcher, w -> w.connected() ? 1 : 0)
                .description("Whether the gateway follows the store's watermark (1) or has lost its connection (0)")
                .tag("region", settings.region().name()).register(metrics);
        for (Dispatcher.Target target : dispatcher.targets()) {
            Gauge.builder("outpost.breaker.state", target, t -> switch (t.breaker().getState()) {
                        case CLOSED -> 0;
                        case HALF_OPEN -> 1;
                        case OPEN, FORCED_OPEN -> 2;
                        default -> 3;
                    }).description("A command target's breaker: 0 closed, 1 half-open, 2 open, 3 disabled or metrics-only")
                    .tags("region", settings.region().name(), "target", target.name()).register(metrics);
        }
    }

    /**
     * A command target region that the monitors' majority says is DOWN has its breaker forced open
     * until it is not, so commands go around it at once instead of each finding out. UNKNOWN and
     * DEGRADED force nothing: the local breaker still judges by what it sees.
     */
    private void follow(RegionStateFeed regions) {
        following = regions.onChange(change -> force(change.region(), change.to()));
        regions.states().forEach(this::force);
        for (RegionConfig region : settings.config().regions().values()) {
            Gauge.builder("outpost.region.state", regions, r -> r.states().getOrDefault(region.name(), RegionHealth.UNKNOWN)
                            .ordinal())
                    .description("A region's effective state by the monitors' majority: 0 up, 1 degraded, 2 down, 3 unknown")
                    .tags("region", settings.region().name(), "of", region.name()).register(metrics);
        }
    }

    private void force(String region, RegionHealth health) {
        for (Dispatcher.Target target : dispatcher.targets()) {
            if (target.monolith() || !target.name().equals(region)) {
                continue;
            }
            CircuitBreaker breaker = target.breaker();
            boolean forced = breaker.getState() == CircuitBreaker.State.FORCED_OPEN;
            if (health == RegionHealth.DOWN && !forced) {
                breaker.transitionToForcedOpenState();
                LOG.warn("gateway of region {}: region {} is DOWN by its monitors' majority; commands go around it",
                        settings.region().name(), region);
            } else if (health != RegionHealth.DOWN && forced) {
                breaker.transitionToClosedState();
                LOG.info("gateway of region {}: region {} is {} again; commands may go to it", settings.region().name(),
                        region, health);
            }
        }
    }

    private void command(Context ctx) throws InterruptedException {
        if (ctx.path().startsWith("/outpost/")) {
            throw new Problem(404, "not-found", "Not found", "nothing is served at " + ctx.path()
                    + "; Outpost's API is under /outpost/v1/");
        }
        dispatcher.dispatch(ctx);
    }

    private static void problem(Context ctx, Problem problem) {
        problem.headers().forEach(ctx::header);
        ctx.status(problem.status()).contentType(Problem.CONTENT_TYPE).result(problem.json(ctx.path()));
    }

    // ---- health, readiness, status ------------------------------------------------------------

    /** Reads the views' states into {@code views} and the cache; false when the store cannot be reached. */
    private boolean readViewStates(Map<String, String> views) {
        try (Connection c = store.connect(); Statement s = c.createStatement()) {
            s.execute("SELECT 1");
            ViewTables.registered(c).forEach((name, registered) -> views.put(name, registered.state().name()));
        } catch (SQLException | OutpostException e) {
            return false;
        }
        viewStates = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(views));
        viewStatesRead = System.nanoTime();
        return true;
    }

    /**
     * The region's state. {@code live}: the store is asked through the pool (status). Otherwise
     * (health and readiness, which monitors and load balancers poll) nothing waits for the pool,
     * which a burst of queries can hold for seconds — a region busy answering must not look DOWN:
     * the store counts as reachable while the watermark watcher's own connection is up, and the
     * views' states are the last ones read, refreshed in the background when older than 5 s.
     */
    private Map<String, Object> state(boolean live) {
        Map<String, Object> state = new LinkedHashMap<>();
        state.put("region", settings.region().name());
        ViewReads.Snapshot watermark = watcher.current();
        boolean storeReachable;
        Map<String, String> views;
        if (live) {
            views = new LinkedHashMap<>();
            storeReachable = readViewStates(views);
        } else {
            storeReachable = watcher.connected();
            views = viewStates;
            if (System.nanoTime() - viewStatesRead > VIEW_STATES_MAX_AGE.toNanos() && refreshing.compareAndSet(false, true)) {
                Thread.ofVirtual().name("outpost-gateway-view-states").start(() -> {
                    try {
                        readViewStates(new LinkedHashMap<>());
                    } finally {
                        refreshing.set(false);
                    }
                });
            }
        }
        state.put("store", storeReachable ? "reachable" : "unreachable");
        state.put("watermark", watermark.position() == null ? null
                : new ConsistencyToken(settings.config().source().name(), watermark.position()).encode());
        state.put("position", watermark.position() == null ? null : watermark.position().toString());
        state.put("commit_time", watermark.commitTime() == null ? null : watermark.commitTime().toString());
        Duration staleness = watermark.staleness(settings.clock().instant());
        state.put("staleness_ms", staleness == null ? null : staleness.toMillis());
        state.put("views", views);
        Map<String, String> breakers = new LinkedHashMap<>();
        dispatcher.targets().forEach(t -> breakers.put(t.name(), t.breaker().getState().name().toLowerCase(Locale.ROOT)));
        state.put("command_targets", breakers);
        return state;
    }

    /**
     * Deep health: UP when the store is reachable and its watermark known, the region is at most
     * {@code health.max-lag} behind the source, and (in a region with a route to the monolith) the
     * monolith's breaker is not open; DEGRADED when it serves but is too far behind or cannot reach
     * the monolith; DOWN otherwise (503). {@code reasons} says why it is not UP, and
     * {@code config_hash} which configuration it runs.
     */
    private void health(Context ctx) {
        Map<String, Object> state = state(false);
        List<String> reasons = new ArrayList<>();
        if (!"reachable".equals(state.get("store"))) {
            reasons.add("the region store cannot be reached");
        } else if (state.get("position") == null) {
            reasons.add("the region has applied nothing yet");
        }
        boolean down = !reasons.isEmpty();
        Duration maxLag = settings.config().health().maxLag();
        if (!down && state.get("staleness_ms") instanceof Long ms && ms > maxLag.toMillis()) {
            reasons.add(ms / 1000 + " s behind the source (more than health.max-lag, " + maxLag.toSeconds() + " s)");
        }
        dispatcher.targets().stream().filter(Dispatcher.Target::monolith)
                .filter(t -> t.breaker().getState() == CircuitBreaker.State.OPEN)
                .forEach(t -> reasons.add("the monolith's breaker is open"));
        String status = down ? "DOWN" : reasons.isEmpty() ? "UP" : "DEGRADED";
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("status", status);
        body.put("reasons", reasons);
        body.putAll(state);
        body.put("config_hash", settings.config().hash());
        ctx.status(down ? 503 : 200).json(body);
    }

    /** Ready to take queries: the store answers and the region has applied something. */
    private void ready(Context ctx) {
        Map<String, Object> state = state(false);
        boolean ready = "reachable".equals(state.get("store")) && state.get("position") != null;
        ctx.status(ready ? 200 : 503).json(Map.of("ready", ready));
    }

    private void status(Context ctx) {
        Map<String, Object> body = state(true);
        body.put("now", settings.clock().instant().toString());
        ctx.json(body);
    }

    private void regions(Context ctx) {
        List<Map<String, Object>> regions = new ArrayList<>();
        for (RegionConfig region : settings.config().regions().values()) {
            Map<String, Object> entry = new LinkedHashMap<>();
            entry.put("name", region.name());
            entry.put("gateway", region.gateway().url());
            entry.put("monolith_route", region.monolithRoute());
            entry.put("state", settings.regions().states().getOrDefault(region.name(), RegionHealth.UNKNOWN).name());
            entry.put("config_hash", region.name().equals(settings.region().name()) ? settings.config().hash()
                    : settings.regions().configHashes().get(region.name()));
            entry.put("this", region.name().equals(settings.region().name()));
            regions.add(entry);
        }
        ctx.json(Map.of("regions", regions, "command_route", settings.config().commands().route()));
    }

    @Override
    public void close() {
        if (following != null) {
            following.close();
        }
        try {
            app.stop();
        } finally {
            watcher.close();
            metrics.close();
            store.close();
            http.close();
            if (source != null) {
                source.close();
            }
        }
    }

    /** Jetty's own refusals (a request it cannot parse, headers too large) as problem+json. */
    private static final class JettyProblems implements org.eclipse.jetty.server.Request.Handler {
        @Override
        public boolean handle(org.eclipse.jetty.server.Request request, org.eclipse.jetty.server.Response response,
                              org.eclipse.jetty.util.Callback callback) {
            int status = request.getAttribute(org.eclipse.jetty.server.handler.ErrorHandler.ERROR_STATUS) instanceof Integer code
                    ? code : 500;
            Object message = request.getAttribute(org.eclipse.jetty.server.handler.ErrorHandler.ERROR_MESSAGE);
            String detail = switch (status) {
                case 431 -> "the request's headers are larger than the gateway accepts (8 KiB in all); send fewer or smaller headers";
                case 414 -> "the request's URI is longer than the gateway accepts";
                case 413 -> "the request's body is larger than the gateway accepts (" + MAX_BODY_BYTES + " bytes)";
                default -> message == null ? "the gateway could not serve the request" : message.toString();
            };
            Problem problem = new Problem(status, "http-" + status, "The request cannot be served", detail);
            response.setStatus(status);
            response.getHeaders().put(org.eclipse.jetty.http.HttpHeader.CONTENT_TYPE, Problem.CONTENT_TYPE);
            response.write(true, java.nio.ByteBuffer.wrap(problem.json(null).getBytes(java.nio.charset.StandardCharsets.UTF_8)),
                    callback);
            return true;
        }
    }
}

package io.outpost.gateway;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import io.javalin.Javalin;
import io.javalin.config.RoutesConfig;
import io.javalin.http.Context;
import io.javalin.http.Handler;
import io.javalin.http.HandlerType;
import io.javalin.http.HttpResponseException;
import io.outpost.core.OutpostException;
import io.outpost.core.Ticker;
import io.outpost.core.config.OutpostConfig;
import io.outpost.core.config.RegionConfig;
import io.outpost.core.config.RouteConfig;
import io.outpost.core.region.RegionHealth;
import io.outpost.gateway.internal.CanaryVisibility;
import io.outpost.gateway.internal.CommandTarget;
import io.outpost.gateway.internal.CaptureReport;
import io.outpost.gateway.internal.Dashboard;
import io.outpost.gateway.internal.DashboardFiles;
import io.outpost.gateway.internal.CommandTargets;
import io.outpost.gateway.internal.Dispatcher;
import io.outpost.gateway.internal.ForcedBreakers;
import io.outpost.gateway.internal.Forwarding;
import io.outpost.gateway.internal.GatewayMetrics;
import io.outpost.gateway.internal.JettyProblems;
import io.outpost.gateway.internal.OpenApi;
import io.outpost.gateway.internal.Problem;
import io.outpost.gateway.internal.ProblemType;
import io.outpost.gateway.internal.Queries;
import io.outpost.gateway.internal.ReadAccess;
import io.outpost.gateway.internal.RegionReport;
import io.outpost.gateway.internal.RegionReports;
import io.outpost.gateway.internal.Tracing;
import io.outpost.gateway.internal.ViewRegistry;
import io.outpost.source.FenceWriter;
import io.outpost.source.IdempotencyLedger;
import io.outpost.store.Rebuilds;
import io.outpost.store.RegionStore;
import io.outpost.store.WatermarkWatcher;
import java.net.URI;
import java.net.http.HttpClient;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A region's HTTP gateway: queries answered from the region's store (the native API under
 * {@code /outpost/v1/views} and the configured drop-in routes), every other request dispatched home
 * as a command, and the region's health, readiness and status. This class wires the parts and the
 * routes; the parts live in {@code internal}: {@link Queries}, {@link Dispatcher},
 * {@link RegionReports}, {@link GatewayMetrics}, {@link ForcedBreakers}.
 *
 * <p>Stateless: any number may serve a region. It reads the store (a pool, and one connection
 * that listens for the watermark), reaches the monolith or other regions' gateways over HTTP, and —
 * in a region with a route to the monolith — writes fences into the source database.
 */
public final class Gateway implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(Gateway.class);
    /** Largest request body accepted (a command's), bytes. */
    public static final int MAX_BODY_BYTES = 1 << 20;
    private static final String ROUTE = "outpost.route";
    private static final String STARTED = "outpost.started";

    private final GatewaySettings settings;
    private final Ticker ticker = Ticker.system();
    private final ExecutorService background = Executors.newVirtualThreadPerTaskExecutor();
    private final RegionStore store;
    private final WatermarkWatcher watcher;
    private final CanaryVisibility canaries;
    private final HikariDataSource source;
    private final HttpClient http;
    private final Queries queries;
    private final Dispatcher dispatcher;
    private final RegionReports reports;
    private final GatewayMetrics metrics;
    private final Dashboard dashboard;
    private final Tracing tracing;
    private final ForcedBreakers forced;
    private final ReadAccess access;
    private final Javalin app;
    /** What {@link #routes} registered, for the OpenAPI description; written before the gateway listens. */
    private final List<OpenApi.Route> served = new java.util.concurrent.CopyOnWriteArrayList<>();
    private volatile String openApi;

    private Gateway(GatewaySettings settings) {
        this.settings = settings;
        OutpostConfig config = settings.config();
        RegionConfig region = settings.region();
        String sourceName = config.source().name();
        // what a wrong file can make fail (TLS stores, a key file) comes before anything that needs closing
        HttpClient.Builder client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
                .connectTimeout(Duration.ofSeconds(2)).executor(background);
        javax.net.ssl.SSLContext tls = Tls.clientContext(config.tls());
        if (tls != null) {
            client.sslContext(tls); // other regions' gateways are verified against tls.trust-store
        }
        this.http = client.build();
        this.metrics = new GatewayMetrics(region.name(), sourceName, settings.metrics().orElse(null));
        this.tracing = settings.tracing().map(t -> Tracing.of(t, region.name())).orElse(Tracing.OFF);
        this.access = ReadAccess.of(region.name(), config.auth(), config.views(), metrics, http, ticker, settings.clock(),
                background);
        // the gateway only reads the store: as store.read-user, when there is one
        this.store = RegionStore.open(region.store().reader(), "gateway " + region.name(), region.store().poolSize());
        this.watcher = WatermarkWatcher.start(region.store().reader(), sourceName, region.name(),
                (commitTime, appliedAt) -> metrics.notified(commitTime, appliedAt, settings.clock().instant()));
        this.canaries = new CanaryVisibility(sourceName, watcher);
        ViewRegistry views = new ViewRegistry(config.views(), store, ticker, background);
        List<Forwarding.Peer> peers = new ArrayList<>();
        config.regions().values().stream().filter(r -> !r.name().equals(region.name()))
                .forEach(r -> peers.add(new Forwarding.Peer(r.name(), URI.create(r.gateway().url()))));
        this.queries = new Queries(region.name(), sourceName, store, views, watcher, region.gateway().maxWait(),
                new Forwarding(region.name(), sourceName, peers, region.gateway().maxWait(), http, access.serviceToken(), tracing),
                settings.clock(), access, config.auth().cursorKeys());

        CommandTargets factory = new CommandTargets(region.name());
        List<CommandTarget> targets = new ArrayList<>();
        FenceWriter fences = null;
        IdempotencyLedger ledger = null;
        if (region.monolithRoute()) {
            targets.add(factory.monolith(URI.create(config.monolith().url()), config.monolith().timeout()));
            this.source = sourcePool(config, region.name());
            fences = new FenceWriter(source, sourceName);
            // a claim older than a command may take (forwarding included) was abandoned by its dispatcher
            ledger = new IdempotencyLedger(source, sourceName, config.commands().timeout().multipliedBy(2));
        } else {
            this.source = null;
        }
        for (String name : config.commands().route()) {
            if (!name.equals(region.name())) {
                targets.add(factory.region(name, URI.create(config.regions().get(name).gateway().url()),
                        config.commands().timeout()));
            }
        }
        this.dispatcher = new Dispatcher(region.name(), targets, fences, ledger, config.commands().timeout(),
                config.commands().maxHops(), http, ticker, access, settings.regions(), tracing);
        this.reports = new RegionReports(region.name(), sourceName, config.hash(), config.health().maxLag(), watcher, views,
                targets, settings.clock());
        this.dashboard = new Dashboard(region.name(), settings.regions(), metrics.registry(), settings.clock(),
                new Dashboard.Inputs(() -> {
                    Duration staleness = watcher.current().staleness(settings.clock().instant());
                    return staleness == null ? null : staleness.toMillis();
                }, () -> {
                    try (java.sql.Connection c = store.connect()) {
                        return Rebuilds.recent(c, Dashboard.REBUILDS_ENDED, 10);
                    }
                }, source == null ? null : new CaptureReport(source, config.source().slot(), ticker)));
        metrics.watermark(watcher, settings.clock());
        metrics.commandTargets(factory);
        metrics.regionStates(settings.regions(), config.regions().keySet());
        this.forced = ForcedBreakers.follow(region.name(), targets, settings.regions());
        this.app = Javalin.create(javalin -> {
            javalin.startup.showJavalinBanner = false;
            javalin.startup.showOldJavalinVersionWarning = false;
            javalin.concurrency.useVirtualThreads = true;
            javalin.http.maxRequestSize = MAX_BODY_BYTES;
            javalin.jetty.host = settings.host();
            javalin.jetty.port = settings.port();
            if (config.tls().serves()) {
                javalin.jetty.addConnector((server, http) -> httpsConnector(server, http, config.tls()));
            }
            // what Jetty refuses before Javalin sees it (headers over 8 KiB: 431) is a problem too
            javalin.jetty.modifyServer(server -> server.setErrorHandler(new JettyProblems(MAX_BODY_BYTES)));
            routes(javalin.routes, config);
        });
    }

    /** The only connector of a gateway that serves HTTPS (Javalin adds its plain one only when none is given). */
    private org.eclipse.jetty.server.ServerConnector httpsConnector(org.eclipse.jetty.server.Server server,
                                                                     org.eclipse.jetty.server.HttpConfiguration http,
                                                                     io.outpost.core.config.TlsConfig tls) {
        org.eclipse.jetty.server.HttpConfiguration https = new org.eclipse.jetty.server.HttpConfiguration(http);
        https.addCustomizer(new org.eclipse.jetty.server.SecureRequestCustomizer());
        org.eclipse.jetty.server.ServerConnector connector = new org.eclipse.jetty.server.ServerConnector(server,
                new org.eclipse.jetty.server.SslConnectionFactory(Tls.serverContext(tls), "http/1.1"),
                new org.eclipse.jetty.server.HttpConnectionFactory(https));
        connector.setHost(settings.host());
        connector.setPort(settings.port());
        return connector;
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
        LOG.info("gateway of region {} listening on {}", settings.region().name(), gateway.url());
        return gateway;
    }

    /** The address it listens on, e.g. {@code http://localhost:7001} ({@code https://} when it serves TLS). */
    public String url() {
        return (settings.config().tls().serves() ? "https://" : "http://")
                + ("0.0.0.0".equals(settings.host()) ? "localhost" : settings.host()) + ":" + app.port();
    }

    public int port() {
        return app.port();
    }

    private static HikariDataSource sourcePool(OutpostConfig config, String region) {
        HikariConfig pool = new HikariConfig();
        pool.setJdbcUrl(config.source().url());
        pool.setUsername(config.source().gatewayUser()); // fences and the ledger only (outpost init-source)
        pool.setPassword(config.source().gatewayPassword());
        pool.setMaximumPoolSize(4);
        pool.setMinimumIdle(0);
        pool.setInitializationFailTimeout(-1);
        pool.setConnectionTimeout(2000);
        pool.setPoolName("outpost-fences-" + region);
        pool.addDataSourceProperty("ApplicationName", "outpost gateway " + region);
        return new HikariDataSource(pool);
    }

    /**
     * {@code handler}, its requests counted and timed under {@code route} (a template, never a raw
     * path), and traced in a span of that name when tracing is on.
     */
    private Handler timed(String route, Handler handler) {
        return ctx -> {
            ctx.attribute(ROUTE, route);
            tracing.serve(ctx, route, handler);
        };
    }

    private void routes(RoutesConfig routes, OutpostConfig config) {
        routes.before(ctx -> ctx.attribute(STARTED, ticker.read()));
        routes.after(this::record);
        serve(routes, "/outpost/health", "The region's health (details for the admin scope)", OpenApi.Kind.OWN, ctx -> {
            RegionReport.Health health = reports.health();
            ctx.status(health.status() == RegionHealth.DOWN ? 503 : 200);
            ctx.json(access.admin(ctx) ? health : new RegionReport.Brief(health.status()));
        });
        serve(routes, "/outpost/ready", "Whether the region serves (its store answers, it has applied something)",
                OpenApi.Kind.OWN, ctx -> {
                    RegionReport.Ready ready = reports.ready();
                    ctx.status(ready.ready() ? 200 : 503).json(ready);
                });
        serve(routes, "/outpost/metrics", "The process's metrics", OpenApi.Kind.ADMIN_TEXT, ctx -> {
            access.requireAdmin(ctx);
            ctx.contentType("text/plain; version=0.0.4; charset=utf-8").result(metrics.scrape());
        });
        serve(routes, "/outpost/openapi.json", "This description", OpenApi.Kind.OWN,
                ctx -> ctx.contentType("application/json").result(openApi()));
        for (Map.Entry<String, DashboardFiles.File> file : DashboardFiles.ALL.entrySet()) {
            serve(routes, file.getKey(), file.getValue().summary(), OpenApi.Kind.PAGE, ctx -> {
                ctx.header("Content-Security-Policy", "default-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:");
                ctx.header("Cache-Control", "no-cache");
                ctx.contentType(file.getValue().contentType()).result(file.getValue().bytes());
            });
        }
        serve(routes, "/outpost/v1/dashboard", "What the dashboard shows, as JSON", OpenApi.Kind.ADMIN, ctx -> {
            access.requireAdmin(ctx);
            ctx.json(dashboard.now(regions(), reports.status()));
        });
        serve(routes, "/outpost/v1/status", "The region's state, the store asked live", OpenApi.Kind.ADMIN, ctx -> {
            access.requireAdmin(ctx);
            ctx.json(reports.status());
        });
        serve(routes, "/outpost/v1/regions", "Every region's state by the monitors' majority, canaries, the command route",
                OpenApi.Kind.ADMIN, ctx -> {
                    access.requireAdmin(ctx);
                    ctx.json(regions());
                });
        serve(routes, HandlerType.POST, Dispatcher.CANARY_PATH, "A monitor's canary fence, written along the command route",
                OpenApi.Kind.ADMIN, ctx -> {
                    access.requireAdmin(ctx);
                    dispatcher.dispatch(ctx);
                });
        serve(routes, HandlerType.GET, Dispatcher.CANARY_PATH + "/{token}", "Whether this region reached a canary token "
                + "(?wait_ms=N waits up to N ms)", OpenApi.Kind.ADMIN, ctx -> {
                    access.requireAdmin(ctx);
                    canaries.answer(ctx);
                });
        serve(routes, "/outpost/v1/views/{view}/{key}", "A view's document by key", OpenApi.Kind.DOCUMENT,
                ctx -> queries.byKey(ctx, ctx.pathParam("view"), ctx.pathParam("key")));
        serve(routes, "/outpost/v1/views/{view}", "A page of a view's documents: filters, sort, full-text search, cursor",
                OpenApi.Kind.LIST, ctx -> queries.list(ctx, ctx.pathParam("view")));
        for (RouteConfig route : config.routes()) {
            int open = route.path().indexOf('{');
            if (open < 0) {
                serve(routes, route.path(), OpenApi.summaryOf(route), OpenApi.Kind.LIST, ctx -> queries.list(ctx, route.view()));
            } else {
                String parameter = route.path().substring(open + 1, route.path().indexOf('}', open));
                serve(routes, route.path(), OpenApi.summaryOf(route), OpenApi.Kind.DOCUMENT,
                        ctx -> queries.byKey(ctx, route.view(), ctx.pathParam(parameter)));
            }
        }
        for (HandlerType method : List.of(HandlerType.GET, HandlerType.POST, HandlerType.PUT, HandlerType.PATCH,
                HandlerType.DELETE, HandlerType.HEAD, HandlerType.OPTIONS)) {
            routes.addHttpHandler(method, "/<path>", timed("command", this::command));
            routes.addHttpHandler(method, "/", timed("command", this::command));
        }
        problems(routes);
    }

    /** Serves GET {@code path}, counted and timed under it, and lists it in the OpenAPI description. */
    private void serve(RoutesConfig routes, String path, String summary, OpenApi.Kind kind, Handler handler) {
        serve(routes, HandlerType.GET, path, summary, kind, handler);
    }

    private void serve(RoutesConfig routes, HandlerType method, String path, String summary, OpenApi.Kind kind,
                       Handler handler) {
        routes.addHttpHandler(method, path, timed(path, handler));
        served.add(new OpenApi.Route(method.name(), path, summary, kind));
    }

    /** The routes it serves besides commands, in the order they were registered. */
    public List<OpenApi.Route> served() {
        return List.copyOf(served);
    }

    /** The OpenAPI 3.1 description of what it serves, made once. */
    private String openApi() {
        String described = openApi;
        if (described == null) {
            described = OpenApi.describe(settings.config(), settings.region().name(), url(),
                    "v1 (configuration " + settings.config().hash() + ")", served);
            openApi = described;
        }
        return described;
    }

    /** Every failure a handler throws, as problem+json. */
    private static void problems(RoutesConfig routes) {
        routes.exception(Problem.class, (e, ctx) -> problem(ctx, e));
        routes.exception(HttpResponseException.class, (e, ctx) -> problem(ctx,
                Problem.refused(e.getStatus(), e.getMessage())));
        routes.exception(OutpostException.Retriable.class, (e, ctx) -> problem(ctx,
                new Problem(ProblemType.STORE_UNAVAILABLE, e.getMessage()
                        + "; queries in this region fail until it is back").header("Retry-After", "5")));
        routes.exception(SQLException.class, (e, ctx) -> {
            LOG.warn("{} {}: the region store failed: {}", ctx.method(), ctx.path(), e.getMessage());
            problem(ctx, new Problem(ProblemType.STORE_UNAVAILABLE,
                    "the region store failed: " + e.getMessage() + "; try again shortly").header("Retry-After", "5"));
        });
        routes.exception(Exception.class, (e, ctx) -> {
            LOG.error("{} {} failed", ctx.method(), ctx.path(), e);
            problem(ctx, new Problem(ProblemType.INTERNAL_ERROR, "the gateway failed to serve the request"));
        });
        routes.error(404, ctx -> {
            if (!Problem.CONTENT_TYPE.equals(ctx.res().getContentType())) {
                problem(ctx, new Problem(ProblemType.NOT_FOUND, "nothing is served at " + ctx.path()));
            }
        });
    }

    /** Counts and times a finished request under its route template ({@code other} when none matched). */
    private void record(Context ctx) {
        Long started = ctx.attribute(STARTED);
        if (started != null && !"/outpost/metrics".equals(ctx.path())) {
            metrics.request(ctx.attribute(ROUTE), ctx.method().name(), ctx.statusCode(), ticker.read() - started);
        }
    }

    private void command(Context ctx) throws InterruptedException {
        if (ctx.path().startsWith("/outpost/")) {
            throw new Problem(ProblemType.NOT_FOUND, "nothing is served at " + ctx.path()
                    + "; Outpost's API is under /outpost/v1/");
        }
        dispatcher.dispatch(ctx);
    }

    private static void problem(Context ctx, Problem problem) {
        problem.headers().forEach(ctx::header);
        ctx.status(problem.status()).contentType(Problem.CONTENT_TYPE).result(problem.json(ctx.path()));
    }

    private static final com.fasterxml.jackson.databind.ObjectMapper DASHBOARD_JSON = new com.fasterxml.jackson.databind.ObjectMapper();

    /** A dashboard's file or its JSON, as a management address serves it. */
    public record Served(String contentType, byte[] body) {
    }

    /**
     * What the dashboard at {@code path} is — one of its files, or its JSON at
     * {@code /outpost/v1/dashboard} — without authentication: for a process's management address,
     * which only the operator's network reaches. Empty for any other path.
     */
    public Optional<Served> dashboard(String path) {
        if ("/outpost/v1/dashboard".equals(path)) {
            try {
                return Optional.of(new Served("application/json",
                        DASHBOARD_JSON.writeValueAsBytes(dashboard.now(regions(), reports.status()))));
            } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
                throw new IllegalStateException("the dashboard's figures cannot be written as JSON", e);
            }
        }
        return Optional.ofNullable(DashboardFiles.ALL.get(path)).map(file -> new Served(file.contentType(), file.bytes()));
    }

    private RegionReport.Regions regions() {
        List<RegionReport.Region> regions = new ArrayList<>();
        String here = settings.region().name();
        java.util.Set<String> drained = settings.regions().drained();
        var canaries = settings.regions().canaries();
        for (RegionConfig region : settings.config().regions().values()) {
            boolean self = region.name().equals(here);
            Map<String, RegionReport.CanaryFigures> canary = new java.util.TreeMap<>();
            canaries.getOrDefault(region.name(), Map.of()).forEach((writer, c) -> canary.put(writer, RegionReport.CanaryFigures.of(c)));
            regions.add(new RegionReport.Region(region.name(), region.gateway().url(), region.monolithRoute(),
                    settings.regions().states().getOrDefault(region.name(), RegionHealth.UNKNOWN),
                    drained.contains(region.name()),
                    self ? settings.config().hash() : settings.regions().configHashes().get(region.name()), self, canary));
        }
        return new RegionReport.Regions(regions, settings.config().commands().route());
    }

    @Override
    public void close() {
        forced.close();
        dashboard.close();
        try {
            app.stop();
        } finally {
            watcher.close();
            metrics.close();
            store.close();
            http.shutdownNow(); // what is still in flight to another region is abandoned, not waited for
            background.shutdownNow();
            if (source != null) {
                source.close();
            }
        }
    }
}

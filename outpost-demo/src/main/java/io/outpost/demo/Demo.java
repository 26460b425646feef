package io.outpost.demo;

import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.outpost.capture.Capture;
import io.outpost.control.RegionWatch;
import io.outpost.core.SourcePosition;
import io.outpost.core.config.ConfigTemplate;
import io.outpost.core.config.OutpostConfig;
import io.outpost.embedded.EmbeddedKafka;
import io.outpost.embedded.EmbeddedPostgres;
import io.outpost.embedded.Ports;
import io.outpost.examples.shop.ShopData;
import io.outpost.examples.shop.ShopAuth;
import io.outpost.examples.shop.ShopServer;
import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.crypto.ECDSASigner;
import com.nimbusds.jose.jwk.Curve;
import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jose.jwk.gen.ECKeyGenerator;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;
import java.util.Date;
import io.outpost.gateway.Gateway;
import io.outpost.projector.Projector;
import io.outpost.runtime.Meters;
import io.outpost.runtime.Supervisor;
import io.outpost.server.Deployment;
import io.outpost.server.GatewayFigures;
import io.outpost.server.Parts;
import io.outpost.server.RegionStatus;
import io.outpost.source.CaptureSlot;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.function.BooleanSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Everything {@code outpost demo} runs in one JVM: an embedded PostgreSQL (the monolith's database
 * and one store database per region), an in-process Kafka broker (the change log), the example
 * shop with a seeded dataset, and Outpost's roles started as {@code outpost run} starts them
 * ({@link Deployment}): capture of the shop's database into the change log, then in each region a
 * projector, and once every region has applied the seeded data, a gateway and a monitor. The demo
 * runs the example configuration ({@code examples/outpost-shop.yml}) with its own addresses filled
 * in, written to {@code <data-dir>/outpost.yml} so other commands can use it. Parts start in
 * dependency order and stop in reverse.
 */
public final class Demo implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(Demo.class);
    private static final Duration PATIENCE = Duration.ofSeconds(60);

    /** What the demo starts with. */
    public record Options(Path dataDirectory, int shopPort, int customers, int products, int orders) {

        public static Options defaults(Path dataDirectory) {
            return new Options(dataDirectory, 8080, 100, 200, 1000);
        }

        public Options withShopPort(int port) {
            return new Options(dataDirectory, port, customers, products, orders);
        }
    }

    /**
     * Ids the example commands use: an order that exists, its customer, another customer, and a
     * product with stock.
     */
    public record ExampleIds(long orderId, long customerId, long otherCustomerId, long productId) {
    }

    /**
     * Bearer tokens ({@code Bearer …}) the demo's issuer signed, valid for {@link #TOKEN_LIFETIME}:
     * for the example order's customer, for another customer, for staff, and for an operator (the
     * admin scope: the dashboard, status and metrics).
     */
    public record Tokens(String customer, String otherCustomer, String staff, String operator) {
    }

    /** The issuer the demo's tokens name, as the example configuration expects it. */
    static final String ISSUER = "https://shop.example.com/";
    static final Duration TOKEN_LIFETIME = Duration.ofHours(24);

    private final Parts parts = new Parts();
    private final Options options;
    private EmbeddedPostgres postgres;
    private EmbeddedKafka kafka;
    private ShopServer shop;
    private String shopJdbcUrl;
    private ExampleIds exampleIds;
    private ECKey issuerKey;
    private Path issuerKeys;
    private Tokens tokens;
    private Path configFile;
    private OutpostConfig config;
    private Capture capture;
    /** Each region's registry: its projector's, gateway's and monitor's metrics (and capture's in the first). */
    private final Map<String, PrometheusMeterRegistry> registries = new LinkedHashMap<>();
    private final Map<String, Projector> projectors = new LinkedHashMap<>();
    private final Map<String, Gateway> gateways = new LinkedHashMap<>();
    private final Map<String, RegionWatch> watches = new LinkedHashMap<>();
    /** Each region's gateway and monitor, while they run ({@link #down}, {@link #up}). */
    private final Map<String, Deployment> fronts = new LinkedHashMap<>();

    private Demo(Options options) {
        this.options = options;
    }

    /** Starts every part; on failure, stops what had started and rethrows. */
    public static Demo start(Options options) {
        Demo demo = new Demo(options);
        try {
            demo.startParts();
            return demo;
        } catch (RuntimeException e) {
            demo.close();
            throw e;
        }
    }

    private void startParts() {
        long started = System.nanoTime();
        // PostgreSQL and Kafka do not depend on each other: start both at once.
        var pg = CompletableFuture.supplyAsync(() -> EmbeddedPostgres.builder()
                .directory(options.dataDirectory().resolve("postgres")).start());
        var broker = CompletableFuture.supplyAsync(() -> EmbeddedKafka.builder()
                .directory(options.dataDirectory().resolve("kafka")).start());
        postgres = parts.push(join(pg, broker));
        kafka = parts.push(join(broker, pg));
        // the demo stops everything at exit itself, in reverse order: capture before the broker it writes to
        postgres.stopOnlyWhenClosed();
        kafka.stopOnlyWhenClosed();

        shopJdbcUrl = postgres.createDatabase("shop");
        int port = options.shopPort() == 0 ? 0 : Ports.preferring(options.shopPort());
        if (port != options.shopPort()) {
            LOG.info("port {} is taken; the shop takes a free port instead", options.shopPort());
        }
        issuer();
        // the shop checks the same tokens as the gateways: it is the authority for commands and its own reads
        shop = parts.push(ShopServer.start(new ShopServer.Settings(shopJdbcUrl, EmbeddedPostgres.SUPERUSER, "", "localhost",
                port).withAuth(new ShopAuth(new JWKSet(issuerKey.toPublicJWK()), ISSUER, "shop"))));
        seed();
        config = writeConfig();
        tokens = new Tokens(token(Long.toString(exampleIds.customerId()), ShopAuth.CUSTOMER),
                token(Long.toString(exampleIds.otherCustomerId()), ShopAuth.CUSTOMER), token("staff-1", ShopAuth.STAFF),
                token("ops-1", config.auth().adminScope()));

        for (String region : config.regions().keySet()) {
            PrometheusMeterRegistry registry = Meters.processRegistry();
            parts.push(registry::close);
            registries.put(region, registry);
        }
        // capture runs at home, beside the monolith: its figures are in the first region's registry
        capture = parts.push(Deployment.start(config, null, EnumSet.of(Deployment.Role.CAPTURE),
                options.dataDirectory().resolve("spill"), registries.values().iterator().next())).capture();
        await("capture did not publish the shop's initial snapshot", () -> capture.status().transactions() >= 1);
        LOG.info("captured the shop's initial snapshot: {} rows in {}", capture.status().rows(), config.changesTopic());

        for (String region : config.regions().keySet()) {
            projectors.put(region, parts.push(Deployment.start(config, region, EnumSet.of(Deployment.Role.PROJECTOR), null,
                    registries.get(region))).projector());
        }
        SourcePosition snapshot = capture.status().lastPosition();
        for (Projector projector : projectors.values()) {
            await("region " + projector.region() + " did not apply the initial snapshot",
                    () -> applied(projector, snapshot));
        }
        LOG.info("every region applied the initial snapshot at {}", snapshot);

        // monitors start once the regions serve (a gateway whose store has applied nothing is DOWN)
        for (String region : config.regions().keySet()) {
            front(region);
        }
        LOG.info("demo started in {} ms", (System.nanoTime() - started) / 1_000_000);
    }

    private void seed() {
        try {
            ShopData.Counts counts = ShopData.seed(shop.dataSource(), options.customers(), options.products(),
                    options.orders(), 42);
            LOG.info("seeded the shop: {} customers, {} products, {} orders", counts.customers(), counts.products(),
                    counts.orders());
            try (Connection c = shop.dataSource().getConnection(); Statement s = c.createStatement();
                 ResultSet rs = s.executeQuery("SELECT o.id, o.customer_id, (SELECT min(c.id) FROM customers c WHERE c.id <> "
                         + "o.customer_id AND EXISTS (SELECT 1 FROM orders x WHERE x.customer_id = c.id)), (SELECT id FROM "
                         + "products ORDER BY stock DESC, id LIMIT 1) FROM orders o ORDER BY o.id LIMIT 1")) {
                rs.next();
                exampleIds = new ExampleIds(rs.getLong(1), rs.getLong(2), rs.getLong(3), rs.getLong(4));
            }
        } catch (SQLException e) {
            throw new IllegalStateException("could not seed the shop's database: " + e.getMessage(), e);
        }
    }

    /** The demo's own token issuer: an EC key pair, its public half written where the configuration reads it. */
    private void issuer() {
        try {
            issuerKey = new ECKeyGenerator(Curve.P_256).keyID("outpost-demo").generate();
            issuerKeys = options.dataDirectory().resolve("issuer.jwks.json");
            Files.writeString(issuerKeys, new JWKSet(issuerKey.toPublicJWK()).toString(true));
        } catch (JOSEException e) {
            throw new IllegalStateException("cannot make the demo's signing key: " + e.getMessage(), e);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + issuerKeys + ": " + e.getMessage(), e);
        }
    }

    /** A token of the demo's issuer for {@code subject} with {@code scope}. */
    private String token(String subject, String scope) {
        try {
            SignedJWT jwt = new SignedJWT(new JWSHeader.Builder(JWSAlgorithm.ES256).keyID(issuerKey.getKeyID()).build(),
                    new JWTClaimsSet.Builder().subject(subject).issuer(ISSUER).audience("shop").claim("scope", scope)
                            .issueTime(new Date()).expirationTime(Date.from(Instant.now().plus(TOKEN_LIFETIME))).build());
            jwt.sign(new ECDSASigner(issuerKey));
            return "Bearer " + jwt.serialize();
        } catch (JOSEException e) {
            throw new IllegalStateException("cannot sign the demo's tokens: " + e.getMessage(), e);
        }
    }

    /** A random secret for the configuration (the service token, the cursor key). */
    private static String secret() {
        byte[] bytes = new byte[32];
        new java.security.SecureRandom().nextBytes(bytes);
        return java.util.Base64.getUrlEncoder().withoutPadding().encodeToString(bytes);
    }

    /** Whether {@code projector} is at or past {@code position}; a projector that stopped for good fails the demo. */
    private static boolean applied(Projector projector, SourcePosition position) {
        Projector.Status status = projector.status();
        if (status.state() == Supervisor.State.FAILED) {
            throw new IllegalStateException("region " + projector.region() + " stopped: " + status.problem());
        }
        return !position.isAfter(status.watermark());
    }

    /** Waits up to a minute for {@code done}. */
    private static void await(String what, BooleanSupplier done) {
        long deadline = System.nanoTime() + PATIENCE.toNanos();
        while (!done.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException(what + " within " + PATIENCE.toSeconds() + " s; see the log file for why");
            }
            try {
                Thread.sleep(20);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted while waiting: " + what, e);
            }
        }
    }

    /** The example configuration with this demo's addresses in place of its ${VAR:-default} references. */
    private OutpostConfig writeConfig() {
        Map<String, String> addresses = new HashMap<>(Map.of(
                "SHOP_DB_URL", shopJdbcUrl,
                "SHOP_URL", shop.url(),
                "KAFKA_BOOTSTRAP", kafka.bootstrapServers(),
                // one in-process broker: a topic can keep one copy only (a real cluster keeps 3)
                "KAFKA_REPLICATION_FACTOR", "1",
                "OUTPOST_SERVICE_TOKEN", secret(),
                "OUTPOST_CURSOR_KEY", secret(),
                "OUTPOST_OLD_CURSOR_KEY", "",
                "OUTPOST_JWT_KEYS", issuerKeys.toString(),
                "OUTPOST_JWT_ISSUER", ISSUER));
        int preferredPort = 7001;
        for (String region : List.of("us_east", "eu_west", "ap_south")) {
            String name = region.toUpperCase(Locale.ROOT);
            addresses.put("STORE_" + name + "_URL", postgres.createDatabase("store_" + region));
            // the configuration names every gateway's address (regions forward to each other): pick the ports now
            int port = Ports.preferring(preferredPort);
            addresses.put("GATEWAY_" + name + "_URL", "http://localhost:" + port);
            preferredPort++;
        }
        String text = ConfigTemplate.render(exampleConfiguration(), addresses);
        configFile = options.dataDirectory().resolve("outpost.yml");
        try {
            Files.writeString(configFile, text);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + configFile + ": " + e.getMessage(), e);
        }
        return OutpostConfig.parse(text, name -> null);
    }

    private static String exampleConfiguration() {
        try (InputStream in = Demo.class.getResourceAsStream("outpost-shop.yml")) {
            if (in == null) {
                throw new IllegalStateException("the example configuration is missing from the demo's jar");
            }
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException("the example configuration cannot be read from the demo's jar", e);
        }
    }

    /** Starts {@code region}'s gateway and monitor. */
    private void front(String region) {
        Deployment deployment = parts.push(Deployment.start(config, region,
                EnumSet.of(Deployment.Role.GATEWAY, Deployment.Role.MONITOR), null, registries.get(region)));
        fronts.put(region, deployment);
        gateways.put(region, deployment.gateway());
        watches.put(region, deployment.watch());
    }

    /**
     * Takes {@code region}'s gateway and monitor down, as if the process serving them died: the other
     * regions' monitors find it DOWN, and commands go around it (through ap-south's backup link while
     * us-east is down). Its store and projector go on.
     *
     * @return what happened, in a sentence for the console
     */
    public synchronized String down(String region) {
        if (!config.regions().containsKey(region)) {
            return "there is no region " + region + "; the regions are " + config.regions().keySet();
        }
        Deployment front = fronts.remove(region);
        if (front == null) {
            return "region " + region + " is down already; `up " + region + "` brings it back";
        }
        front.close();
        return "region " + region + "'s gateway and monitor stopped; the other regions' monitors find it DOWN within "
                + "seconds, and commands go around it (each answer's Outpost-Route names the route). `up " + region
                + "` brings it back";
    }

    /**
     * Starts {@code region}'s gateway and monitor again; commands go back to it once its monitors'
     * majority finds it UP.
     *
     * @return what happened, in a sentence for the console
     */
    public synchronized String up(String region) {
        if (!config.regions().containsKey(region)) {
            return "there is no region " + region + "; the regions are " + config.regions().keySet();
        }
        if (fronts.containsKey(region)) {
            return "region " + region + " is up already";
        }
        front(region);
        return "region " + region + "'s gateway is listening on " + gateways.get(region).url() + " again; commands go back "
                + "to it once the monitors' majority finds it UP";
    }

    /**
     * One line: each region's effective state (as the first running region's watch sees it),
     * watermark, staleness and distance from the source, commit → visible there (p50 since its
     * gateway started) and any command target whose breaker is not closed, as its gateway says
     * ({@link GatewayFigures}, what {@code outpost status} asks too); then capture as the source sees it.
     */
    public synchronized String statusLine() {
        List<RegionStatus> regions = RegionStatus.of(config, RegionStatus.sourcePosition(config), Instant.now());
        Map<String, GatewayFigures> gateways = GatewayFigures.of(config);
        RegionWatch watch = fronts.isEmpty() ? watches.values().iterator().next()
                : watches.get(fronts.keySet().iterator().next());
        CaptureSlot capture = RegionStatus.capture(config);
        return "regions: " + String.join(" · ", regions.stream()
                .map(r -> r.compact(watch.state(r.region())) + gateways.get(r.region()).compact()).toList())
                + " · capture " + capture.state() + (capture.lagBytes() == null ? "" : " (" + RegionStatus.bytes(capture.lagBytes()) + " not confirmed)");
    }

    public Options options() {
        return options;
    }

    public ShopServer shop() {
        return shop;
    }

    /** The shop database's JDBC URL. */
    public String shopJdbcUrl() {
        return shopJdbcUrl;
    }

    public ExampleIds exampleIds() {
        return exampleIds;
    }

    /** Tokens for the example commands (see {@link Tokens}). */
    public Tokens tokens() {
        return tokens;
    }

    public EmbeddedPostgres postgres() {
        return postgres;
    }

    public EmbeddedKafka kafka() {
        return kafka;
    }

    public Capture capture() {
        return capture;
    }

    /** Each region's gateway, by region. */
    public Map<String, Gateway> gateways() {
        return java.util.Collections.unmodifiableMap(gateways);
    }

    public List<Projector> projectors() {
        return new ArrayList<>(projectors.values());
    }

    public OutpostConfig config() {
        return config;
    }

    public Path configFile() {
        return configFile;
    }

    /** Stops every part, last started first. */
    @Override
    public void close() {
        parts.close();
    }

    /** Waits for {@code first}; when it failed, still waits for {@code other} and closes what it started. */
    private static <T> T join(CompletableFuture<T> first, CompletableFuture<? extends AutoCloseable> other) {
        try {
            return first.join();
        } catch (CompletionException e) {
            try {
                other.join().close();
            } catch (Exception ignored) {
                // the first failure is the one to report
            }
            throw e.getCause() instanceof RuntimeException r ? r : new IllegalStateException(e.getCause());
        }
    }
}

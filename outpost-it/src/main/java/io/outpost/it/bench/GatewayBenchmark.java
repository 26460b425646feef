package io.outpost.it.bench;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import io.outpost.capture.Capture;
import io.outpost.capture.CaptureSettings;
import io.outpost.core.config.OutpostConfig;
import io.outpost.embedded.EmbeddedKafka;
import io.outpost.embedded.EmbeddedPostgres;
import io.outpost.embedded.Ports;
import io.outpost.examples.shop.ShopData;
import io.outpost.examples.shop.ShopServer;
import io.outpost.gateway.Gateway;
import io.outpost.gateway.GatewaySettings;
import io.outpost.it.harness.ExampleConfig;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.crypto.RSASSASigner;
import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jose.jwk.RSAKey;
import com.nimbusds.jose.jwk.gen.RSAKeyGenerator;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;
import io.outpost.projector.Projector;
import io.outpost.projector.ProjectorSettings;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.IntFunction;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * The gateway's figures on the example shop with the example configuration, beside the shop's
 * own endpoints for the same data, with the same load generator in the same run:
 * <ol>
 *   <li>throughput of order-by-id and of a filtered list (one customer's orders), closed loop with
 *       {@code clients} concurrent clients, each on a keep-alive connection of {@link RawHttp} (a
 *       minimal client, so that the load generator's own cost does not dominate what is measured):
 *       us-east's gateway against the shop;</li>
 *   <li>order-by-id latency at {@code rate} requests a second, open loop (each request timed from
 *       when it was due, so a stall counts for every request it delays);</li>
 *   <li>a command (place an order) sent to the shop directly, through the home region (us-east:
 *       monolith route, fence, token) and through a secondary region (eu-west → us-east → shop):
 *       p50/p99 and what each adds to the direct call;</li>
 *   <li>order-by-id, throughput and latency, through a second us-east gateway with the example's
 *       authentication and read rules on: each request carries the JWT (RS256) of the order's
 *       customer, so the row rule {@code customer.id = {claims.sub}} is checked on every answer —
 *       beside the same load on the gateway without authentication.</li>
 * </ol>
 * The load generator runs in the same JVM, on the same two cores, as everything else.
 */
@Command(name = "gateway", mixinStandardHelpOptions = true,
        description = "Gateway queries and commands against the shop's own endpoints, in the same run.")
final class GatewayBenchmark implements Callable<Integer> {

    @Option(names = "--seconds", defaultValue = "10", description = "Length of each throughput and latency phase (default: ${DEFAULT-VALUE}).")
    int seconds;

    @Option(names = "--clients", defaultValue = "16", description = "Concurrent clients of the throughput phases (default: ${DEFAULT-VALUE}).")
    int clients;

    @Option(names = "--rate", defaultValue = "1000", description = "Requests a second of the latency phase (default: ${DEFAULT-VALUE}).")
    int rate;

    @Option(names = "--commands", defaultValue = "400", description = "Commands per path in the command phase (default: ${DEFAULT-VALUE}).")
    int commands;

    @Option(names = "--command-rate", defaultValue = "50", description = "Rounds of commands a second, one through each path (default: ${DEFAULT-VALUE}).")
    int commandRate;

    @Option(names = "--out", defaultValue = "target/bench/gateway.json", description = "Where the JSON report goes (default: ${DEFAULT-VALUE}).")
    Path out;

    private RSAKey issuer;
    private int ownersTokenLength;

    private final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
            .executor(Executors.newVirtualThreadPerTaskExecutor()).connectTimeout(Duration.ofSeconds(5)).build();

    @Override
    public Integer call() throws Exception {
        Files.createDirectories(out.toAbsolutePath().getParent());
        System.out.println("gateway benchmark: starting embedded PostgreSQL and Kafka, the shop, capture and three regions…");
        List<AutoCloseable> parts = new ArrayList<>();
        try (EmbeddedPostgres postgres = EmbeddedPostgres.start(); EmbeddedKafka kafka = EmbeddedKafka.start()) {
            String shopDb = postgres.createDatabase("bench_shop");
            ShopServer shop = ShopServer.start(new ShopServer.Settings(shopDb, EmbeddedPostgres.SUPERUSER, "", "localhost", 0));
            parts.add(shop);
            ShopData.seed(shop.dataSource(), 100, 200, 1000, 42);
            Map<String, String> variables = new HashMap<>();
            variables.put("SHOP_DB_URL", shopDb);
            variables.put("SHOP_URL", shop.url());
            variables.put("KAFKA_BOOTSTRAP", kafka.bootstrapServers());
            for (String region : List.of("US_EAST", "EU_WEST", "AP_SOUTH")) {
                variables.put("STORE_" + region + "_URL", postgres.createDatabase("bench_" + region.toLowerCase(Locale.ROOT)));
                variables.put("GATEWAY_" + region + "_URL", "http://localhost:" + Ports.free());
            }
            OutpostConfig config = ExampleConfig.of("bench_gateway", variables);
            Capture capture = Capture.start(CaptureSettings.of(config));
            parts.add(capture);
            Map<String, Gateway> gateways = new LinkedHashMap<>();
            List<Projector> projectors = new ArrayList<>();
            for (String region : config.regions().keySet()) {
                Projector projector = Projector.start(ProjectorSettings.of(config, region));
                parts.add(projector);
                projectors.add(projector);
                Gateway gateway = Gateway.start(GatewaySettings.of(config, region).withHost("localhost"));
                parts.add(gateway);
                gateways.put(region, gateway);
            }
            ProjectorBenchmark.awaitCaughtUp(shopDb, projectors, Duration.ofSeconds(120));
            Gateway secured = securedGateway(variables, postgres);
            parts.add(secured);
            String[] ownersTokens = ownersTokens(shopDb);
            String home = gateways.get("us-east").url();
            String secondary = gateways.get("eu-west").url();

            IntFunction<String> orderById = i -> "/orders/" + (1 + i % 1000);
            IntFunction<String> shopList = i -> "/orders?customer_id=" + (1 + i % 100) + "&limit=20";
            IntFunction<String> gatewayList = i -> "/outpost/v1/views/orders?customer.id=" + (1 + i % 100) + "&limit=20";

            System.out.println("warming up…");
            throughput(shop.url(), orderById, 3);
            throughput(home, orderById, 3);
            throughput(secured.url(), orderById, i -> ownersTokens[i % 1000], 3);
            throughput(home, gatewayList, 2);
            throughput(shop.url(), shopList, 2);

            System.out.printf("throughput: order by id, %d clients, %d s each…%n", clients, seconds);
            Throughput shopById = throughput(shop.url(), orderById, seconds);
            Throughput gatewayById = throughput(home, orderById, seconds);
            System.out.println("throughput: one customer's orders…");
            Throughput shopLists = throughput(shop.url(), shopList, seconds);
            Throughput gatewayLists = throughput(home, gatewayList, seconds);
            System.out.printf("latency: order by id at %d/s, %d s each…%n", rate, seconds);
            Latencies shopLatency = openLoop(shop.url(), orderById, seconds);
            Latencies gatewayLatency = openLoop(home, orderById, seconds);
            System.out.printf("commands: %d orders at %d/s directly, through us-east and through eu-west…%n", commands, commandRate);
            List<Latencies> placed = commands(List.of(shop.url(), home, secondary));
            Latencies direct = placed.get(0);
            Latencies viaHome = placed.get(1);
            Latencies viaSecondary = placed.get(2);
            System.out.printf("authentication: order by id with the owner's JWT and the row rule, beside the same requests "
                    + "to the gateway without authentication, alternating, 2 × %d s each…%n", seconds / 2);
            IntFunction<String> owners = i -> ownersTokens[i % 1000];
            // alternating halves, so that a drift of the machine weighs on both alike
            Throughput openA = throughput(home, orderById, owners, seconds / 2);
            Throughput authA = throughput(secured.url(), orderById, owners, seconds / 2);
            Throughput openB = throughput(home, orderById, owners, seconds / 2);
            Throughput authB = throughput(secured.url(), orderById, owners, seconds / 2);
            Throughput bare = throughput(home, orderById, null, seconds / 2);
            Latencies openLatency = openLoop(home, orderById, owners, seconds);
            Latencies authLatency = openLoop(secured.url(), orderById, owners, seconds);
            report(shopById, gatewayById, shopLists, gatewayLists, shopLatency, gatewayLatency, direct, viaHome, viaSecondary);
            reportAuthentication(Throughput.mean(openA, openB), Throughput.mean(authA, authB), bare, openLatency, authLatency);
        } finally {
            for (int i = parts.size() - 1; i >= 0; i--) {
                parts.get(i).close();
            }
        }
        return 0;
    }

    /** Requests per second and errors of a closed loop. */
    record Throughput(double perSecond, long requests, long errors) {

        /** Two phases of the same length as one. */
        static Throughput mean(Throughput a, Throughput b) {
            return new Throughput((a.perSecond() + b.perSecond()) / 2, a.requests() + b.requests(), a.errors() + b.errors());
        }
    }

    private Throughput throughput(String base, IntFunction<String> path, int phaseSeconds) throws InterruptedException {
        return throughput(base, path, null, phaseSeconds);
    }

    /**
     * A second gateway of us-east, on the same store, with the example configuration as written:
     * authentication on (keys from a file made here) and the views' read rules.
     */
    private Gateway securedGateway(Map<String, String> variables, EmbeddedPostgres postgres) throws Exception {
        issuer = new RSAKeyGenerator(2048).keyID("bench").generate();
        Path keys = Files.createTempFile("outpost-bench-issuer", ".jwks.json");
        keys.toFile().deleteOnExit();
        Files.writeString(keys, new JWKSet(issuer.toPublicJWK()).toString(true));
        Map<String, String> secured = new HashMap<>(variables);
        secured.put("OUTPOST_SERVICE_TOKEN", "bench-service-token-0123456789abcdef");
        secured.put("OUTPOST_CURSOR_KEY", "bench-cursor-key-0123456789abcdefghij");
        secured.put("OUTPOST_JWT_KEYS", keys.toString());
        OutpostConfig config = ExampleConfig.withAuthentication("bench_gateway", secured);
        return Gateway.start(GatewaySettings.of(config, "us-east").withHost("localhost").withPort(0));
    }

    /** For orders 1…1000 (index {@code id - 1}), {@code Bearer <JWT>} of the order's customer, scope orders:read. */
    private String[] ownersTokens(String shopDb) throws Exception {
        Map<Long, String> byCustomer = new HashMap<>();
        String[] tokens = new String[1000];
        try (java.sql.Connection c = java.sql.DriverManager.getConnection(shopDb);
             java.sql.ResultSet rs = c.createStatement().executeQuery("SELECT id, customer_id FROM orders WHERE id <= 1000")) {
            while (rs.next()) {
                long customer = rs.getLong(2);
                String token = byCustomer.computeIfAbsent(customer, this::token);
                // orderById asks for order 1 + i % 1000, so token i serves order i + 1
                tokens[(int) rs.getLong(1) - 1] = token;
                ownersTokenLength = token.length();
            }
        }
        return tokens;
    }

    private String token(long customer) {
        try {
            SignedJWT jwt = new SignedJWT(new JWSHeader.Builder(JWSAlgorithm.RS256).keyID(issuer.getKeyID()).build(),
                    new JWTClaimsSet.Builder().subject(Long.toString(customer)).issuer("https://shop.example.com/")
                            .audience("shop").claim("scope", "orders:read")
                            .expirationTime(java.util.Date.from(java.time.Instant.now().plus(Duration.ofHours(1)))).build());
            jwt.sign(new RSASSASigner(issuer));
            return "Bearer " + jwt.serialize();
        } catch (com.nimbusds.jose.JOSEException e) {
            throw new IllegalStateException(e);
        }
    }

    private Throughput throughput(String base, IntFunction<String> path, IntFunction<String> authorization, int phaseSeconds)
            throws InterruptedException {
        AtomicLong done = new AtomicLong();
        AtomicLong errors = new AtomicLong();
        long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(phaseSeconds);
        long started = System.nanoTime();
        URI uri = URI.create(base);
        try (ExecutorService loop = Executors.newVirtualThreadPerTaskExecutor()) {
            for (int c = 0; c < clients; c++) {
                loop.submit(() -> {
                    RawHttp connection = null;
                    try {
                        while (System.nanoTime() < end) {
                            if (connection == null) {
                                connection = new RawHttp(uri.getHost(), uri.getPort());
                            }
                            int i = ThreadLocalRandom.current().nextInt(1_000_000);
                            int status;
                            try {
                                status = connection.get(path.apply(i), authorization == null ? null : authorization.apply(i));
                            } catch (IOException e) {
                                connection.close();
                                connection = null;
                                status = -1;
                            }
                            if (status != 200) {
                                errors.incrementAndGet();
                            }
                            done.incrementAndGet();
                        }
                    } catch (IOException e) {
                        errors.incrementAndGet();
                    } finally {
                        if (connection != null) {
                            connection.close();
                        }
                    }
                });
            }
        }
        double elapsed = (System.nanoTime() - started) / 1e9;
        return new Throughput(done.get() / elapsed, done.get(), errors.get());
    }

    private Latencies openLoop(String base, IntFunction<String> path, int phaseSeconds) throws InterruptedException {
        return openLoop(base, path, null, phaseSeconds);
    }

    private Latencies openLoop(String base, IntFunction<String> path, IntFunction<String> authorization, int phaseSeconds)
            throws InterruptedException {
        Latencies latencies = new Latencies();
        AtomicLong errors = new AtomicLong();
        long interval = TimeUnit.SECONDS.toNanos(1) / rate;
        long total = (long) rate * phaseSeconds;
        long start = System.nanoTime();
        try (ExecutorService requests = Executors.newVirtualThreadPerTaskExecutor()) {
            for (long n = 0; n < total; n++) {
                long due = start + n * interval;
                Pacing.awaitDue(due);
                int i = (int) (n % 1_000_000);
                requests.submit(() -> {
                    if (get(base + path.apply(i), authorization == null ? null : authorization.apply(i)) != 200) {
                        errors.incrementAndGet();
                    }
                    latencies.recordNanos(System.nanoTime() - due);
                });
            }
        }
        if (errors.get() > 0) {
            System.out.printf("  (%d of %d requests to %s failed)%n", errors.get(), total, base);
        }
        return latencies;
    }

    /**
     * Places orders through each of {@code bases} in turn (one after the other, at {@code commandRate}
     * rounds a second), so that every path sees the same conditions; latencies per base.
     */
    private List<Latencies> commands(List<String> bases) throws Exception {
        List<Latencies> latencies = new ArrayList<>();
        bases.forEach(base -> latencies.add(new Latencies()));
        long interval = TimeUnit.SECONDS.toNanos(1) / commandRate;
        long start = System.nanoTime();
        int warmUp = commands / 10;
        for (int n = 0; n < commands + warmUp; n++) {
            Pacing.awaitDue(start + n * interval);
            for (int b = 0; b < bases.size(); b++) {
                String body = "{\"customer_id\": " + (1 + n % 100) + ", \"lines\": [{\"product_id\": " + (1 + (n + b) % 200)
                        + ", \"qty\": 1}]}";
                long sent = System.nanoTime();
                HttpResponse<Void> response = http.send(HttpRequest.newBuilder(URI.create(bases.get(b) + "/orders"))
                        .POST(HttpRequest.BodyPublishers.ofString(body)).header("Content-Type", "application/json")
                        .timeout(Duration.ofSeconds(10)).build(), HttpResponse.BodyHandlers.discarding());
                long took = System.nanoTime() - sent;
                if (response.statusCode() != 201) {
                    throw new IllegalStateException("placing an order through " + bases.get(b) + " answered " + response.statusCode());
                }
                if (n >= warmUp) {
                    latencies.get(b).recordNanos(took);
                }
            }
        }
        return latencies;
    }

    private int get(String url, String authorization) {
        try {
            HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(url)).GET().timeout(Duration.ofSeconds(10));
            if (authorization != null) {
                request.header("Authorization", authorization);
            }
            return http.send(request.build(), HttpResponse.BodyHandlers.discarding()).statusCode();
        } catch (IOException e) {
            return -1;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return -1;
        }
    }

    /**
     * The authenticated gateway beside the open one, both sent the same requests (the open one
     * ignores their token): targets ≥ 0.8× the throughput, p99 within 1 ms. {@code bare} is the open
     * gateway without the token header: what carrying a token costs by itself.
     */
    private void reportAuthentication(Throughput open, Throughput authenticated, Throughput bare, Latencies openLatency,
                                      Latencies authLatency) throws IOException {
        double ratio = authenticated.perSecond() / open.perSecond();
        double bareRatio = authenticated.perSecond() / bare.perSecond();
        double addedP99 = authLatency.p99() - openLatency.p99();
        boolean throughputMet = ratio >= 0.8;
        boolean latencyMet = addedP99 <= 1;
        System.out.println();
        System.out.printf("%-42s %12s %12s %8s   %s%n", "order by id, us-east", "JWT + rule", "no auth", "ratio", "target");
        System.out.printf("%-42s %,12.0f %,12.0f %8.2f   %s%n", "requests/s (" + clients + " clients)", authenticated.perSecond(),
                open.perSecond(), ratio, "≥ 0.8× " + (throughputMet ? "(met)" : "(NOT met)"));
        System.out.printf("%-42s %,12.0f %,12.0f %8.2f%n", "  beside requests without a token header", authenticated.perSecond(),
                bare.perSecond(), bareRatio);
        System.out.printf("%-42s %12.2f %12.2f %8.2f%n", "at " + rate + "/s, p50 ms", authLatency.p50(), openLatency.p50(),
                authLatency.p50() / openLatency.p50());
        System.out.printf("%-42s %12.2f %12.2f %8.2f   %s%n", "at " + rate + "/s, p99 ms", authLatency.p99(), openLatency.p99(),
                authLatency.p99() / openLatency.p99(), "≤ +1 ms " + (latencyMet ? "(met)" : "(NOT met)"));
        System.out.printf("%-42s %12.2f %12.2f%n", "at " + rate + "/s, max ms", authLatency.max(), openLatency.max());
        System.out.printf("(errors: with JWT %d, without %d; every request carries its order's customer's token, RS256, "
                + "%d bytes; the gateway without authentication ignores it)%n", authenticated.errors(), open.errors(),
                ownersTokenLength);
        Map<String, Object> json = new ObjectMapper().readValue(out.toFile(), new com.fasterxml.jackson.core.type.TypeReference<>() { });
        Map<String, Object> figures = new LinkedHashMap<>();
        figures.put("jwt_rps", Math.round(authenticated.perSecond()));
        figures.put("open_rps", Math.round(open.perSecond()));
        figures.put("ratio", Latencies.round(ratio));
        figures.put("no_header_rps", Math.round(bare.perSecond()));
        figures.put("ratio_to_no_header", Latencies.round(bareRatio));
        figures.put("token_bytes", ownersTokenLength);
        figures.put("rate_per_s", rate);
        figures.put("jwt_latency", authLatency.json());
        figures.put("open_latency", openLatency.json());
        figures.put("added_p99_ms", Latencies.round(addedP99));
        figures.put("throughput_met", throughputMet);
        figures.put("latency_met", latencyMet);
        json.put("order_by_id_authenticated", figures);
        new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT).writeValue(out.toFile(), json);
    }

    private void report(Throughput shopById, Throughput gatewayById, Throughput shopLists, Throughput gatewayLists,
                        Latencies shopLatency, Latencies gatewayLatency, Latencies direct, Latencies viaHome,
                        Latencies viaSecondary) throws IOException {
        double byIdRatio = gatewayById.perSecond() / shopById.perSecond();
        double listRatio = gatewayLists.perSecond() / shopLists.perSecond();
        double addedHome = viaHome.p50() - direct.p50();
        double addedSecondary = viaSecondary.p50() - direct.p50();
        boolean throughputMet = byIdRatio >= 3;
        boolean latencyMet = gatewayLatency.p99() <= 10;
        boolean commandMet = addedHome <= 2;
        System.out.println();
        System.out.println("Gateway benchmark — " + Runtime.getRuntime().availableProcessors() + " cores, the example shop "
                + "(100 customers, 1000 orders), load generator in the same JVM");
        System.out.printf("%-34s %12s %12s %8s   %s%n", "", "gateway", "shop", "ratio", "target");
        System.out.printf("%-34s %,12.0f %,12.0f %8.2f   %s%n", "order by id, requests/s", gatewayById.perSecond(),
                shopById.perSecond(), byIdRatio, "≥ 3× " + (throughputMet ? "(met)" : "(NOT met)"));
        System.out.printf("%-34s %,12.0f %,12.0f %8.2f%n", "a customer's orders, requests/s", gatewayLists.perSecond(),
                shopLists.perSecond(), listRatio);
        System.out.printf("%-34s %12.2f %12.2f %8.2f   %s%n", "order by id at " + rate + "/s, p50 ms", gatewayLatency.p50(),
                shopLatency.p50(), gatewayLatency.p50() / shopLatency.p50(), "");
        System.out.printf("%-34s %12.2f %12.2f %8.2f   %s%n", "order by id at " + rate + "/s, p99 ms", gatewayLatency.p99(),
                shopLatency.p99(), gatewayLatency.p99() / shopLatency.p99(), "≤ 10 " + (latencyMet ? "(met)" : "(NOT met)"));
        System.out.printf("%-34s %12.2f %12.2f%n", "order by id at " + rate + "/s, max ms", gatewayLatency.max(), shopLatency.max());
        System.out.printf("(%d clients, %d s per throughput phase; errors: gateway %d, shop %d)%n%n", clients, seconds,
                gatewayById.errors() + gatewayLists.errors(), shopById.errors() + shopLists.errors());
        System.out.printf("%-34s %12s %12s %12s   %s%n", "place an order", "p50 ms", "p99 ms", "added p50", "target");
        System.out.printf("%-34s %12.2f %12.2f %12s%n", "directly at the shop", direct.p50(), direct.p99(), "");
        System.out.printf("%-34s %12.2f %12.2f %12.2f   %s%n", "through us-east (home)", viaHome.p50(), viaHome.p99(),
                addedHome, "≤ 2 " + (commandMet ? "(met)" : "(NOT met)"));
        System.out.printf("%-34s %12.2f %12.2f %12.2f%n", "through eu-west (→ us-east)", viaSecondary.p50(), viaSecondary.p99(),
                addedSecondary);
        System.out.printf("(%d commands per path, the three paths in turn, %d rounds/s after %d warm-up; through a region "
                + "includes its fence and token)%n", commands, commandRate, commands / 10);

        Map<String, Object> json = new LinkedHashMap<>();
        json.put("benchmark", "gateway");
        json.put("cores", Runtime.getRuntime().availableProcessors());
        json.put("order_by_id", Map.of("gateway_rps", Math.round(gatewayById.perSecond()), "shop_rps",
                Math.round(shopById.perSecond()), "ratio", Latencies.round(byIdRatio)));
        json.put("customer_orders_list", Map.of("gateway_rps", Math.round(gatewayLists.perSecond()), "shop_rps",
                Math.round(shopLists.perSecond()), "ratio", Latencies.round(listRatio)));
        json.put("order_by_id_latency", Map.of("rate_per_s", rate, "gateway", gatewayLatency.json(), "shop", shopLatency.json()));
        json.put("commands", Map.of("rate_per_s", commandRate, "direct", direct.json(), "via_home", viaHome.json(),
                "via_secondary", viaSecondary.json(), "added_p50_home_ms", Latencies.round(addedHome),
                "added_p50_secondary_ms", Latencies.round(addedSecondary)));
        json.put("targets", Map.of("throughput_met", throughputMet, "latency_met", latencyMet, "command_met", commandMet));
        new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT).writeValue(out.toFile(), json);
        System.out.println("report written to " + out.toAbsolutePath());
    }
}

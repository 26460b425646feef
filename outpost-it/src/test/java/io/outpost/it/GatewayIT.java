package io.outpost.it;

import static java.util.concurrent.TimeUnit.SECONDS;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.outpost.capture.Capture;
import io.outpost.capture.CaptureSettings;
import io.outpost.control.Monitor;
import io.outpost.control.RegionStateTopic;
import io.outpost.control.RegionWatch;
import io.outpost.core.ConsistencyToken;
import io.outpost.core.SourcePosition;
import io.outpost.core.config.HealthConfig;
import io.outpost.core.config.KafkaAccess;
import io.outpost.core.config.OutpostConfig;
import io.outpost.core.region.Drain;
import io.outpost.core.region.RegionHealth;
import io.outpost.embedded.EmbeddedPostgres;
import io.outpost.embedded.Ports;
import io.outpost.examples.shop.ShopData;
import io.outpost.examples.shop.ShopServer;
import io.outpost.gateway.Gateway;
import io.outpost.gateway.GatewaySettings;
import io.outpost.it.harness.ConsistencyChecker;
import io.outpost.it.harness.ExampleConfig;
import io.outpost.projector.Projector;
import io.outpost.projector.ProjectorSettings;
import java.io.IOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.Executors;
import java.util.concurrent.ThreadLocalRandom;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/**
 * The gateways of the example configuration's three regions, each on its own port, in front of the
 * example shop: reads from the region's store, commands sent home, read-your-writes tokens,
 * bounded staleness, breakers, and the problems bad requests get. The tests share the regions but
 * not an order: each starts when every region serves and every watch sees every region UP
 * ({@link #everyRegionServes}), and each puts back what it stops.
 */
class GatewayIT {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final List<String> REGIONS = List.of("us-east", "eu-west", "ap-south");

    private static ShopServer shop;
    private static ShopServer.Settings shopSettings;
    private static OutpostConfig config;
    private static Capture capture;
    private static final Map<String, Projector> PROJECTORS = new LinkedHashMap<>();
    private static final Map<String, Gateway> GATEWAYS = new LinkedHashMap<>();
    private static final Map<String, RegionWatch> WATCHES = new LinkedHashMap<>();
    private static final List<AutoCloseable> MONITORS = new ArrayList<>();
    private static String shopUrl;
    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    /** Every gateway's spans (one SDK for the three: each span names its region). */
    private static final io.opentelemetry.sdk.testing.exporter.InMemorySpanExporter SPANS =
            io.opentelemetry.sdk.testing.exporter.InMemorySpanExporter.create();
    private static final io.opentelemetry.sdk.OpenTelemetrySdk TRACING = io.opentelemetry.sdk.OpenTelemetrySdk.builder()
            .setTracerProvider(io.opentelemetry.sdk.trace.SdkTracerProvider.builder()
                    .addSpanProcessor(io.opentelemetry.sdk.trace.export.SimpleSpanProcessor.create(SPANS)).build())
            .build();

    @BeforeAll
    static void start() throws Exception {
        shopUrl = EmbeddedPostgres.shared().createDatabase("gateway_it");
        shopSettings = new ShopServer.Settings(shopUrl, EmbeddedPostgres.SUPERUSER, "", "localhost", Ports.free());
        shop = ShopServer.start(shopSettings);
        ShopData.seed(shop.dataSource(), 20, 30, 60, 5);
        Map<String, String> addresses = ProjectionIT.addresses("gateway_it", shopUrl);
        addresses.put("SHOP_URL", shop.url());
        for (String region : REGIONS) {
            addresses.put("GATEWAY_" + region.replace('-', '_').toUpperCase(java.util.Locale.ROOT) + "_URL",
                    "http://localhost:" + Ports.free());
        }
        OutpostConfig example = ExampleConfig.of("gateway_it", addresses);
        // Probes may wait 1 s and a region is DOWN after 5 failed ones (the example file: 500 ms, 3): here
        // every region, the shop, PostgreSQL and a hundred clients share two cores and one JVM, and a
        // burst of commands once kept every probe waiting for over 3 s
        HealthConfig patient = new HealthConfig(Duration.ofSeconds(1), Duration.ofSeconds(1), 5, 2, Duration.ofSeconds(5),
                List.of(), example.health().maxLag());
        config = example.withHealth(patient);
        capture = Capture.start(CaptureSettings.of(config));
        KafkaAccess bootstrap = config.log().access();
        RegionStateTopic.ensure(bootstrap);
        for (String region : REGIONS) {
            PROJECTORS.put(region, Projector.start(ProjectorSettings.of(config, region)));
            WATCHES.put(region, RegionWatch.start(bootstrap, region, REGIONS, config.health(), Clock.systemUTC()));
            GATEWAYS.put(region, Gateway.start(gatewaySettings(region)));
        }
        ProjectionIT.awaitRegions(config, sourcePosition());
        // monitors start once the regions serve (a gateway whose store has applied nothing is DOWN)
        RegionStateTopic.Publisher publisher = RegionStateTopic.Publisher.open(bootstrap, "gateway-it-monitors");
        MONITORS.add(publisher);
        Map<String, URI> probed = new LinkedHashMap<>();
        REGIONS.forEach(r -> probed.put(r, URI.create(config.regions().get(r).gateway().url())));
        for (String region : REGIONS) {
            MONITORS.add(Monitor.start(region, probed, config.health(), publisher::publish, Clock.systemUTC()));
        }
        await().alias("every region's watch sees every region UP").atMost(30, SECONDS).until(() -> WATCHES.values().stream()
                .allMatch(w -> w.states().values().stream().allMatch(h -> h == RegionHealth.UP)));
    }

    /** Every test starts from regions that serve, as every gateway sees them. */
    @BeforeEach
    void everyRegionServes() {
        await().alias("every gateway sees every region UP").atMost(60, SECONDS).pollInterval(Duration.ofMillis(250))
                .untilAsserted(() -> {
                    for (String region : REGIONS) {
                        for (JsonNode entry : json(get(region, "/outpost/v1/regions")).path("regions")) {
                            assertThat(entry.path("state").asText()).as(region + "'s view of " + entry.path("name").asText())
                                    .isEqualTo("UP");
                        }
                    }
                });
    }

    private static GatewaySettings gatewaySettings(String region) {
        return GatewaySettings.of(config, region).withHost("localhost").withRegionStates(WATCHES.get(region))
                .withTracing(TRACING);
    }

    @AfterAll
    static void stop() throws Exception {
        for (AutoCloseable monitor : MONITORS.reversed()) {
            monitor.close();
        }
        GATEWAYS.values().forEach(Gateway::close);
        WATCHES.values().forEach(RegionWatch::close);
        PROJECTORS.values().forEach(Projector::close);
        if (capture != null) {
            capture.close();
        }
        if (shop != null) {
            shop.close();
        }
        TRACING.close();
    }

    private static SourcePosition sourcePosition() throws Exception {
        try (Connection c = DriverManager.getConnection(shopUrl)) {
            return ConsistencyChecker.currentPosition(c);
        }
    }

    private static String gateway(String region) {
        return GATEWAYS.get(region).url();
    }

    @Test
    @DisplayName("/outpost/openapi.json is OpenAPI 3.1 that a real parser reads without a message: every route the "
            + "gateway serves is in it, the drop-in routes too, and every problem type is documented")
    void theOpenApiDescriptionHasEveryRouteAndProblemType() throws Exception {
        HttpResponse<String> described = get("eu-west", "/outpost/openapi.json");
        assertThat(described.statusCode()).isEqualTo(200);
        assertThat(described.headers().firstValue("Content-Type").orElseThrow()).startsWith("application/json");
        io.swagger.v3.parser.core.models.ParseOptions options = new io.swagger.v3.parser.core.models.ParseOptions();
        options.setResolve(true);
        options.setResolveFully(true); // $ref parameters inlined, as a client generator sees them
        io.swagger.v3.parser.core.models.SwaggerParseResult parsed = new io.swagger.v3.parser.OpenAPIV3Parser()
                .readContents(described.body(), null, options);
        assertThat(parsed.getMessages()).as("the parser's messages").isEmpty();
        io.swagger.v3.oas.models.OpenAPI api = parsed.getOpenAPI();
        assertThat(api.getOpenapi()).isEqualTo("3.1.0");

        List<io.outpost.gateway.internal.OpenApi.Route> served = GATEWAYS.get("eu-west").served();
        assertThat(served).extracting(io.outpost.gateway.internal.OpenApi.Route::path)
                .contains("/outpost/health", "/outpost/v1/views/{view}/{key}", "/outpost/v1/views/{view}", "/outpost/openapi.json")
                .containsAll(config.routes().stream().map(io.outpost.core.config.RouteConfig::path).toList());
        for (io.outpost.gateway.internal.OpenApi.Route route : served) {
            io.swagger.v3.oas.models.PathItem item = api.getPaths().get(route.path());
            assertThat(item).as(route.method() + " " + route.path()).isNotNull();
            assertThat(item.readOperationsMap()).as(route.method() + " " + route.path())
                    .containsKey(io.swagger.v3.oas.models.PathItem.HttpMethod.valueOf(route.method()));
        }
        assertThat(api.getPaths().get("/outpost/v1/views/{view}").getGet().getParameters())
                .extracting(io.swagger.v3.oas.models.parameters.Parameter::getName)
                .contains("view", "Outpost-Min-Token", "Outpost-Max-Staleness", "Outpost-Max-Wait", "limit", "after", "sort", "q");

        List<String> documented = new ArrayList<>();
        io.swagger.v3.oas.models.media.Schema<?> problemType = (io.swagger.v3.oas.models.media.Schema<?>) api.getComponents()
                .getSchemas().get("Problem").getProperties().get("type");
        for (io.swagger.v3.oas.models.media.Schema<?> kind : problemType.getOneOf()) {
            documented.add(String.valueOf(kind.getConst()));
        }
        for (io.outpost.gateway.internal.ProblemType type : io.outpost.gateway.internal.ProblemType.values()) {
            if (type == io.outpost.gateway.internal.ProblemType.HTTP) {
                io.outpost.gateway.internal.ProblemType.HTTP_STATUSES.forEach(status ->
                        assertThat(documented).contains("urn:outpost:problem:http-" + status));
            } else {
                assertThat(documented).contains("urn:outpost:problem:" + type.slug());
            }
        }
        for (String path : List.of("/outpost/v1/views/nope/1", "/outpost/v1/views/orders?limit=0", "/outpost/nothing")) {
            HttpResponse<String> problem = get("eu-west", path);
            assertThat(documented).as(path).contains(JSON.readTree(problem.body()).path("type").asText());
        }
    }

    @Test
    @DisplayName("a command is traced across regions: the caller's traceparent is the parent of eu-west's span, whose call "
            + "to us-east is the parent of us-east's span, whose call to the monolith ends the chain")
    void aCommandIsTracedAcrossRegionsToTheMonolith() throws Exception {
        String trace = "4bf92f3577b34da6a3ce929d0e0e4736";
        HttpResponse<String> placed = post("eu-west", "/orders", order(5, 6), "traceparent", "00-" + trace + "-00f067aa0ba902b7-01");
        assertThat(placed.statusCode()).as(placed.body()).isEqualTo(201);
        await().alias("the command's spans").atMost(10, SECONDS).untilAsserted(() -> {
            List<io.opentelemetry.sdk.trace.data.SpanData> spans = spansOf(trace);
            io.opentelemetry.sdk.trace.data.SpanData atEuWest = only(spans, "POST command", "eu-west");
            assertThat(atEuWest.getParentSpanId()).isEqualTo("00f067aa0ba902b7");
            assertThat(atEuWest.getKind()).isEqualTo(io.opentelemetry.api.trace.SpanKind.SERVER);
            io.opentelemetry.sdk.trace.data.SpanData hop = only(spans, "POST region us-east", "eu-west");
            assertThat(hop.getParentSpanId()).isEqualTo(atEuWest.getSpanId());
            assertThat(hop.getKind()).isEqualTo(io.opentelemetry.api.trace.SpanKind.CLIENT);
            io.opentelemetry.sdk.trace.data.SpanData atUsEast = only(spans, "POST command", "us-east");
            assertThat(atUsEast.getParentSpanId()).as("us-east's span continues eu-west's call").isEqualTo(hop.getSpanId());
            io.opentelemetry.sdk.trace.data.SpanData home = only(spans, "POST monolith", "us-east");
            assertThat(home.getParentSpanId()).isEqualTo(atUsEast.getSpanId());
            assertThat(home.getAttributes().get(io.opentelemetry.api.common.AttributeKey.longKey("http.response.status_code")))
                    .isEqualTo(201L);
        });
    }

    /** The spans of trace {@code trace} recorded so far. */
    private static List<io.opentelemetry.sdk.trace.data.SpanData> spansOf(String trace) {
        return SPANS.getFinishedSpanItems().stream().filter(s -> s.getTraceId().equals(trace)).toList();
    }

    /** The one span named {@code name} made by {@code region}'s gateway. */
    private static io.opentelemetry.sdk.trace.data.SpanData only(List<io.opentelemetry.sdk.trace.data.SpanData> spans,
                                                                 String name, String region) {
        List<io.opentelemetry.sdk.trace.data.SpanData> found = spans.stream().filter(s -> s.getName().equals(name)
                && region.equals(s.getAttributes().get(io.opentelemetry.api.common.AttributeKey.stringKey("outpost.region"))))
                .toList();
        assertThat(found).as(name + " at " + region + " among " + spans.stream().map(s -> s.getName() + "@"
                + s.getAttributes().get(io.opentelemetry.api.common.AttributeKey.stringKey("outpost.region"))).toList())
                .hasSize(1);
        return found.getFirst();
    }

    private static HttpResponse<String> get(String region, String path, String... headers) throws Exception {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(gateway(region) + path)).GET().timeout(Duration.ofSeconds(20));
        if (headers.length > 0) {
            request.headers(headers);
        }
        return HTTP.send(request.build(), HttpResponse.BodyHandlers.ofString());
    }

    private static HttpResponse<String> post(String region, String path, String body, String... headers) throws Exception {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(gateway(region) + path))
                .POST(HttpRequest.BodyPublishers.ofString(body)).header("Content-Type", "application/json")
                .timeout(Duration.ofSeconds(20));
        if (headers.length > 0) {
            request.headers(headers);
        }
        return HTTP.send(request.build(), HttpResponse.BodyHandlers.ofString());
    }

    private static String order(long customer, long product) {
        return "{\"customer_id\": " + customer + ", \"lines\": [{\"product_id\": " + product + ", \"qty\": 1}]}";
    }

    private static JsonNode json(HttpResponse<String> response) throws IOException {
        return JSON.readTree(response.body());
    }

    private static void assertProblem(HttpResponse<String> response, int status, String type) throws IOException {
        assertThat(response.statusCode()).as(response.body()).isEqualTo(status);
        assertThat(response.headers().firstValue("Content-Type")).hasValueSatisfying(
                value -> assertThat(value).startsWith("application/problem+json"));
        JsonNode problem = json(response);
        assertThat(problem.path("type").asText()).isEqualTo("urn:outpost:problem:" + type);
        assertThat(problem.path("status").asInt()).isEqualTo(status);
        assertThat(problem.path("detail").asText()).isNotBlank();
    }

    @Test
    void anOrderPlacedThroughASecondaryRegionIsReadWithItsTokenFromEveryRegion() throws Exception {
        HttpResponse<String> placed = post("eu-west", "/orders", order(3, 4));
        assertThat(placed.statusCode()).as(placed.body()).isEqualTo(201);
        long id = json(placed).path("id").asLong();
        String token = placed.headers().firstValue("Outpost-Token").orElseThrow();
        assertThat(ConsistencyToken.decode(token).source()).isEqualTo("shop");
        for (String region : REGIONS) {
            HttpResponse<String> read = get(region, "/orders/" + id, "Outpost-Min-Token", token);
            assertThat(read.statusCode()).as(region + ": " + read.body()).isEqualTo(200);
            assertThat(json(read).path("id").asLong()).isEqualTo(id);
            assertThat(json(read).path("lines").size()).isEqualTo(1);
            SourcePosition watermark = ConsistencyToken.decode(read.headers().firstValue("Outpost-Watermark").orElseThrow()).position();
            assertThat(watermark.isAfter(ConsistencyToken.decode(token).position())
                    || watermark.equals(ConsistencyToken.decode(token).position())).isTrue();
            assertThat(read.headers().firstValue("Outpost-Staleness-Ms")).isPresent();
            HttpResponse<String> nativeRead = get(region, "/outpost/v1/views/orders/" + id, "Outpost-Min-Token", token);
            assertThat(nativeRead.statusCode()).isEqualTo(200);
            assertThat(json(nativeRead)).isEqualTo(json(read));
        }
    }

    @Test
    void listsFilterSortAndPageLikeTheSource() throws Exception {
        String token = post("us-east", "/orders", order(2, 7)).headers().firstValue("Outpost-Token").orElseThrow();
        List<Long> expected = new ArrayList<>();
        try (Connection c = DriverManager.getConnection(shopUrl); Statement s = c.createStatement();
             ResultSet rs = s.executeQuery("SELECT id FROM orders WHERE customer_id = 2 ORDER BY placed_at DESC, id DESC")) {
            while (rs.next()) {
                expected.add(rs.getLong(1));
            }
        }
        List<Long> listed = new ArrayList<>();
        String path = "/outpost/v1/views/orders?customer.id=2&sort=-placed_at&limit=2";
        for (int pages = 0; path != null; pages++) {
            HttpResponse<String> page = get("ap-south", path, "Outpost-Min-Token", token);
            assertThat(page.statusCode()).as(page.body()).isEqualTo(200);
            json(page).path("items").forEach(item -> listed.add(item.path("id").asLong()));
            JsonNode next = json(page).path("next");
            path = next.isNull() ? null : "/outpost/v1/views/orders?customer.id=2&sort=-placed_at&limit=2&after="
                    + URLEncoder.encode(next.asText(), StandardCharsets.UTF_8);
            assertThat(pages).isLessThan(100);
        }
        assertThat(listed).containsExactlyElementsOf(expected);

        HttpResponse<String> paid = get("eu-west", "/outpost/v1/views/orders?status=PLACED&status=PAID&limit=100",
                "Outpost-Min-Token", token);
        assertThat(json(paid).path("items")).allSatisfy(item -> assertThat(item.path("status").asText()).isIn("PLACED", "PAID"));
        HttpResponse<String> cheap = get("eu-west", "/outpost/v1/views/products?price.lt=20&sort=price&limit=100");
        List<Double> prices = new ArrayList<>();
        json(cheap).path("items").forEach(item -> prices.add(item.path("price").asDouble()));
        assertThat(prices).allSatisfy(price -> assertThat(price).isLessThan(20)).isSorted();
        String name;
        try (Connection c = DriverManager.getConnection(shopUrl); Statement s = c.createStatement();
             ResultSet rs = s.executeQuery("SELECT name FROM customers WHERE id = 2")) {
            rs.next();
            name = rs.getString(1);
        }
        HttpResponse<String> found = get("us-east", "/outpost/v1/views/customer_orders?q="
                + URLEncoder.encode(name.split(" ")[0], StandardCharsets.UTF_8) + "&limit=100", "Outpost-Min-Token", token);
        assertThat(json(found).path("items")).anySatisfy(item -> assertThat(item.path("id").asLong()).isEqualTo(2));
    }

    @Test
    void badRequestsGetProblemsAndInjectionIsAPlainValue() throws Exception {
        assertProblem(get("us-east", "/outpost/v1/views/orders?" + URLEncoder.encode("status\"; DROP TABLE x; --", StandardCharsets.UTF_8)
                + "=1"), 400, "unknown-filter");
        HttpResponse<String> injected = get("us-east", "/outpost/v1/views/orders?status="
                + URLEncoder.encode("PAID' OR '1'='1", StandardCharsets.UTF_8));
        assertThat(injected.statusCode()).isEqualTo(200);
        assertThat(json(injected).path("items")).isEmpty();
        assertProblem(get("us-east", "/outpost/v1/views/orders?sort=" + URLEncoder.encode("placed_at; DROP TABLE x", StandardCharsets.UTF_8)),
                400, "unknown-sort");
        assertProblem(get("us-east", "/outpost/v1/views/orders?after=bm90LWEtY3Vyc29y"), 400, "invalid-cursor");
        assertProblem(get("us-east", "/outpost/v1/views/orders?limit=1000"), 400, "invalid-limit");
        assertProblem(get("us-east", "/outpost/v1/views/nothing/1"), 404, "unknown-view");
        assertProblem(get("us-east", "/orders/abc"), 400, "invalid-value");
        assertProblem(get("us-east", "/orders/999999999"), 404, "not-found");
        assertProblem(get("us-east", "/orders/1", "Outpost-Min-Token", "garbage"), 400, "invalid-token");
        assertProblem(get("us-east", "/orders/1", "Outpost-Max-Staleness", "-5"), 400, "invalid-header");
        assertProblem(get("us-east", "/outpost/v1/views/customer_orders?customer.id=1"), 400, "unknown-filter");
        assertProblem(get("us-east", "/outpost/v1/views/orders?q=x&" + "placed_at.between=1"), 400, "unknown-filter");
        assertProblem(get("us-east", "/orders/1", "X-Padding", "x".repeat(20_000)), 431, "http-431");
        assertProblem(post("us-east", "/orders", order(1, 1), "Outpost-Hops", "9"), 508, "too-many-hops");
        assertProblem(post("us-east", "/orders", "{\"pad\": \"" + "x".repeat(2 << 20) + "\"}"), 413, "http-413");
        try (Connection c = DriverManager.getConnection(config.regions().get("us-east").store().url()); Statement s = c.createStatement();
             ResultSet rs = s.executeQuery("SELECT count(*) FROM views.orders")) {
            rs.next();
            assertThat(rs.getLong(1)).as("the orders view survived").isPositive();
        }
    }

    @Test
    void aTokenNoRegionHasReachedIsRefusedNeverAnsweredWithOlderData() throws Exception {
        SourcePosition ahead = SourcePosition.ofLsn(sourcePosition().lsn() + (1L << 40));
        String token = new ConsistencyToken("shop", ahead).encode();
        HttpResponse<String> refused = get("eu-west", "/orders/1", "Outpost-Min-Token", token, "Outpost-Max-Wait", "300");
        assertProblem(refused, 503, "not-caught-up");
        assertThat(refused.headers().firstValue("Retry-After")).isPresent();
        assertThat(json(refused).path("watermark").asText()).isNotBlank();

        HttpResponse<String> fresh = get("ap-south", "/orders/1", "Outpost-Max-Staleness", "5000");
        assertThat(fresh.statusCode()).as(fresh.body()).isEqualTo(200);
        assertThat(Long.parseLong(fresh.headers().firstValue("Outpost-Staleness-Ms").orElseThrow())).isLessThanOrEqualTo(5000);
        assertProblem(get("ap-south", "/orders/1", "Outpost-Max-Staleness", "0", "Outpost-Max-Wait", "0"), 503, "not-caught-up");
    }

    @Test
    void aHundredConcurrentClientsReadTheirOwnOrdersInAnyRegion() throws Exception {
        ConcurrentLinkedQueue<String> misses = new ConcurrentLinkedQueue<>();
        try (var clients = Executors.newVirtualThreadPerTaskExecutor()) {
            for (int i = 0; i < 100; i++) {
                int client = i;
                clients.submit(() -> {
                    try {
                        String via = REGIONS.get(ThreadLocalRandom.current().nextInt(REGIONS.size()));
                        String from = REGIONS.get(ThreadLocalRandom.current().nextInt(REGIONS.size()));
                        HttpResponse<String> placed = post(via, "/orders", order(1 + client % 20, 1 + client % 30));
                        // a command the gateways refused unsent (the monolith's bulkhead was full for over a
                        // second: a hundred commands at once on two cores) is retried, as the answer says
                        for (int retry = 0; retry < 5 && placed.statusCode() == 503
                                && placed.headers().firstValue("Outpost-Not-Dispatched").isPresent(); retry++) {
                            Thread.sleep(200L * (retry + 1));
                            placed = post(via, "/orders", order(1 + client % 20, 1 + client % 30));
                        }
                        if (placed.statusCode() != 201) {
                            misses.add("client " + client + ": placing via " + via + " answered " + placed.statusCode() + " "
                                    + placed.body());
                            return null;
                        }
                        long id = json(placed).path("id").asLong();
                        HttpResponse<String> read = get(from, "/orders/" + id, "Outpost-Min-Token",
                                placed.headers().firstValue("Outpost-Token").orElseThrow(), "Outpost-Max-Wait", "10000");
                        if (read.statusCode() != 200 || json(read).path("id").asLong() != id) {
                            misses.add("client " + client + ": order " + id + " read from " + from + " answered "
                                    + read.statusCode() + " " + read.body());
                        }
                    } catch (Exception e) {
                        misses.add("client " + client + ": " + e);
                    }
                    return null;
                });
            }
        }
        assertThat(misses).isEmpty();
    }

    @Test
    void aRetriedIdempotentCommandThroughAnotherRegionIsAnsweredOnceAndAppliedOnce() throws Exception {
        long before = orderCount();
        String key = "gateway-it-" + System.nanoTime();
        HttpResponse<String> first = post("eu-west", "/orders", order(5, 6), "Idempotency-Key", key);
        assertThat(first.statusCode()).as(first.body()).isEqualTo(201);
        HttpResponse<String> retried = post("ap-south", "/orders", order(5, 6), "Idempotency-Key", key);
        assertThat(retried.statusCode()).isEqualTo(201);
        assertThat(retried.headers().firstValue("Outpost-Idempotent-Replay")).hasValue("true");
        assertThat(json(retried)).isEqualTo(json(first));
        assertThat(retried.headers().firstValue("Outpost-Token")).isEqualTo(first.headers().firstValue("Outpost-Token"));
        assertThat(orderCount()).isEqualTo(before + 1);

        assertProblem(post("us-east", "/orders", order(5, 7), "Idempotency-Key", key), 422, "idempotency-key-reused");
        assertProblem(post("us-east", "/orders", order(5, 6), "Idempotency-Key", ""), 400, "invalid-header");

        // a key whose first attempt is still being processed (claimed moments ago by another dispatcher)
        String inFlight = "gateway-it-in-flight-" + System.nanoTime();
        try (Connection c = DriverManager.getConnection(shopUrl);
             java.sql.PreparedStatement s = c.prepareStatement("INSERT INTO outpost.idempotency (key, request_hash, state, "
                     + "claimed_by) VALUES (?, ?, 'IN_FLIGHT', 'gateway elsewhere')")) {
            s.setString(1, inFlight);
            s.setString(2, io.outpost.source.IdempotencyLedger.requestHash("POST", "/orders",
                    order(5, 6).getBytes(StandardCharsets.UTF_8)));
            s.executeUpdate();
        }
        HttpResponse<String> conflict = post("eu-west", "/orders", order(5, 6), "Idempotency-Key", inFlight);
        assertProblem(conflict, 409, "command-in-flight");
        assertThat(conflict.headers().firstValue("Retry-After")).isPresent();
        assertThat(orderCount()).isEqualTo(before + 1);
    }

    @Test
    @DisplayName("a command's answer carries the monolith's headers once each, Date included, at home, through a secondary and replayed")
    void aCommandsAnswerCarriesEachHeaderOnce() throws Exception {
        String key = "gateway-it-headers-" + System.nanoTime();
        for (HttpResponse<String> answer : List.of(post("us-east", "/orders", order(4, 5)),
                post("eu-west", "/orders", order(4, 5), "Idempotency-Key", key),
                post("ap-south", "/orders", order(4, 5), "Idempotency-Key", key))) {
            assertThat(answer.statusCode()).as(answer.body()).isEqualTo(201);
            for (String name : List.of("date", "content-type", "location", "outpost-token")) {
                assertThat(answer.headers().allValues(name)).as(name + " of " + answer.headers().map()).hasSize(1);
            }
            assertThat(answer.headers().map().keySet()).doesNotContain("transfer-encoding", "keep-alive");
        }
    }

    private static long orderCount() throws Exception {
        try (Connection c = DriverManager.getConnection(shopUrl); Statement s = c.createStatement();
             ResultSet rs = s.executeQuery("SELECT count(*) FROM orders")) {
            rs.next();
            return rs.getLong(1);
        }
    }

    @Test
    void withTheShopDownQueriesAreAnsweredCommandsFailFastAndTheBreakerOpensThenCloses() throws Exception {
        shop.close();
        try {
            for (String region : REGIONS) {
                assertThat(get(region, "/orders/1").statusCode()).as(region + " answers queries").isEqualTo(200);
            }
            for (int i = 0; i < 12; i++) { // the last 20 calls were successes: 10 failures make 50 %
                HttpResponse<String> refused = post("us-east", "/orders", order(1, 1));
                assertProblem(refused, 503, "no-route");
                assertThat(refused.headers().firstValue("Retry-After")).isPresent();
            }
            assertThat(json(get("us-east", "/outpost/v1/status")).path("command_targets").path("monolith").asText()).isEqualTo("open");
            assertProblem(post("ap-south", "/orders", order(1, 1)), 503, "no-route");
        } finally {
            shop = ShopServer.start(shopSettings);
        }
        await().alias("the monolith's breaker closed again").atMost(30, SECONDS).pollInterval(Duration.ofMillis(500))
                .until(() -> post("us-east", "/orders", order(1, 2)).statusCode() == 201);
        await().alias("the breaker reports closed").atMost(30, SECONDS).pollInterval(Duration.ofMillis(500))
                .until(() -> {
                    post("us-east", "/orders", order(1, 2));
                    return json(get("us-east", "/outpost/v1/status")).path("command_targets").path("monolith").asText()
                            .equals("closed");
                });
        assertThat(json(get("us-east", "/outpost/health")).path("status").asText()).isEqualTo("UP");
        assertThat(get("us-east", "/outpost/ready").statusCode()).isEqualTo(200);
    }

    @Test
    void metricsCountRequestsPerRouteTemplateAndShowStalenessAndBreakers() throws Exception {
        get("eu-west", "/orders/1");
        get("eu-west", "/orders/2");
        HttpResponse<String> metrics = get("eu-west", "/outpost/metrics");
        assertThat(metrics.statusCode()).isEqualTo(200);
        assertThat(metrics.body())
                .containsPattern("outpost_http_requests_seconds_count\\{method=\"GET\",region=\"eu-west\",route=\"/orders/\\{id}\",status=\"200\"} [0-9.]+")
                .contains("outpost_http_requests_seconds_bucket{")
                .containsPattern("outpost_watermark_staleness_seconds\\{region=\"eu-west\"} [0-9.]+")
                .contains("outpost_watermark_connected{region=\"eu-west\"} 1")
                .contains("resilience4j_circuitbreaker_state{name=\"us-east\",region=\"eu-west\",state=\"closed\"} 1.0")
                .containsPattern("resilience4j_bulkhead_available_concurrent_calls\\{name=\"us-east\",region=\"eu-west\"} [0-9.]+")
                .doesNotContain("route=\"/orders/1\"");
        assertThat(get("us-east", "/outpost/metrics").body())
                .contains("resilience4j_circuitbreaker_state{name=\"monolith\",region=\"us-east\",state=\"closed\"} 1.0");
    }

    @Test
    void aRegionThatHasNotCaughtUpForwardsTheQueryToOneThatHas() throws Exception {
        PROJECTORS.remove("ap-south").close(); // ap-south stops applying: its watermark stays where it is
        try {
            HttpResponse<String> placed = post("us-east", "/orders", order(7, 9));
            assertThat(placed.statusCode()).isEqualTo(201);
            long id = json(placed).path("id").asLong();
            String token = placed.headers().firstValue("Outpost-Token").orElseThrow();
            String trace = "5bf92f3577b34da6a3ce929d0e0e4736";
            HttpResponse<String> read = get("ap-south", "/orders/" + id, "Outpost-Min-Token", token, "Outpost-Max-Wait", "300",
                    "traceparent", "00-" + trace + "-00f067aa0ba902b7-01");
            assertThat(read.statusCode()).as(read.body()).isEqualTo(200);
            // traced: ap-south's server span (the caller's parent), its call to the region that had it, that region's span
            await().alias("the forwarded query's spans").atMost(10, SECONDS).untilAsserted(() -> {
                List<io.opentelemetry.sdk.trace.data.SpanData> spans = spansOf(trace);
                io.opentelemetry.sdk.trace.data.SpanData server = only(spans, "GET /orders/{id}", "ap-south");
                assertThat(server.getParentSpanId()).isEqualTo("00f067aa0ba902b7");
                io.opentelemetry.sdk.trace.data.SpanData call = spans.stream()
                        .filter(s -> s.getName().startsWith("GET region ") && s.getParentSpanId().equals(server.getSpanId()))
                        .filter(s -> s.getAttributes().get(io.opentelemetry.api.common.AttributeKey.longKey(
                                "http.response.status_code")) == 200L).findFirst().orElseThrow();
                String answeredBy = call.getName().substring("GET region ".length());
                assertThat(only(spans, "GET /orders/{id}", answeredBy).getParentSpanId()).isEqualTo(call.getSpanId());
            });
            assertThat(json(read).path("id").asLong()).isEqualTo(id);
            assertThat(read.headers().firstValue("Outpost-Region")).hasValueSatisfying(
                    region -> assertThat(region).isIn("us-east", "eu-west"));
            HttpResponse<String> local = get("ap-south", "/orders/" + id);
            assertThat(local.statusCode()).as("without a token ap-south answers from what it has").isEqualTo(404);
            assertThat(local.headers().firstValue("Outpost-Region")).hasValue("ap-south");
        } finally {
            PROJECTORS.put("ap-south", Projector.start(ProjectorSettings.of(config, "ap-south")));
        }
    }

    @Test
    void aCachedDocumentIsNeverServedPastAChangeThatTheRegionHasApplied() throws Exception {
        HttpResponse<String> placed = post("us-east", "/orders", order(8, 3));
        long id = json(placed).path("id").asLong();
        String placedToken = placed.headers().firstValue("Outpost-Token").orElseThrow();
        for (int i = 0; i < 3; i++) { // read, and read again: the second may come from the gateway's cache
            assertThat(json(get("eu-west", "/orders/" + id, "Outpost-Min-Token", placedToken)).path("status").asText())
                    .isEqualTo("PLACED");
        }
        HttpResponse<String> paid = post("us-east", "/orders/" + id + "/pay", "");
        assertThat(paid.statusCode()).as(paid.body()).isEqualTo(200);
        String paidToken = paid.headers().firstValue("Outpost-Token").orElseThrow();
        assertThat(json(get("eu-west", "/orders/" + id, "Outpost-Min-Token", paidToken)).path("status").asText()).isEqualTo("PAID");
        // without a token too, once eu-west's watermark is past the payment
        await().alias("eu-west serves the paid order").atMost(10, SECONDS).pollInterval(Duration.ofMillis(50))
                .until(() -> json(get("eu-west", "/orders/" + id)).path("status").asText().equals("PAID"));
        for (int i = 0; i < 20; i++) {
            HttpResponse<String> read = get("eu-west", "/orders/" + id);
            assertThat(json(read).path("status").asText()).as("never back to an older answer").isEqualTo("PAID");
        }
    }

    @Test
    @DisplayName("a home region its monitors find DOWN is routed around: commands go through the backup route, saying "
            + "which route served them, and come back to the home route once it is UP again (failback)")
    void aRegionTheMonitorsFindDownIsRoutedAroundAndComesBack() throws Exception {
        HttpResponse<String> home = post("eu-west", "/orders", order(1, 1));
        assertThat(home.statusCode()).as(home.body()).isEqualTo(201);
        assertThat(home.headers().firstValue("Outpost-Route")).as("eu-west has no link: us-east's sent it").hasValue("us-east");
        // every gateway sees every region UP (everyRegionServes) when the home region's gateway goes away
        GATEWAYS.remove("us-east").close();
        try {
            await().alias("ap-south and eu-west see us-east DOWN and force its breaker open").atMost(30, SECONDS)
                    .pollInterval(Duration.ofMillis(250)).untilAsserted(() -> {
                        for (String region : List.of("ap-south", "eu-west")) {
                            JsonNode regions = json(get(region, "/outpost/v1/regions")).path("regions");
                            assertThat(regions.get(0).path("name").asText()).isEqualTo("us-east");
                            assertThat(regions.get(0).path("state").asText()).isEqualTo("DOWN");
                            assertThat(json(get(region, "/outpost/v1/status")).path("command_targets").path("us-east").asText())
                                    .isEqualTo("forced_open");
                        }
                    });
            assertThat(get("eu-west", "/orders/1").statusCode()).as("eu-west answers queries").isEqualTo(200);
            HttpResponse<String> backup = post("eu-west", "/orders", order(1, 2), "Idempotency-Key", "failover-" + System.nanoTime());
            assertThat(backup.statusCode()).as(backup.body()).isEqualTo(201);
            assertThat(backup.headers().firstValue("Outpost-Route")).as("the backup route").hasValue("ap-south");
            assertThat(backup.headers().firstValue("Outpost-Token")).as("the backup writes the fence").isPresent();
            assertThat(get("eu-west", "/outpost/metrics").body())
                    .contains("outpost_region_state{of=\"us-east\",region=\"eu-west\"} 2.0");
        } finally {
            GATEWAYS.put("us-east", Gateway.start(gatewaySettings("us-east")));
        }
        await().alias("us-east UP again by majority: eu-west's commands go home again").atMost(30, SECONDS)
                .pollInterval(Duration.ofMillis(500)).untilAsserted(() -> {
                    HttpResponse<String> placed = post("eu-west", "/orders", order(1, 2));
                    assertThat(placed.statusCode()).as(placed.body()).isEqualTo(201);
                    assertThat(placed.headers().firstValue("Outpost-Route")).hasValue("us-east");
                });
        assertThat(json(get("eu-west", "/outpost/v1/status")).path("command_targets").path("us-east").asText())
                .isEqualTo("closed");
        assertThat(WATCHES.get("eu-west").alarmsRaised()).as("us-east down, then up again").isGreaterThanOrEqualTo(2);
    }

    @Test
    @DisplayName("an operator drains the home region: commands go through the backup, its own link included, reads go "
            + "on there, every gateway shows it; undrained, commands go home again")
    void aDrainedRegionTakesNoCommandsButServesReads() throws Exception {
        try (RegionStateTopic.Publisher operator = RegionStateTopic.Publisher.open(config.log().access(), "gateway-it-operator")) {
            operator.publish(new Drain("us-east", true, Instant.now(), "ops@gateway-it", "maintenance"));
            try {
                await().alias("every gateway shows us-east drained").atMost(10, SECONDS).pollInterval(Duration.ofMillis(100))
                        .untilAsserted(() -> {
                            for (String region : REGIONS) {
                                JsonNode first = json(get(region, "/outpost/v1/regions")).path("regions").get(0);
                                assertThat(first.path("name").asText()).isEqualTo("us-east");
                                assertThat(first.path("drained").asBoolean()).as(region).isTrue();
                            }
                        });
                for (String region : List.of("eu-west", "us-east")) {
                    HttpResponse<String> placed = post(region, "/orders", order(2, 3));
                    assertThat(placed.statusCode()).as(region + ": " + placed.body()).isEqualTo(201);
                    assertThat(placed.headers().firstValue("Outpost-Route")).as("sent through " + region)
                            .hasValue("ap-south");
                }
                assertThat(get("us-east", "/orders/1").statusCode()).as("a drained region answers queries").isEqualTo(200);
            } finally {
                operator.publish(new Drain("us-east", false, Instant.now(), "ops@gateway-it", ""));
            }
        }
        await().alias("undrained: commands go home again").atMost(10, SECONDS).pollInterval(Duration.ofMillis(100))
                .untilAsserted(() -> assertThat(post("eu-west", "/orders", order(2, 3)).headers().firstValue("Outpost-Route"))
                        .hasValue("us-east"));
    }

    @Test
    @DisplayName("health names the configuration a region runs, and a region far behind the source is DEGRADED, saying why")
    void healthNamesTheConfigurationAndALaggingRegionIsDegraded() throws Exception {
        JsonNode health = json(get("eu-west", "/outpost/health"));
        assertThat(health.path("status").asText()).isEqualTo("UP");
        assertThat(health.path("reasons").size()).isZero();
        assertThat(health.path("config_hash").asText()).isEqualTo(config.hash());
        await().alias("ap-south sees every region's configuration hash").atMost(30, SECONDS).untilAsserted(() -> {
            for (JsonNode region : json(get("ap-south", "/outpost/v1/regions")).path("regions")) {
                assertThat(region.path("config_hash").asText()).as(region.path("name").asText()).isEqualTo(config.hash());
            }
        });

        // a gateway whose clock is a minute ahead sees its watermark a minute old: more than health.max-lag
        Clock ahead = Clock.offset(Clock.systemUTC(), Duration.ofSeconds(60));
        try (Gateway lagging = Gateway.start(new GatewaySettings(config, config.regions().get("eu-west"), "localhost", 0,
                ahead, io.outpost.core.region.RegionStateFeed.none(), java.util.Optional.empty(), java.util.Optional.empty()))) {
            URI lagHealth = URI.create(lagging.url() + "/outpost/health");
            // DOWN (503) for the moment its watermark watcher takes to connect and read the watermark
            await().alias("the new gateway read its region's watermark").atMost(30, SECONDS).pollInterval(Duration.ofMillis(100))
                    .until(() -> HTTP.send(HttpRequest.newBuilder(lagHealth).GET().build(),
                            HttpResponse.BodyHandlers.ofString()).statusCode() != 503);
            HttpResponse<String> answer = HTTP.send(HttpRequest.newBuilder(lagHealth).GET().build(),
                    HttpResponse.BodyHandlers.ofString());
            assertThat(answer.statusCode()).as("it still serves").isEqualTo(200);
            JsonNode degraded = json(answer);
            assertThat(degraded.path("status").asText()).isEqualTo("DEGRADED");
            assertThat(degraded.path("reasons").get(0).asText()).matches("\\d+ s behind the source \\(more than health.max-lag, 30 s\\)");
        }
    }
}

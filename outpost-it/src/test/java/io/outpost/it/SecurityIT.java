package io.outpost.it;

import static java.util.concurrent.TimeUnit.SECONDS;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.crypto.RSASSASigner;
import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jose.jwk.RSAKey;
import com.nimbusds.jose.jwk.gen.RSAKeyGenerator;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;
import com.sun.net.httpserver.HttpServer;
import io.outpost.capture.Capture;
import io.outpost.capture.CaptureSettings;
import io.outpost.core.SourcePosition;
import io.outpost.core.config.OutpostConfig;
import io.outpost.embedded.EmbeddedPostgres;
import io.outpost.embedded.Ports;
import io.outpost.examples.shop.ShopAuth;
import io.outpost.examples.shop.ShopData;
import io.outpost.examples.shop.ShopServer;
import io.outpost.gateway.Gateway;
import io.outpost.gateway.GatewaySettings;
import io.outpost.it.harness.ConsistencyChecker;
import io.outpost.it.harness.ExampleConfig;
import io.outpost.projector.Projector;
import io.outpost.projector.ProjectorSettings;
import java.io.IOException;
import java.net.InetSocketAddress;
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
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Date;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Guarantee 8 with the example shop behind two regions (us-east reaches the monolith, eu-west does
 * not), authentication on and the read rules of the README: a customer sees its own orders and
 * nothing of the others' on every read path — by key (missing, hidden, or cached by the owner's
 * read alike), lists, search, filters, sort, cursors, drop-in routes, queries forwarded to the other
 * region — while staff see everything, and Outpost's own endpoints need the admin scope. Tokens are
 * signed here by a key whose JWKS a test HTTP server serves on port 0.
 */
class SecurityIT {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final List<String> REGIONS = List.of("us-east", "eu-west");
    private static final String ISSUER = "https://idp.test/";
    private static final String SERVICE_TOKEN = "service-token-of-the-security-it-0123456789";
    private static final String READ_RULES_ORDERS = """
                read:
                  - { scope: "orders:read:all" }
                  - { scope: "orders:read", rows: { customer.id: "{claims.sub}" } }
            """;
    private static final String READ_RULES_CUSTOMERS = """
                read:
                  - { scope: "orders:read:all" }
                  - { scope: "support", hide: [email] }
                  - { scope: "orders:read", rows: { id: "{claims.sub}" } }
            """;

    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    private static RSAKey key;
    private static HttpServer jwks;
    private static ShopServer shop;
    private static String shopUrl;
    private static OutpostConfig config;
    private static Capture capture;
    private static final Map<String, Projector> PROJECTORS = new LinkedHashMap<>();
    private static final Map<String, Gateway> GATEWAYS = new LinkedHashMap<>();
    private static long alicesOrder;
    private static long bobsOrder;
    private static int alicesOrders;
    private static int allOrders;
    private static String bobsName;

    /** The example configuration with authentication on and read rules on its views. */
    static String securedConfig(String text, String jwksUrl) {
        return text
                .replace("auth:\n  mode: none\n", "auth:\n  mode: jwt\n  service-token: \"" + SERVICE_TOKEN + "\"\n"
                        + "  cursor-keys: [\"cursor-key-of-the-security-it-0123456789\"]\n"
                        + "  jwt: { jwks-url: \"" + jwksUrl + "\", issuer: \"" + ISSUER + "\", audience: shop }\n")
                .replace("    fields: [status, customer.id, placed_at]\n    search: [customer.name]\n",
                        "    fields: [status, customer.id, placed_at]\n    search: [customer.name]\n" + READ_RULES_ORDERS)
                .replace("    fields: [price, stock]\n    search: [name]\n", "    fields: [price, stock]\n    search: [name]\n"
                        + "    read: public\n")
                .replace("      orders: customer_id\n    search: [name]\n", "      orders: customer_id\n    search: [name]\n"
                        + READ_RULES_CUSTOMERS);
    }

    @BeforeAll
    static void start() throws Exception {
        key = new RSAKeyGenerator(2048).keyID("it-1").generate();
        jwks = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        byte[] keys = new JWKSet(key.toPublicJWK()).toString(false).getBytes(StandardCharsets.UTF_8);
        jwks.createContext("/jwks.json", exchange -> {
            exchange.sendResponseHeaders(200, keys.length);
            exchange.getResponseBody().write(keys);
            exchange.close();
        });
        jwks.start();

        shopUrl = EmbeddedPostgres.shared().createDatabase("security_it");
        // the shop checks the same tokens itself: it is the authority for commands and its own reads
        shop = ShopServer.start(new ShopServer.Settings(shopUrl, EmbeddedPostgres.SUPERUSER, "", "localhost", Ports.free())
                .withAuth(new ShopAuth(new JWKSet(key.toPublicJWK()), ISSUER, "shop")));
        ShopData.seed(shop.dataSource(), 6, 10, 60, 8);
        Map<String, String> addresses = ProjectionIT.addresses("security_it", shopUrl);
        addresses.put("SHOP_URL", shop.url());
        for (String region : List.of("us-east", "eu-west", "ap-south")) {
            addresses.put("GATEWAY_" + region.replace('-', '_').toUpperCase(java.util.Locale.ROOT) + "_URL",
                    "http://localhost:" + Ports.free());
        }
        String text = securedConfig(ExampleConfig.render("security_it", addresses),
                "http://127.0.0.1:" + jwks.getAddress().getPort() + "/jwks.json");
        config = OutpostConfig.parse(text, name -> null);
        assertThat(config.views().get("orders").read().isPublic()).as("the rules are in").isFalse();

        try (Connection c = DriverManager.getConnection(shopUrl); Statement s = c.createStatement()) {
            alicesOrder = one(s, "SELECT min(id) FROM orders WHERE customer_id = 1");
            bobsOrder = one(s, "SELECT min(id) FROM orders WHERE customer_id = 2");
            alicesOrders = (int) one(s, "SELECT count(*) FROM orders WHERE customer_id = 1");
            allOrders = (int) one(s, "SELECT count(*) FROM orders");
            try (ResultSet rs = s.executeQuery("SELECT name FROM customers WHERE id = 2")) {
                rs.next();
                bobsName = rs.getString(1);
            }
        }
        assertThat(alicesOrders).as("the seed gives customer 1 several orders").isGreaterThan(3);
        capture = Capture.start(CaptureSettings.of(config));
        for (String region : REGIONS) {
            PROJECTORS.put(region, Projector.start(ProjectorSettings.of(config, region)));
            GATEWAYS.put(region, Gateway.start(GatewaySettings.of(config, region).withHost("localhost")));
        }
        SourcePosition position;
        try (Connection c = DriverManager.getConnection(shopUrl)) {
            position = ConsistencyChecker.currentPosition(c);
        }
        for (String region : REGIONS) {
            await().alias("region " + region + " reached " + position).atMost(120, SECONDS)
                    .until(() -> ProjectionIT.watermark(config, region).map(w -> !position.isAfter(w.position())).orElse(false));
        }
    }

    @AfterAll
    static void stop() {
        GATEWAYS.values().forEach(Gateway::close);
        PROJECTORS.values().forEach(Projector::close);
        if (capture != null) {
            capture.close();
        }
        if (shop != null) {
            shop.close();
        }
        if (jwks != null) {
            jwks.stop(0);
        }
    }

    private static long one(Statement s, String sql) throws Exception {
        try (ResultSet rs = s.executeQuery(sql)) {
            rs.next();
            return rs.getLong(1);
        }
    }

    private static String token(Object subject, String scope) throws JOSEException {
        JWTClaimsSet.Builder claims = new JWTClaimsSet.Builder().issuer(ISSUER).audience("shop")
                .expirationTime(Date.from(Instant.now().plusSeconds(600))).claim("sub", subject);
        if (scope != null) {
            claims.claim("scope", scope);
        }
        SignedJWT jwt = new SignedJWT(new JWSHeader.Builder(JWSAlgorithm.RS256).keyID(key.getKeyID()).build(), claims.build());
        jwt.sign(new RSASSASigner(key));
        return "Bearer " + jwt.serialize();
    }

    private static String alice() throws JOSEException {
        return token("1", "orders:read");
    }

    private static String bob() throws JOSEException {
        return token("2", "orders:read");
    }

    private static HttpResponse<String> get(String region, String path, String... headers) throws Exception {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(GATEWAYS.get(region).url() + path)).GET()
                .timeout(Duration.ofSeconds(20));
        if (headers.length > 0) {
            request.headers(headers);
        }
        return HTTP.send(request.build(), HttpResponse.BodyHandlers.ofString());
    }

    private static JsonNode json(HttpResponse<String> response) throws IOException {
        return JSON.readTree(response.body());
    }

    /** Every page of a listing, following its cursors. */
    private static List<JsonNode> everyPage(String region, String path, String authorization) throws Exception {
        List<JsonNode> items = new ArrayList<>();
        String after = null;
        do {
            String url = path + (path.contains("?") ? "&" : "?") + "limit=4"
                    + (after == null ? "" : "&after=" + URLEncoder.encode(after, StandardCharsets.UTF_8));
            HttpResponse<String> page = get(region, url, "Authorization", authorization);
            assertThat(page.statusCode()).as(page.body()).isEqualTo(200);
            json(page).path("items").forEach(items::add);
            after = json(page).path("next").isNull() ? null : json(page).path("next").asText();
        } while (after != null);
        return items;
    }

    @Test
    void aCustomerReadsItsOwnOrderAndAnotherCustomersIsAnswerIdenticallyToAMissingOne() throws Exception {
        for (String region : REGIONS) {
            HttpResponse<String> own = get(region, "/orders/" + alicesOrder, "Authorization", alice());
            assertThat(own.statusCode()).as(own.body()).isEqualTo(200);
            assertThat(json(own).path("customer").path("id").asLong()).isEqualTo(1);

            // bob reads his order first, so it sits in the shared document cache when alice asks
            assertThat(get(region, "/orders/" + bobsOrder, "Authorization", bob()).statusCode()).isEqualTo(200);
            long missing = 9_000_000L + bobsOrder;
            for (String path : List.of("/orders/", "/outpost/v1/views/orders/")) {
                HttpResponse<String> hidden = get(region, path + bobsOrder, "Authorization", alice());
                HttpResponse<String> absent = get(region, path + missing, "Authorization", alice());
                assertThat(hidden.statusCode()).isEqualTo(404);
                assertThat(hidden.body().replaceAll("\\b" + bobsOrder + "\\b", "K"))
                        .isEqualTo(absent.body().replaceAll("\\b" + missing + "\\b", "K"));
                assertThat(headerNames(hidden)).isEqualTo(headerNames(absent));
            }
            // the customer_orders view is keyed by customer: the drop-in route of another customer is missing too
            assertThat(get(region, "/customers/2/orders", "Authorization", alice()).statusCode()).isEqualTo(404);
            assertThat(get(region, "/customers/1/orders", "Authorization", alice()).statusCode()).isEqualTo(200);
        }
    }

    private static java.util.Set<String> headerNames(HttpResponse<String> response) {
        java.util.Set<String> names = new TreeSet<>(response.headers().map().keySet());
        names.remove("date");
        return names;
    }

    @Test
    void listsSearchFiltersSortAndCursorsShowACustomerOnlyItsOwnRows() throws Exception {
        for (String region : REGIONS) {
            List<JsonNode> mine = everyPage(region, "/outpost/v1/views/orders?sort=-placed_at", alice());
            assertThat(mine).hasSize(alicesOrders);
            assertThat(mine).allSatisfy(order -> assertThat(order.path("customer").path("id").asLong()).isEqualTo(1));
            assertThat(everyPage(region, "/outpost/v1/views/orders?customer.id=2", alice())).isEmpty();
            assertThat(everyPage(region, "/outpost/v1/views/orders?status=PLACED&status=PAID&status=CANCELLED", alice()))
                    .allSatisfy(order -> assertThat(order.path("customer").path("id").asLong()).isEqualTo(1));
            assertThat(everyPage(region, "/outpost/v1/views/orders?q=" + URLEncoder.encode(bobsName, StandardCharsets.UTF_8),
                    alice())).allSatisfy(order -> assertThat(order.path("customer").path("id").asLong()).isEqualTo(1));
            assertThat(everyPage(region, "/outpost/v1/views/customer_orders", alice()))
                    .extracting(c -> c.path("id").asLong()).containsExactly(1L);

            // a cursor of bob's listing, or one edited by hand, does not open bob's rows to alice
            HttpResponse<String> bobsPage = get(region, "/outpost/v1/views/orders?limit=1", "Authorization", bob());
            String cursor = json(bobsPage).path("next").asText();
            HttpResponse<String> withBobsCursor = get(region, "/outpost/v1/views/orders?limit=50&after="
                    + URLEncoder.encode(cursor, StandardCharsets.UTF_8), "Authorization", alice());
            assertThat(json(withBobsCursor).path("items"))
                    .allSatisfy(order -> assertThat(order.path("customer").path("id").asLong()).isEqualTo(1));
            String edited = cursor.substring(0, cursor.indexOf('.')) + ".AAAA";
            HttpResponse<String> refused = get(region, "/outpost/v1/views/orders?after=" + edited, "Authorization", alice());
            assertThat(refused.statusCode()).isEqualTo(400);
            assertThat(json(refused).path("type").asText()).isEqualTo("urn:outpost:problem:invalid-cursor");
        }
    }

    @Test
    void staffSeeEveryRowAndSupportSeesCustomersWithoutTheirEmail() throws Exception {
        String staff = token("staff-7", "orders:read:all");
        List<JsonNode> everything = everyPage("eu-west", "/outpost/v1/views/orders", staff);
        assertThat(everything).hasSizeGreaterThanOrEqualTo(allOrders); // other tests may have placed more
        assertThat(everything).extracting(order -> order.path("customer").path("id").asLong()).contains(1L, 2L, 3L);
        assertThat(json(get("eu-west", "/customers/2/orders", "Authorization", staff)).has("email")).isTrue();
        JsonNode supported = json(get("eu-west", "/customers/2/orders", "Authorization", token("support-1", "support")));
        assertThat(supported.path("id").asLong()).isEqualTo(2);
        assertThat(supported.has("email")).as("hidden by the support rule").isFalse();
        assertThat(everyPage("eu-west", "/outpost/v1/views/customer_orders", token("support-1", "support")))
                .isNotEmpty().allSatisfy(customer -> assertThat(customer.has("email")).isFalse());
    }

    @Test
    void injectedClaimsMatchNothing() throws Exception {
        for (Object subject : List.<Object>of("1 OR 1=1", "') OR true --", List.of("1", "2"), Map.of("id", 1), "01")) {
            String injected = token(subject, "orders:read");
            HttpResponse<String> list = get("us-east", "/outpost/v1/views/orders?limit=100", "Authorization", injected);
            if (list.statusCode() == 200) {
                assertThat(json(list).path("items")).as("sub " + subject).isEmpty();
            } else {
                assertThat(list.statusCode()).as("sub " + subject + " is refused as a token").isEqualTo(401);
            }
            assertThat(get("us-east", "/orders/" + alicesOrder, "Authorization", injected).statusCode())
                    .as("sub " + subject).isIn(401, 404);
        }
        // a number claim equals the document's number, as a string claim does
        assertThat(get("us-east", "/orders/" + alicesOrder, "Authorization", token(1L, "orders:read")).statusCode())
                .isEqualTo(200);
    }

    @Test
    void withoutAGoodCredentialIt401sAndWithoutAScopeIt403sWhilePublicViewsAnswerAnyone() throws Exception {
        HttpResponse<String> none = get("us-east", "/orders/" + alicesOrder);
        assertThat(none.statusCode()).isEqualTo(401);
        assertThat(none.headers().firstValue("WWW-Authenticate")).hasValue("Bearer error=\"invalid_token\"");
        HttpResponse<String> bad = get("us-east", "/orders/" + alicesOrder, "Authorization", alice().substring(0, 60));
        assertThat(bad.statusCode()).isEqualTo(401);
        assertThat(bad.headers().firstValue("WWW-Authenticate")).hasValue("Bearer error=\"invalid_token\"");
        HttpResponse<String> unscoped = get("us-east", "/outpost/v1/views/orders", "Authorization", token("1", "profile"));
        assertThat(unscoped.statusCode()).isEqualTo(403);
        assertThat(unscoped.headers().firstValue("WWW-Authenticate")).hasValueSatisfying(
                value -> assertThat(value).startsWith("Bearer error=\"insufficient_scope\""));
        assertThat(get("us-east", "/products/1").statusCode()).isEqualTo(200);
        assertThat(get("us-east", "/outpost/v1/views/products?limit=3").statusCode()).isEqualTo(200);
    }

    @Test
    @org.junit.jupiter.api.DisplayName("the dashboard in headless Chromium with authentication on: the page asks for a token, "
            + "refuses one without the admin scope saying why, and shows the regions for an admin's")
    void theDashboardAsksForAnAdminToken() throws Exception {
        org.openqa.selenium.chrome.ChromeDriver browser = HeadlessChromium.start();
        try {
            browser.get(GATEWAYS.get("eu-west").url() + "/outpost/");
            org.openqa.selenium.By login = org.openqa.selenium.By.id("login");
            org.openqa.selenium.By field = org.openqa.selenium.By.id("token");
            org.awaitility.Awaitility.await().alias("the token prompt").atMost(20, java.util.concurrent.TimeUnit.SECONDS)
                    .until(() -> browser.findElement(login).isDisplayed());
            assertThat(browser.findElement(org.openqa.selenium.By.id("dashboard")).isDisplayed()).isFalse();

            browser.findElement(field).sendKeys(alice()); // pasted as the demo prints it: "Bearer …"
            browser.findElement(field).submit();
            org.awaitility.Awaitility.await().alias("a token without the admin scope refused").atMost(20,
                    java.util.concurrent.TimeUnit.SECONDS).until(() -> !browser.findElement(
                    org.openqa.selenium.By.id("login-problem")).getText().isBlank());
            assertThat(browser.findElement(org.openqa.selenium.By.id("login-problem")).getText()).contains("outpost:admin");
            assertThat(browser.findElement(login).isDisplayed()).isTrue();

            browser.findElement(field).clear();
            browser.findElement(field).sendKeys(token("ops", "outpost:admin"));
            browser.findElement(field).submit();
            org.awaitility.Awaitility.await().alias("the dashboard for an admin").atMost(20, java.util.concurrent.TimeUnit.SECONDS)
                    .until(() -> browser.findElements(org.openqa.selenium.By.cssSelector("#regions tbody tr")).size() == 3);
            assertThat(browser.findElement(login).isDisplayed()).isFalse();
            HeadlessChromium.screenshot(browser, "dashboard-with-authentication.png");
            // the 401 and 403 the page was answered before the token came are the browser's own console lines
            assertThat(HeadlessChromium.consoleErrors(browser)).as("the console's errors")
                    .allMatch(line -> line.contains("401") || line.contains("403"));
        } catch (AssertionError | RuntimeException e) {
            HeadlessChromium.keepEvidence(browser, "dashboard-with-authentication-failed");
            throw e;
        } finally {
            browser.quit();
        }
    }

    @Test
    void outpostsOwnEndpointsNeedTheAdminScopeOrTheServiceTokenAndHealthTellsAnyoneOnlyItsStatus() throws Exception {
        for (String path : List.of("/outpost/v1/regions", "/outpost/v1/status", "/outpost/metrics")) {
            assertThat(get("eu-west", path).statusCode()).as(path).isEqualTo(401);
            assertThat(get("eu-west", path, "Authorization", alice()).statusCode()).as(path).isEqualTo(403);
            assertThat(get("eu-west", path, "Authorization", token("ops", "outpost:admin")).statusCode()).as(path)
                    .isEqualTo(200);
            assertThat(get("eu-west", path, "Outpost-Service-Token", SERVICE_TOKEN).statusCode()).as(path).isEqualTo(200);
        }
        JsonNode brief = json(get("eu-west", "/outpost/health"));
        assertThat(brief.has("status")).isTrue();
        assertThat(brief.size()).as("the status alone: " + brief).isEqualTo(1);
        JsonNode deep = json(get("eu-west", "/outpost/health", "Outpost-Service-Token", SERVICE_TOKEN));
        assertThat(deep.has("config_hash")).as(deep.toString()).isTrue();
        assertThat(get("eu-west", "/orders/" + alicesOrder, "Authorization", alice()).statusCode()).isEqualTo(200);
        assertThat(get("eu-west", "/outpost/metrics", "Outpost-Service-Token", SERVICE_TOKEN).body())
                .contains("outpost_auth_decisions_total{outcome=\"allowed\",region=\"eu-west\"}");
    }

    @Test
    void aQueryForwardedToAnotherRegionIsFilteredThereAndAClientsHopsHeaderChangesNothing() throws Exception {
        Projector euWest = PROJECTORS.remove("eu-west");
        euWest.close(); // eu-west stops applying: a token newer than its watermark must be answered elsewhere
        try {
            String dave = token("5", "orders:read"); // customer 5: the other tests count customer 1's and 2's orders
            HttpResponse<String> placed = HTTP.send(HttpRequest.newBuilder(URI.create(GATEWAYS.get("us-east").url() + "/orders"))
                    .POST(HttpRequest.BodyPublishers.ofString("{\"customer_id\": 5, \"lines\": [{\"product_id\": 1, \"qty\": 1}]}"))
                    .header("Content-Type", "application/json").header("Authorization", dave).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertThat(placed.statusCode()).as(placed.body()).isEqualTo(201);
            String token = placed.headers().firstValue("Outpost-Token").orElseThrow();
            // us-east has it (a forwarded query does not wait there)
            assertThat(get("us-east", "/outpost/v1/views/orders?limit=1", "Authorization", dave, "Outpost-Min-Token", token)
                    .statusCode()).isEqualTo(200);
            int davesOrders;
            try (Connection c = DriverManager.getConnection(shopUrl); Statement s = c.createStatement()) {
                davesOrders = (int) one(s, "SELECT count(*) FROM orders WHERE customer_id = 5");
            }
            for (String[] extra : List.of(new String[0], new String[] {"Outpost-Hops", "1"})) {
                List<String> headers = new ArrayList<>(List.of("Authorization", dave, "Outpost-Min-Token", token,
                        "Outpost-Max-Wait", "0"));
                headers.addAll(List.of(extra));
                HttpResponse<String> list = get("eu-west", "/outpost/v1/views/orders?limit=100", headers.toArray(String[]::new));
                assertThat(list.statusCode()).as(list.body()).isEqualTo(200);
                assertThat(list.headers().firstValue("Outpost-Region")).hasValue("us-east");
                assertThat(json(list).path("items")).hasSize(davesOrders)
                        .allSatisfy(order -> assertThat(order.path("customer").path("id").asLong()).isEqualTo(5));
                HttpResponse<String> bobs = get("eu-west", "/orders/" + bobsOrder, headers.toArray(String[]::new));
                assertThat(bobs.statusCode()).isEqualTo(404);
            }
        } finally {
            PROJECTORS.put("eu-west", Projector.start(ProjectorSettings.of(config, "eu-west")));
        }
    }

    @Test
    void anotherCallerReusingAnIdempotencyKeyNeverGetsTheFirstCallersAnswer() throws Exception {
        String body = "{\"customer_id\": 3, \"lines\": [{\"product_id\": 2, \"qty\": 1}]}";
        HttpRequest.Builder asCarol = HttpRequest.newBuilder(URI.create(GATEWAYS.get("eu-west").url() + "/orders"))
                .POST(HttpRequest.BodyPublishers.ofString(body)).header("Content-Type", "application/json")
                .header("Idempotency-Key", "shared-key-1").header("Authorization", token("3", "orders:read"));
        HttpResponse<String> first = HTTP.send(asCarol.build(), HttpResponse.BodyHandlers.ofString());
        HttpResponse<String> again = HTTP.send(asCarol.build(), HttpResponse.BodyHandlers.ofString());
        assertThat(first.statusCode()).as(first.body()).isEqualTo(201);
        assertThat(again.body()).as("the same caller's retry is the first answer").isEqualTo(first.body());
        assertThat(again.headers().firstValue("Outpost-Idempotent-Replay")).hasValue("true");

        HttpResponse<String> mallory = HTTP.send(HttpRequest.newBuilder(URI.create(GATEWAYS.get("eu-west").url() + "/orders"))
                .POST(HttpRequest.BodyPublishers.ofString(body)).header("Content-Type", "application/json")
                .header("Idempotency-Key", "shared-key-1").header("Authorization", token("4", "orders:read")).build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(mallory.headers().firstValue("Outpost-Idempotent-Replay")).isEmpty();
        assertThat(mallory.body()).isNotEqualTo(first.body());
    }

    @Test
    void inForwardModeTheMonolithSaysWhoTheCallerIsAndTheSameRulesApply() throws Exception {
        String text = securedConfig(ExampleConfig.render("security_it", Map.of()), "http://unused.test/jwks.json")
                .replaceAll("(?m)^  jwt: \\{.*\n", "  forward: { url: \"" + shop.url() + "/me\", headers: [Authorization] }\n")
                .replace("  mode: jwt\n", "  mode: forward\n");
        OutpostConfig forward = OutpostConfig.parse(text, name -> "STORE_US_EAST_URL".equals(name)
                ? config.regions().get("us-east").store().url() : null);
        try (Gateway asking = Gateway.start(GatewaySettings.of(forward, "us-east").withHost("localhost").withPort(0))) {
            HttpResponse<String> own = HTTP.send(HttpRequest.newBuilder(URI.create(asking.url() + "/orders/" + alicesOrder))
                    .header("Authorization", alice()).build(), HttpResponse.BodyHandlers.ofString());
            assertThat(own.statusCode()).as(own.body()).isEqualTo(200);
            HttpResponse<String> bobs = HTTP.send(HttpRequest.newBuilder(URI.create(asking.url() + "/orders/" + bobsOrder))
                    .header("Authorization", alice()).build(), HttpResponse.BodyHandlers.ofString());
            assertThat(bobs.statusCode()).isEqualTo(404);
            HttpResponse<String> forged = HTTP.send(HttpRequest.newBuilder(URI.create(asking.url() + "/orders/" + alicesOrder))
                    .header("Authorization", "Bearer forged").build(), HttpResponse.BodyHandlers.ofString());
            assertThat(forged.statusCode()).as("the monolith refused it").isEqualTo(401);
            HttpResponse<String> list = HTTP.send(HttpRequest.newBuilder(URI.create(asking.url()
                    + "/outpost/v1/views/orders?limit=100")).header("Authorization", bob()).build(), HttpResponse.BodyHandlers.ofString());
            assertThat(json(list).path("items")).isNotEmpty()
                    .allSatisfy(order -> assertThat(order.path("customer").path("id").asLong()).isEqualTo(2));
        }
    }

    @Test
    void everyRefusedReadIsOneAuditLineNamingWhoWhatAndWhyButNeverTheToken() throws Exception {
        ch.qos.logback.classic.Logger audit = (ch.qos.logback.classic.Logger) org.slf4j.LoggerFactory.getLogger("io.outpost.audit");
        ch.qos.logback.core.read.ListAppender<ch.qos.logback.classic.spi.ILoggingEvent> lines =
                new ch.qos.logback.core.read.ListAppender<>();
        lines.start();
        audit.addAppender(lines);
        try {
            String bob = bob();
            assertThat(get("us-east", "/orders/" + alicesOrder, "Authorization", bob).statusCode()).isEqualTo(404);
            assertThat(get("us-east", "/outpost/v1/views/orders", "Authorization", token("9", "profile")).statusCode())
                    .isEqualTo(403);
            assertThat(get("us-east", "/orders/" + alicesOrder, "Authorization", bob.substring(0, 50)).statusCode())
                    .isEqualTo(401);
            List<String> messages = lines.list.stream().map(ch.qos.logback.classic.spi.ILoggingEvent::getFormattedMessage)
                    .toList();
            assertThat(messages).hasSize(3);
            assertThat(messages.get(0)).contains("region=us-east", "outcome=hidden", "subject=2", "view=orders",
                    "key=" + alicesOrder);
            assertThat(messages.get(1)).contains("outcome=forbidden", "subject=9", "view=orders", "key=-", "orders:read");
            assertThat(messages.get(2)).contains("outcome=unauthenticated", "view=orders");
            String signature = bob.substring(bob.lastIndexOf('.') + 1);
            assertThat(messages).noneMatch(line -> line.contains(signature) || line.contains(bob.substring(7, 40)));
        } finally {
            audit.detachAppender(lines);
        }
    }

    @Test
    void withoutSigningKeysAtAColdStartReadsAre503AndSayWhen() throws Exception {
        int dead = Ports.free();
        String text = securedConfig(ExampleConfig.render("security_it", Map.of()), "http://127.0.0.1:" + dead + "/jwks.json");
        OutpostConfig unreachable = OutpostConfig.parse(text, name -> switch (name) {
            case "STORE_US_EAST_URL" -> config.regions().get("us-east").store().url();
            default -> null;
        });
        try (Gateway cold = Gateway.start(GatewaySettings.of(unreachable, "us-east").withHost("localhost").withPort(0))) {
            HttpResponse<String> answer = HTTP.send(HttpRequest.newBuilder(URI.create(cold.url() + "/orders/" + alicesOrder))
                    .header("Authorization", alice()).build(), HttpResponse.BodyHandlers.ofString());
            assertThat(answer.statusCode()).as(answer.body()).isEqualTo(503);
            assertThat(json(answer).path("type").asText()).isEqualTo("urn:outpost:problem:auth-unavailable");
            assertThat(answer.headers().firstValue("Retry-After")).isPresent();
            HttpResponse<String> products = HTTP.send(HttpRequest.newBuilder(URI.create(cold.url() + "/products/1")).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertThat(products.statusCode()).as("a public view needs no keys").isEqualTo(200);
        }
    }
}

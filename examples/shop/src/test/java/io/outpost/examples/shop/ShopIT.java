package io.outpost.examples.shop;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.outpost.embedded.EmbeddedPostgres;
import java.io.IOException;
import java.math.BigDecimal;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

class ShopIT {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final HttpClient HTTP = HttpClient.newHttpClient();
    private static ShopServer shop;

    @BeforeAll
    static void startShop() {
        EmbeddedPostgres pg = EmbeddedPostgres.shared();
        String url = pg.createDatabase("shop_it");
        shop = ShopServer.start(new ShopServer.Settings(url, EmbeddedPostgres.SUPERUSER, "", "localhost", 0));
    }

    @AfterAll
    static void stopShop() {
        shop.close();
    }

    record Response(int status, String contentType, JsonNode body, java.net.http.HttpHeaders headers) {
    }

    private static Response send(String method, String path, String body, String... headers) throws Exception {
        var request = HttpRequest.newBuilder(URI.create(shop.url() + path))
                .method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body));
        boolean hasType = false;
        for (int i = 0; i < headers.length; i += 2) {
            request.header(headers[i], headers[i + 1]);
            hasType |= headers[i].equalsIgnoreCase("Content-Type");
        }
        if (body != null && !hasType) {
            request.header("Content-Type", "application/json");
        }
        HttpResponse<String> response = HTTP.send(request.build(), HttpResponse.BodyHandlers.ofString());
        JsonNode json = response.body().isEmpty() ? null : JSON.readTree(response.body());
        return new Response(response.statusCode(), response.headers().firstValue("Content-Type").orElse(""), json,
                response.headers());
    }

    private static Response post(String path, String body, String... headers) throws Exception {
        return send("POST", path, body, headers);
    }

    private static Response get(String path) throws Exception {
        return send("GET", path, null);
    }

    private static long customer(String name) throws Exception {
        String email = name.toLowerCase(java.util.Locale.ROOT).replace(' ', '.') + "." + System.nanoTime() + "@example.com";
        Response r = post("/customers", "{\"name\":\"" + name + "\",\"email\":\"" + email + "\"}");
        assertThat(r.status()).isEqualTo(201);
        return r.body().get("id").asLong();
    }

    private static long product(String name, String price, int stock) throws Exception {
        Response r = post("/products", "{\"sku\":\"S" + System.nanoTime() + "\",\"name\":\"" + name + "\",\"price\":" + price
                + ",\"stock\":" + stock + "}");
        assertThat(r.status()).isEqualTo(201);
        return r.body().get("id").asLong();
    }

    private static String order(long customer, long product, int qty) {
        return "{\"customer_id\":" + customer + ",\"lines\":[{\"product_id\":" + product + ",\"qty\":" + qty + "}]}";
    }

    private static long scalar(String sql) throws SQLException {
        try (Connection c = shop.dataSource().getConnection(); Statement s = c.createStatement();
             ResultSet rs = s.executeQuery(sql)) {
            rs.next();
            return rs.getLong(1);
        }
    }

    @Test
    void placesAnOrderAndAnswersItWithCustomerLinesAndTotal() throws Exception {
        long ada = customer("Ada Lovelace");
        long kettle = product("Blue Kettle", "12.50", 10);
        long mug = product("Golden Mug", "3.25", 10);

        Response placed = post("/orders", "{\"customer_id\":" + ada + ",\"lines\":[{\"product_id\":" + kettle
                + ",\"qty\":2},{\"product_id\":" + mug + ",\"qty\":4}]}");

        assertThat(placed.status()).isEqualTo(201);
        long id = placed.body().get("id").asLong();
        assertThat(placed.headers().firstValue("Location")).contains("/orders/" + id);
        Response fetched = get("/orders/" + id);
        assertThat(fetched.status()).isEqualTo(200);
        assertThat(fetched.body()).isEqualTo(placed.body());
        JsonNode doc = fetched.body();
        assertThat(doc.get("status").asText()).isEqualTo("PLACED");
        assertThat(doc.get("customer").get("id").asLong()).isEqualTo(ada);
        assertThat(doc.get("customer").get("name").asText()).isEqualTo("Ada Lovelace");
        assertThat(doc.get("lines")).hasSize(2);
        assertThat(doc.get("lines").get(0).get("qty").asInt()).isEqualTo(2);
        assertThat(doc.get("lines").get(0).get("unit_price").decimalValue()).isEqualByComparingTo("12.50");
        assertThat(doc.get("total").decimalValue()).isEqualByComparingTo(new BigDecimal("38.00"));
        assertThat(get("/products/" + kettle).body().get("stock").asInt()).isEqualTo(8);
        assertThat(get("/products/" + mug).body().get("stock").asInt()).isEqualTo(6);
    }

    @Test
    void updatesCustomersAndChangesPricesAndRestocks() throws Exception {
        long grace = customer("Grace Hopper");
        long lamp = product("Bright Lamp", "20.00", 1);

        Response renamed = send("PATCH", "/customers/" + grace, "{\"name\":\"Grace B. Hopper\"}");
        Response repriced = post("/products/" + lamp + "/price", "{\"price\":\"17.99\"}");
        Response restocked = post("/products/" + lamp + "/restock", "{\"quantity\":5}");

        assertThat(renamed.status()).isEqualTo(200);
        assertThat(get("/customers/" + grace).body().get("name").asText()).isEqualTo("Grace B. Hopper");
        assertThat(repriced.body().get("price").decimalValue()).isEqualByComparingTo("17.99");
        assertThat(restocked.body().get("stock").asInt()).isEqualTo(6);
        Response ordered = post("/orders", order(grace, lamp, 1));
        assertThat(ordered.body().get("lines").get(0).get("unit_price").decimalValue()).isEqualByComparingTo("17.99");
    }

    @Test
    void movesOrdersThroughTheirLifecycleAndCancellingRestocks() throws Exception {
        long alan = customer("Alan Turing");
        long pen = product("Travel Pen", "2.00", 5);
        long first = post("/orders", order(alan, pen, 2)).body().get("id").asLong();
        long second = post("/orders", order(alan, pen, 3)).body().get("id").asLong();
        assertThat(get("/products/" + pen).body().get("stock").asInt()).isZero();

        assertThat(post("/orders/" + first + "/pay", null).body().get("status").asText()).isEqualTo("PAID");
        assertThat(post("/orders/" + first + "/ship", null).body().get("status").asText()).isEqualTo("SHIPPED");
        Response cancelShipped = post("/orders/" + first + "/cancel", null);
        assertThat(cancelShipped.status()).isEqualTo(409);
        assertThat(cancelShipped.body().get("type").asText()).endsWith("/invalid-transition");
        assertThat(cancelShipped.body().get("detail").asText()).contains("order " + first + " is SHIPPED");
        Response shipUnpaid = post("/orders/" + second + "/ship", null);
        assertThat(shipUnpaid.status()).isEqualTo(409);

        Response cancelled = post("/orders/" + second + "/cancel", null);

        assertThat(cancelled.body().get("status").asText()).isEqualTo("CANCELLED");
        assertThat(get("/products/" + pen).body().get("stock").asInt()).isEqualTo(3);
        assertThat(post("/orders/" + second + "/pay", null).status()).isEqualTo(409);
    }

    @Test
    @DisplayName("no oversell: 20 concurrent orders for 10 units, exactly 10 succeed and stock ends at 0")
    void neverOversellsUnderConcurrency() throws Exception {
        long product = product("Limited Watch", "99.00", 10);
        List<Long> customers = new ArrayList<>();
        for (int i = 0; i < 20; i++) {
            customers.add(customer("Buyer " + i));
        }
        ExecutorService pool = Executors.newFixedThreadPool(20);
        CountDownLatch start = new CountDownLatch(1);
        List<Future<Integer>> results = new ArrayList<>();
        try {
            for (long c : customers) {
                results.add(pool.submit(() -> {
                    start.await();
                    return post("/orders", order(c, product, 1)).status();
                }));
            }
            start.countDown();
            List<Integer> statuses = new ArrayList<>();
            for (Future<Integer> f : results) {
                statuses.add(f.get());
            }
            assertThat(statuses).filteredOn(s -> s == 201).hasSize(10);
            assertThat(statuses).filteredOn(s -> s == 409).hasSize(10);
        } finally {
            pool.shutdownNow();
        }
        assertThat(get("/products/" + product).body().get("stock").asInt()).isZero();
        assertThat(scalar("SELECT coalesce(sum(qty), 0) FROM order_lines WHERE product_id = " + product)).isEqualTo(10);
    }

    @Test
    void idempotentRetryReturnsTheOriginalResponseAndHasNoSecondEffect() throws Exception {
        long c = customer("Edsger Dijkstra");
        long p = product("Quiet Clock", "10.00", 100);
        String key = "retry-" + System.nanoTime();

        Response first = post("/orders", order(c, p, 3), "Idempotency-Key", key);
        Response retry = post("/orders", order(c, p, 3), "Idempotency-Key", key);

        assertThat(first.status()).isEqualTo(201);
        assertThat(retry.status()).isEqualTo(201);
        assertThat(retry.body()).isEqualTo(first.body());
        assertThat(retry.headers().firstValue("Location")).isEqualTo(first.headers().firstValue("Location"));
        assertThat(retry.headers().firstValue("Idempotent-Replayed")).contains("true");
        assertThat(scalar("SELECT count(*) FROM orders WHERE customer_id = " + c)).isEqualTo(1);
        assertThat(get("/products/" + p).body().get("stock").asInt()).isEqualTo(97);
    }

    @Test
    @DisplayName("a shop that witnesses keys runs a repeated key twice and writes down each run, for chaos tests that count")
    void aWitnessingShopAppliesARepeatedKeyAndWritesItDown() throws Exception {
        long c = customer("Frances Allen");
        long p = product("Loud Clock", "12.00", 100);
        String key = "witnessed-" + System.nanoTime();
        EmbeddedPostgres pg = EmbeddedPostgres.shared();
        try (ShopServer witness = ShopServer.start(new ShopServer.Settings(pg.jdbcUrl("shop_it"), EmbeddedPostgres.SUPERUSER, "",
                "localhost", 0).withKeysWitnessed())) {
            for (int i = 0; i < 2; i++) {
                HttpResponse<String> placed = HTTP.send(HttpRequest.newBuilder(URI.create(witness.url() + "/orders"))
                        .POST(HttpRequest.BodyPublishers.ofString(order(c, p, 1))).header("Content-Type", "application/json")
                        .header("Idempotency-Key", key).build(), HttpResponse.BodyHandlers.ofString());
                assertThat(placed.statusCode()).as(placed.body()).isEqualTo(201);
                assertThat(placed.headers().firstValue("Idempotent-Replayed")).isEmpty();
            }
        }
        assertThat(scalar("SELECT count(*) FROM orders WHERE customer_id = " + c)).isEqualTo(2);
        assertThat(scalar("SELECT count(*) FROM commands_witnessed WHERE key = '" + key + "' AND method_path = 'POST /orders' "
                + "AND status = 201")).isEqualTo(2);
        assertThat(scalar("SELECT count(*) FROM idempotency_keys WHERE key LIKE '%" + key + "'")).isZero();
    }

    @Test
    void concurrentRetriesWithOneKeyApplyOnce() throws Exception {
        long c = customer("Barbara Liskov");
        long p = product("Rugged Toolbox", "45.00", 100);
        String key = "burst-" + System.nanoTime();
        ExecutorService pool = Executors.newFixedThreadPool(8);
        try {
            List<Callable<Response>> calls = new ArrayList<>();
            for (int i = 0; i < 8; i++) {
                calls.add(() -> post("/orders", order(c, p, 1), "Idempotency-Key", key));
            }
            List<JsonNode> bodies = new ArrayList<>();
            for (Future<Response> f : pool.invokeAll(calls)) {
                assertThat(f.get().status()).isEqualTo(201);
                bodies.add(f.get().body());
            }
            assertThat(bodies).allMatch(b -> b.equals(bodies.getFirst()));
        } finally {
            pool.shutdownNow();
        }
        assertThat(scalar("SELECT count(*) FROM orders WHERE customer_id = " + c)).isEqualTo(1);
        assertThat(get("/products/" + p).body().get("stock").asInt()).isEqualTo(99);
    }

    @Test
    void reusingAKeyForADifferentRequestIsRefused() throws Exception {
        long c = customer("Donald Knuth");
        long p = product("Vintage Desk", "150.00", 10);
        String key = "reuse-" + System.nanoTime();
        assertThat(post("/orders", order(c, p, 1), "Idempotency-Key", key).status()).isEqualTo(201);

        Response reused = post("/orders", order(c, p, 2), "Idempotency-Key", key);

        assertThat(reused.status()).isEqualTo(422);
        assertThat(reused.contentType()).startsWith("application/problem+json");
        assertThat(reused.body().get("type").asText()).endsWith("/idempotency-key-reused");
        assertThat(scalar("SELECT count(*) FROM orders WHERE customer_id = " + c)).isEqualTo(1);
    }

    @Test
    void aRefusedCommandIsRememberedUnderItsKey() throws Exception {
        long c = customer("Margaret Hamilton");
        long p = product("Tiny Speaker", "30.00", 1);
        String key = "refused-" + System.nanoTime();

        Response refused = post("/orders", order(c, p, 2), "Idempotency-Key", key);
        post("/products/" + p + "/restock", "{\"quantity\":10}");
        Response retried = post("/orders", order(c, p, 2), "Idempotency-Key", key);

        assertThat(refused.status()).isEqualTo(409);
        assertThat(retried.status()).isEqualTo(409);
        assertThat(retried.body()).isEqualTo(refused.body());
        assertThat(scalar("SELECT count(*) FROM orders WHERE customer_id = " + c)).isZero();
    }

    @Test
    void answersBadInputWithProblemsNeverWithServerErrors() throws Exception {
        long c = customer("Ken Thompson");
        long p = product("Folding Chair", "25.00", 10);
        String big = "{\"name\":\"" + "x".repeat(ShopServer.MAX_BODY_BYTES) + "\",\"email\":\"big@example.com\"}";

        List<Object[]> cases = List.of(
                new Object[] {post("/orders", "{\"customer_id\": 1, \"lines\": ["), 400, "invalid-request"},
                new Object[] {post("/orders", order(c, 999_999_999, 1)), 422, "unknown-reference"},
                new Object[] {post("/orders", order(999_999_999, p, 1)), 422, "unknown-reference"},
                new Object[] {post("/orders", order(c, p, -1)), 400, "invalid-request"},
                new Object[] {post("/orders", order(c, p, 0)), 400, "invalid-request"},
                new Object[] {post("/orders", "{\"customer_id\":" + c + ",\"lines\":[]}"), 400, "invalid-request"},
                new Object[] {post("/orders", "{\"customer_id\":\"abc\",\"lines\":[{\"product_id\":1,\"qty\":1}]}"), 400, "invalid-request"},
                new Object[] {post("/orders", "{\"customer\":" + c + "}"), 400, "invalid-request"},
                new Object[] {post("/orders", "[1,2]"), 400, "invalid-request"},
                new Object[] {post("/customers", big), 413, "body-too-large"},
                new Object[] {post("/customers", "name=x", "Content-Type", "application/x-www-form-urlencoded"), 415, "unsupported-media-type"},
                new Object[] {post("/customers", "{\"name\":\"No Mail\",\"email\":\"not-an-address\"}"), 400, "invalid-request"},
                new Object[] {post("/products", "{\"sku\":\"P1\",\"name\":\"Bad\",\"price\":-1}"), 400, "invalid-request"},
                new Object[] {post("/products", "{\"sku\":\"P2\",\"name\":\"Bad\",\"price\":1.234}"), 400, "invalid-request"},
                new Object[] {post("/products/" + p + "/restock", "{\"quantity\":-5}"), 400, "invalid-request"},
                new Object[] {get("/orders/not-a-number"), 400, "invalid-request"},
                new Object[] {get("/orders/999999999"), 404, "not-found"},
                new Object[] {get("/orders?status=LOST"), 400, "invalid-request"},
                new Object[] {get("/orders?limit=1000"), 400, "invalid-request"},
                new Object[] {get("/no/such/path"), 404, "not-found"},
                new Object[] {send("DELETE", "/orders/1", null), 405, "method-not-allowed"});

        for (Object[] c1 : cases) {
            Response r = (Response) c1[0];
            assertThat(r.status()).as("status of %s", r.body()).isEqualTo(c1[1]);
            assertThat(r.contentType()).as("content type of %s", r.body()).startsWith("application/problem+json");
            assertThat(r.body().get("type").asText()).as("type").endsWith("/" + c1[2]);
            assertThat(r.body().get("status").asInt()).isEqualTo(c1[1]);
            assertThat(r.body().get("detail").asText()).isNotBlank();
        }
        assertThat(get("/products/" + p).body().get("stock").asInt()).isEqualTo(10);
    }

    @Test
    void listsOrdersByCustomerAndByStatusPageByPage() throws Exception {
        long c = customer("Frances Allen");
        long p = product("Classic Scarf", "15.00", 100);
        List<Long> ids = new ArrayList<>();
        for (int i = 0; i < 5; i++) {
            ids.add(post("/orders", order(c, p, 1)).body().get("id").asLong());
        }
        post("/orders/" + ids.get(1) + "/pay", null);
        post("/orders/" + ids.get(3) + "/pay", null);

        Response page1 = get("/orders?customer_id=" + c + "&limit=2");
        assertThat(page1.body().get("items")).extracting(n -> n.get("id").asLong()).containsExactly(ids.get(0), ids.get(1));
        Response page2 = get(page1.body().get("next").asText());
        assertThat(page2.body().get("items")).extracting(n -> n.get("id").asLong()).containsExactly(ids.get(2), ids.get(3));
        Response page3 = get(page2.body().get("next").asText());
        assertThat(page3.body().get("items")).extracting(n -> n.get("id").asLong()).containsExactly(ids.get(4));
        assertThat(page3.body().get("next").isNull()).isTrue();

        Response paid = get("/orders?customer_id=" + c + "&status=paid");
        assertThat(paid.body().get("items")).extracting(n -> n.get("id").asLong()).containsExactly(ids.get(1), ids.get(3));
    }

    @Test
    void searchesProductsByName() throws Exception {
        String word = "Zyx" + System.nanoTime();
        long a = product("Deluxe " + word + " Teapot", "9.00", 1);
        long b = product("Eco " + word.toLowerCase(java.util.Locale.ROOT) + " Blanket", "19.00", 1);
        product("Unrelated Thing", "1.00", 1);

        Response found = get("/products?q=" + word.toUpperCase(java.util.Locale.ROOT));

        assertThat(found.body().get("items")).extracting(n -> n.get("id").asLong()).containsExactly(a, b);
        assertThat(get("/products?q=").status()).isEqualTo(400);
    }

    @Test
    void seedsAConsistentDatasetOnce() throws Exception {
        String url = EmbeddedPostgres.shared().createDatabase("shop_seed_it");
        try (ShopServer seeded = ShopServer.start(new ShopServer.Settings(url, EmbeddedPostgres.SUPERUSER, "", "localhost", 0))) {
            ShopData.Counts counts = ShopData.seed(seeded.dataSource(), 100, 200, 1000, 7);
            ShopData.Counts again = ShopData.seed(seeded.dataSource(), 100, 200, 1000, 7);

            assertThat(counts.orders()).isEqualTo(1000);
            assertThat(again.orders()).isZero();
            try (Connection c = seeded.dataSource().getConnection(); Statement s = c.createStatement()) {
                try (ResultSet rs = s.executeQuery("SELECT (SELECT count(*) FROM customers), (SELECT count(*) FROM products),"
                        + " (SELECT count(*) FROM orders), (SELECT count(*) FROM order_lines),"
                        + " (SELECT count(*) FROM products WHERE stock < 0),"
                        + " (SELECT count(DISTINCT status) FROM orders)")) {
                    rs.next();
                    assertThat(rs.getLong(1)).isEqualTo(100);
                    assertThat(rs.getLong(2)).isEqualTo(200);
                    assertThat(rs.getLong(3)).isEqualTo(1000);
                    assertThat(rs.getLong(4)).isEqualTo(counts.lines());
                    assertThat(rs.getLong(5)).isZero();
                    assertThat(rs.getLong(6)).isEqualTo(4);
                }
            }
        }
    }

    @Test
    void migratesOnceWhenStartedAgainOnTheSameDatabase() throws Exception {
        String url = EmbeddedPostgres.shared().createDatabase("shop_it");
        try (ShopServer second = ShopServer.start(new ShopServer.Settings(url, EmbeddedPostgres.SUPERUSER, "", "localhost", 0))) {
            assertThat(HTTP.send(HttpRequest.newBuilder(URI.create(second.url() + "/health")).build(),
                    HttpResponse.BodyHandlers.ofString()).statusCode()).isEqualTo(200);
        }
        assertThat(scalar("SELECT count(*) FROM shop_schema_version")).as("V1 and V2, each once").isEqualTo(2);
        assertThat(scalar("SELECT count(DISTINCT version) FROM shop_schema_version")).isEqualTo(2);
    }

    @Test
    void refusesToStartWithoutItsDatabaseAndSaysWhere() {
        var settings = new ShopServer.Settings("jdbc:postgresql://localhost:1/nowhere?connectTimeout=2", "postgres", "",
                "localhost", 0);
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> ShopServer.start(settings))
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("cannot reach its database at jdbc:postgresql://localhost:1/nowhere");
    }

}

package io.outpost.examples.shop;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.crypto.RSASSASigner;
import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jose.jwk.RSAKey;
import com.nimbusds.jose.jwk.gen.RSAKeyGenerator;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;
import io.outpost.embedded.EmbeddedPostgres;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Instant;
import java.util.Date;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The shop checking its callers itself (as the demo runs it): customers read and change only their
 * own orders and record, staff everything, products anyone; what a caller may not see is a 404.
 */
class ShopAuthIT {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final HttpClient HTTP = HttpClient.newHttpClient();
    private static RSAKey key;
    private static ShopServer shop;
    private static long alicesOrder;
    private static long bobsOrder;

    @BeforeAll
    static void start() throws Exception {
        key = new RSAKeyGenerator(2048).keyID("shop-it").generate();
        String url = EmbeddedPostgres.shared().createDatabase("shop_auth_it");
        shop = ShopServer.start(new ShopServer.Settings(url, EmbeddedPostgres.SUPERUSER, "", "localhost", 0)
                .withAuth(new ShopAuth(new JWKSet(key.toPublicJWK()), "https://shop.test/", "shop")));
        ShopData.seed(shop.dataSource(), 3, 3, 30, 4); // fewer products than lines an order may have: the seed must still end
        alicesOrder = firstOrderOf(1);
        bobsOrder = firstOrderOf(2);
    }

    @AfterAll
    static void stop() {
        shop.close();
    }

    private static long firstOrderOf(long customer) throws Exception {
        try (var c = shop.dataSource().getConnection(); var s = c.prepareStatement(
                "SELECT min(id) FROM orders WHERE customer_id = ?")) {
            s.setLong(1, customer);
            try (var rs = s.executeQuery()) {
                rs.next();
                return rs.getLong(1);
            }
        }
    }

    private static String token(String subject, String scope) throws Exception {
        return token(subject, scope, 600);
    }

    private static String token(String subject, String scope, long validSeconds) throws Exception {
        SignedJWT jwt = new SignedJWT(new JWSHeader.Builder(JWSAlgorithm.RS256).keyID(key.getKeyID()).build(),
                new JWTClaimsSet.Builder().subject(subject).issuer("https://shop.test/").audience("shop")
                        .expirationTime(Date.from(Instant.now().plusSeconds(validSeconds))).claim("scope", scope).build());
        jwt.sign(new RSASSASigner(key));
        return "Bearer " + jwt.serialize();
    }

    private static HttpResponse<String> send(String method, String path, String body, String authorization) throws Exception {
        return send(method, path, body, authorization, null);
    }

    private static HttpResponse<String> send(String method, String path, String body, String authorization,
                                             String idempotencyKey) throws Exception {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(shop.url() + path))
                .method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body))
                .header("Content-Type", "application/json");
        if (authorization != null) {
            request.header("Authorization", authorization);
        }
        if (idempotencyKey != null) {
            request.header("Idempotency-Key", idempotencyKey);
        }
        return HTTP.send(request.build(), HttpResponse.BodyHandlers.ofString());
    }

    private static JsonNode json(HttpResponse<String> response) throws Exception {
        return JSON.readTree(response.body());
    }

    @Test
    void aCustomerSeesAndChangesOnlyItsOwn() throws Exception {
        String alice = token("1", "orders:read");
        assertThat(send("GET", "/orders/" + alicesOrder, null, alice).statusCode()).isEqualTo(200);
        assertThat(send("GET", "/orders/" + bobsOrder, null, alice).statusCode()).isEqualTo(404);
        assertThat(send("GET", "/customers/1", null, alice).statusCode()).isEqualTo(200);
        assertThat(send("GET", "/customers/2", null, alice).statusCode()).isEqualTo(404);
        assertThat(send("POST", "/orders/" + bobsOrder + "/cancel", null, alice).statusCode()).isEqualTo(404);
        HttpResponse<String> forBob = send("POST", "/orders", "{\"customer_id\": 2, \"lines\": [{\"product_id\": 1, \"qty\": 1}]}",
                alice);
        assertThat(forBob.statusCode()).isEqualTo(403);
        HttpResponse<String> own = send("POST", "/orders", "{\"customer_id\": 1, \"lines\": [{\"product_id\": 1, \"qty\": 1}]}",
                alice);
        assertThat(own.statusCode()).as(own.body()).isEqualTo(201);
        JsonNode listed = json(send("GET", "/orders?limit=100", null, alice));
        assertThat(listed.path("items")).isNotEmpty()
                .allSatisfy(order -> assertThat(order.path("customer").path("id").asLong()).isEqualTo(1));
        assertThat(send("GET", "/orders?customer_id=2", null, alice).statusCode()).isEqualTo(403);
        assertThat(send("POST", "/orders/" + alicesOrder + "/ship", null, alice).statusCode()).isEqualTo(403);
        assertThat(json(send("GET", "/me", null, alice)).path("sub").asText()).isEqualTo("1");
    }

    @Test
    void staffSeeEverythingAnonymousCallersOnlyProducts() throws Exception {
        String staff = token("staff-1", "orders:read:all");
        assertThat(send("GET", "/orders/" + bobsOrder, null, staff).statusCode()).isEqualTo(200);
        assertThat(json(send("GET", "/orders?limit=100", null, staff)).path("items").size()).isGreaterThan(10);
        assertThat(send("GET", "/orders/" + alicesOrder, null, null).statusCode()).isEqualTo(401);
        assertThat(send("GET", "/orders/" + alicesOrder, null, "Bearer forged").statusCode()).isEqualTo(401);
        assertThat(send("POST", "/orders", "{\"customer_id\": 1, \"lines\": [{\"product_id\": 1, \"qty\": 1}]}", null)
                .statusCode()).isEqualTo(401);
        assertThat(send("GET", "/products/1", null, null).statusCode()).isEqualTo(200);
        assertThat(send("GET", "/me", null, null).statusCode()).isEqualTo(401);
    }

    @Test
    void idempotencyKeysAreEachCallersOwnAndOutliveATokenRefresh() throws Exception {
        String key = "order-" + System.nanoTime();
        String alicesBody = "{\"customer_id\": 1, \"lines\": [{\"product_id\": 1, \"qty\": 2}]}";
        HttpResponse<String> placed = send("POST", "/orders", alicesBody, token("1", "orders:read"), key);
        assertThat(placed.statusCode()).as(placed.body()).isEqualTo(201);
        long id = json(placed).path("id").asLong();

        HttpResponse<String> bobs = send("POST", "/orders", "{\"customer_id\": 2, \"lines\": [{\"product_id\": 1, \"qty\": 2}]}",
                token("2", "orders:read"), key);
        assertThat(bobs.statusCode()).as("another caller's key space: a new order of its own").isEqualTo(201);
        assertThat(json(bobs).path("id").asLong()).isNotEqualTo(id);

        String refreshed = token("1", "orders:read", 900);
        assertThat(refreshed).isNotEqualTo(token("1", "orders:read"));
        HttpResponse<String> retried = send("POST", "/orders", alicesBody, refreshed, key);
        assertThat(retried.statusCode()).isEqualTo(201);
        assertThat(json(retried).path("id").asLong()).as("the same caller with a refreshed token: the first answer")
                .isEqualTo(id);
    }
}

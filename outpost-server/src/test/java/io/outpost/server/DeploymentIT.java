package io.outpost.server;

import static java.util.concurrent.TimeUnit.SECONDS;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.outpost.core.config.OutpostConfig;
import io.outpost.embedded.EmbeddedKafka;
import io.outpost.embedded.EmbeddedPostgres;
import io.outpost.embedded.Ports;
import io.outpost.examples.shop.ShopData;
import io.outpost.examples.shop.ShopServer;
import java.net.ConnectException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.EnumSet;
import java.util.Map;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/** {@code outpost run}'s roles, started in this JVM against a real PostgreSQL and Kafka. */
class DeploymentIT {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();

    /** A deployment of one region, its names and addresses from the environment ({@link OneRegion#addresses}). */
    static final String ONE_REGION = """
            source:
              name: "${SOURCE_NAME}"
              url: "${SHOP_DB_URL}"
              user: postgres
              tables: [customers, products, orders, order_lines]
            log:
              bootstrap-servers: "${KAFKA_BOOTSTRAP}"
            monolith:
              url: "${SHOP_URL}"
            regions:
              solo:
                monolith-route: true
                store: { url: "${STORE_URL}", user: postgres }
                gateway: { url: "${GATEWAY_URL}" }
            commands:
              route: [solo]
            auth:
              mode: none
            health:
              probe-interval: 300ms
              probe-timeout: 250ms
              observation-ttl: 2s
            """;

    @Test
    @DisplayName("every role of a one-region deployment runs: capture and projector fill the store, the gateway answers "
            + "and sends commands home, the monitor finds the region UP; closing stops them all")
    void everyRoleOfARegionRunsAndStops() throws Exception {
        try (OneRegion region = OneRegion.start("deployment_it")) {
            OutpostConfig config = OutpostConfig.parse(ONE_REGION, region.addresses()::get);
            String storeDb = region.storeDb();
            int gatewayPort = region.gatewayPort();

            String base = "http://localhost:" + gatewayPort;
            try (Deployment deployment = Deployment.start(config, "solo", EnumSet.allOf(Deployment.Role.class))) {
                assertThat(deployment.describe()).isEqualTo("capture of source deployment_it, projector, gateway on "
                        + base + ", monitor");
                await().alias("the monitor finds region solo UP, and the gateway shows it").atMost(60, SECONDS)
                        .pollInterval(Duration.ofMillis(250)).untilAsserted(() -> {
                            JsonNode regions = JSON.readTree(get(base + "/outpost/v1/regions").body()).path("regions");
                            assertThat(regions.get(0).path("state").asText()).isEqualTo("UP");
                        });
                HttpResponse<String> placed = HTTP.send(HttpRequest.newBuilder(URI.create(base + "/orders"))
                        .POST(HttpRequest.BodyPublishers.ofString("{\"customer_id\": 1, \"lines\": [{\"product_id\": 2, \"qty\": 1}]}"))
                        .header("Content-Type", "application/json").build(), HttpResponse.BodyHandlers.ofString());
                assertThat(placed.statusCode()).as(placed.body()).isEqualTo(201);
                assertThat(placed.headers().firstValue("Outpost-Token")).isPresent();
                long id = JSON.readTree(placed.body()).path("id").asLong();
                try (var c = java.sql.DriverManager.getConnection(storeDb); var s = c.createStatement()) {
                    await().alias("order " + id + " in the replica").atMost(30, SECONDS).until(() -> {
                        try (var rs = s.executeQuery("SELECT count(*) FROM replica_deployment_it.orders WHERE id = " + id)) {
                            return rs.next() && rs.getLong(1) == 1;
                        } catch (java.sql.SQLException e) {
                            return false;
                        }
                    });
                }
            }
            assertThat(org.assertj.core.api.Assertions.catchThrowable(() -> get(base + "/outpost/health")))
                    .as("the gateway stopped with the deployment").isInstanceOf(ConnectException.class);
        }
    }

    /**
     * What a one-region deployment runs against: the example shop seeded in a database of its own,
     * a store database, and a free port for the gateway, all named after {@code name}.
     */
    record OneRegion(ShopServer shop, String storeDb, int gatewayPort, Map<String, String> addresses) implements AutoCloseable {

        static OneRegion start(String name) throws Exception {
            EmbeddedPostgres postgres = EmbeddedPostgres.shared();
            String shopDb = postgres.createDatabase(name);
            String storeDb = postgres.createDatabase(name + "_store");
            int gatewayPort = Ports.free();
            ShopServer shop = ShopServer.start(new ShopServer.Settings(shopDb, EmbeddedPostgres.SUPERUSER, "", "localhost",
                    Ports.free()));
            ShopData.seed(shop.dataSource(), 5, 5, 5, 7);
            return new OneRegion(shop, storeDb, gatewayPort, Map.of("SOURCE_NAME", name, "SHOP_DB_URL", shopDb,
                    "KAFKA_BOOTSTRAP", EmbeddedKafka.shared().bootstrapServers(), "SHOP_URL", shop.url(), "STORE_URL", storeDb,
                    "GATEWAY_URL", "http://localhost:" + gatewayPort));
        }

        @Override
        public void close() {
            shop.close();
        }
    }

    private static HttpResponse<String> get(String url) throws Exception {
        return HTTP.send(HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(10)).GET().build(),
                HttpResponse.BodyHandlers.ofString());
    }
}

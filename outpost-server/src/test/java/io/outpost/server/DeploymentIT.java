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

    @Test
    @DisplayName("one registry holds every role's metrics; a projector stopped by a view failure turns the process's "
            + "health DOWN, naming the view, on its management address")
    void metricsOfEveryRoleAndHealthDownOnAViewFailure() throws Exception {
        try (OneRegion region = OneRegion.start("deployment_health_it")) {
            OutpostConfig config = OutpostConfig.parse(ONE_REGION + """
                    views:
                      stock_ratio:
                        key: id
                        sql: SELECT p.id, 100 / (p.stock - 4242) AS ratio FROM products p
                        changes:
                          products: id
                    """, region.addresses()::get);
            try (Deployment deployment = Deployment.start(config, "solo", EnumSet.allOf(Deployment.Role.class));
                 Management management = Management.start("127.0.0.1", 0, deployment::health, deployment.registry())) {
                String base = "http://localhost:" + region.gatewayPort();
                await().alias("the monitor finds region solo UP").atMost(60, SECONDS).pollInterval(Duration.ofMillis(250))
                        .untilAsserted(() -> assertThat(JSON.readTree(get(base + "/outpost/v1/regions").body())
                                .path("regions").get(0).path("state").asText()).isEqualTo("UP"));
                HttpResponse<String> healthy = get(management.url() + "/outpost/health");
                assertThat(healthy.statusCode()).as(healthy.body()).isEqualTo(200);
                assertThat(JSON.readTree(healthy.body()).path("roles")).extracting(r -> r.path("role").asText())
                        .containsExactly("capture", "projector", "gateway", "monitor");

                await().alias("every role's metrics on the management address").atMost(30, SECONDS)
                        .pollInterval(Duration.ofMillis(250)).untilAsserted(() -> assertThat(get(management.url()
                                + "/outpost/metrics").body())
                                .contains("outpost_capture_state{source=\"deployment_health_it\",state=\"RUNNING\"} 1")
                                .contains("outpost_capture_transactions_total{source=\"deployment_health_it\"}")
                                .contains("outpost_capture_slot_lag_bytes{source=\"deployment_health_it\"}")
                                .contains("outpost_freshness_stage_seconds_bucket{region=\"\",source=\"deployment_health_it\","
                                        + "stage=\"published\"")
                                .contains("outpost_projector_state{region=\"solo\",state=\"RUNNING\"} 1")
                                .contains("outpost_projector_apply_seconds_count{region=\"solo\"}")
                                .contains("outpost_projector_watermark_lag_seconds{region=\"solo\"}")
                                .contains("stage=\"polled\"").contains("stage=\"applied\"")
                                .contains("outpost_monitor_probes_seconds_count{of=\"solo\",outcome=\"up\",region=\"solo\"}")
                                .contains("outpost_monitor_region_state{of=\"solo\",region=\"solo\"} 0")
                                .contains("outpost_alarms_total{region=\"solo\"}")
                                .contains("outpost_region_state{of=\"solo\",region=\"solo\"} 0")
                                .contains("resilience4j_circuitbreaker_state")
                                .contains("jvm_memory_used_bytes"));
                assertThat(get(base + "/outpost/metrics").body()).as("the gateway's scrape is the process's registry")
                        .contains("outpost_projector_state{region=\"solo\",state=\"RUNNING\"} 1");

                try (var c = java.sql.DriverManager.getConnection(region.addresses().get("SHOP_DB_URL"));
                     var s = c.createStatement()) {
                    s.executeUpdate("UPDATE products SET stock = 4242 WHERE id = 1");
                }
                await().alias("the process's health DOWN, naming the view").atMost(60, SECONDS)
                        .pollInterval(Duration.ofMillis(250)).untilAsserted(() -> {
                            HttpResponse<String> down = get(management.url() + "/outpost/health");
                            assertThat(down.statusCode()).as(down.body()).isEqualTo(503);
                            JsonNode body = JSON.readTree(down.body());
                            assertThat(body.path("status").asText()).isEqualTo("DOWN");
                            assertThat(body.path("reasons").get(0).asText()).startsWith("projector of region solo FAILED: ")
                                    .contains("view stock_ratio failed for key 1").contains("division by zero");
                        });
                assertThat(get(management.url() + "/outpost/metrics").body())
                        .contains("outpost_projector_state{region=\"solo\",state=\"FAILED\"} 1");
            }
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

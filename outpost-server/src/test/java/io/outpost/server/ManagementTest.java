package io.outpost.server;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.outpost.runtime.Meters;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

class ManagementTest {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();

    @Test
    @DisplayName("the management address serves the process's health (503 DOWN naming the failed role) and its metrics; "
            + "anything else is a problem+json 404 or 405")
    void servesHealthAndMetrics() throws Exception {
        Deployment.Health up = new Deployment.Health(Deployment.Health.Status.UP,
                List.of(new Deployment.Health.Role("projector", "RUNNING", null)), List.of());
        Deployment.Health down = new Deployment.Health(Deployment.Health.Status.DOWN,
                List.of(new Deployment.Health.Role("projector", "FAILED", "view totals failed for key 2")),
                List.of("projector of region eu-west FAILED: view totals failed for key 2"));
        AtomicReference<Deployment.Health> health = new AtomicReference<>(up);
        PrometheusMeterRegistry registry = Meters.processRegistry();
        registry.counter("outpost.test.events").increment();
        try (Management management = Management.start("127.0.0.1", 0, health::get, registry)) {
            String base = management.url();
            assertThat(base).startsWith("http://127.0.0.1:");

            HttpResponse<String> healthy = get(base + "/outpost/health");
            assertThat(healthy.statusCode()).isEqualTo(200);
            assertThat(JSON.readTree(healthy.body()).path("status").asText()).isEqualTo("UP");

            health.set(down);
            HttpResponse<String> failed = get(base + "/outpost/health");
            assertThat(failed.statusCode()).isEqualTo(503);
            JsonNode body = JSON.readTree(failed.body());
            assertThat(body.path("status").asText()).isEqualTo("DOWN");
            assertThat(body.path("reasons").get(0).asText()).contains("view totals");
            assertThat(body.path("roles").get(0).path("state").asText()).isEqualTo("FAILED");

            HttpResponse<String> metrics = get(base + "/outpost/metrics");
            assertThat(metrics.statusCode()).isEqualTo(200);
            assertThat(metrics.headers().firstValue("Content-Type").orElseThrow()).startsWith("text/plain");
            assertThat(metrics.body()).contains("outpost_test_events_total 1").contains("jvm_memory_used_bytes")
                    .contains("process_cpu_usage");

            HttpResponse<String> missing = get(base + "/outpost/v1/regions");
            assertThat(missing.statusCode()).isEqualTo(404);
            assertThat(missing.headers().firstValue("Content-Type").orElseThrow()).isEqualTo("application/problem+json");
            assertThat(JSON.readTree(missing.body()).path("detail").asText()).contains("/outpost/health and /outpost/metrics");

            assertThat(get(base + "/outpost/").statusCode()).as("no gateway here: no dashboard").isEqualTo(404);

            HttpResponse<String> posted = HTTP.send(HttpRequest.newBuilder(URI.create(base + "/outpost/health"))
                    .POST(HttpRequest.BodyPublishers.noBody()).build(), HttpResponse.BodyHandlers.ofString());
            assertThat(posted.statusCode()).isEqualTo(405);
            assertThat(posted.headers().firstValue("Allow").orElseThrow()).isEqualTo("GET, HEAD");
        }
    }

    private static HttpResponse<String> get(String url) throws Exception {
        return HTTP.send(HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(10)).GET().build(),
                HttpResponse.BodyHandlers.ofString());
    }

    @Test
    @DisplayName("a process with a gateway serves its dashboard on the management address too, with no token")
    void servesTheDashboardOfItsGateway() throws Exception {
        Deployment.Health up = new Deployment.Health(Deployment.Health.Status.UP,
                List.of(new Deployment.Health.Role("gateway", "RUNNING", null)), List.of());
        java.util.function.Function<String, java.util.Optional<io.outpost.gateway.Gateway.Served>> dashboard = path ->
                switch (path) {
                    case "/outpost/" -> java.util.Optional.of(new io.outpost.gateway.Gateway.Served("text/html; charset=utf-8",
                            "<title>Outpost</title>".getBytes(java.nio.charset.StandardCharsets.UTF_8)));
                    case "/outpost/v1/dashboard" -> java.util.Optional.of(new io.outpost.gateway.Gateway.Served("application/json",
                            "{\"region\": \"eu-west\"}".getBytes(java.nio.charset.StandardCharsets.UTF_8)));
                    default -> java.util.Optional.empty();
                };
        try (Management management = Management.start("127.0.0.1", 0, () -> up, Meters.processRegistry(), dashboard)) {
            HttpResponse<String> page = get(management.url() + "/outpost/");
            assertThat(page.statusCode()).isEqualTo(200);
            assertThat(page.headers().firstValue("Content-Type")).hasValue("text/html; charset=utf-8");
            assertThat(page.body()).contains("<title>Outpost</title>");
            HttpResponse<String> figures = get(management.url() + "/outpost/v1/dashboard");
            assertThat(JSON.readTree(figures.body()).path("region").asText()).isEqualTo("eu-west");
            assertThat(figures.headers().firstValue("Cache-Control")).hasValue("no-store");
            assertThat(get(management.url() + "/outpost/health").statusCode()).isEqualTo(200);
            assertThat(get(management.url() + "/outpost/v1/regions").statusCode()).isEqualTo(404);
        }
    }
}

package io.outpost.it;

import static java.util.concurrent.TimeUnit.SECONDS;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.outpost.it.topology.OutpostProcess;
import io.outpost.it.topology.Topology;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.sql.Connection;
import java.sql.Statement;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.openqa.selenium.By;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.chrome.ChromeDriver;

/**
 * What an operator sees of a deployment where every role runs as an {@code outpost run} process of
 * its own: each process's management address, its health (DOWN naming a failed view) and its role's
 * metrics, its log as JSON lines; the built-in
 * dashboard in a real browser (headless Chromium: Debian's {@code chromium} and
 * {@code chromium-driver}; without them that test says so and is skipped).
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class ObservabilityIT {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();

    /** The metrics each role's process must show (README's metrics table), by role. */
    private static final Map<String, List<String>> ROLE_METRICS = Map.of(
            "capture", List.of("outpost_capture_state{source=\"shop\",state=\"RUNNING\"} 1",
                    "outpost_capture_transactions_total", "outpost_capture_rows_total", "outpost_capture_attempts_total",
                    "outpost_capture_slot_lag_bytes", "outpost_freshness_stage_seconds_count{region=\"\",source=\"shop\",stage=\"published\"}"),
            "projector", List.of("outpost_projector_state{region=\"%s\",state=\"RUNNING\"} 1", "outpost_projector_batches_total",
                    "outpost_projector_rows_total", "outpost_projector_transactions_total", "outpost_projector_apply_seconds_count",
                    "outpost_projector_watermark_lag_seconds", "outpost_projector_view_keys_total",
                    "outpost_projector_view_recompute_seconds_count", "stage=\"polled\"", "stage=\"applied\""),
            "gateway", List.of("outpost_http_requests_seconds_count", "outpost_watermark_staleness_seconds",
                    "outpost_watermark_connected", "outpost_region_state{of=\"us-east\",region=\"%s\"} 0", "stage=\"notified\"",
                    "outpost_alarms_total", "resilience4j_circuitbreaker_state", "resilience4j_bulkhead_available_concurrent_calls"),
            "monitor", List.of("outpost_monitor_probes_seconds_count{of=\"eu-west\",outcome=\"up\",region=\"%s\"}",
                    "outpost_monitor_region_state{of=\"ap-south\",region=\"%s\"} 0", "outpost_monitor_canary_seconds_count"));

    private static Topology topology;

    @BeforeAll
    static void start() {
        topology = Topology.builder("observability_it").shape(Topology.Shape.PROCESS_PER_ROLE).jsonLogs().start();
        topology.awaitEveryRegionUp(Duration.ofSeconds(90));
    }

    @AfterAll
    static void stop() {
        if (topology != null) {
            topology.close();
        }
    }

    @Test
    @Order(1)
    @DisplayName("every outpost run process, whatever its role, serves its health and its role's metrics (and no other "
            + "role's) on its management address")
    void everyProcessServesItsRolesMetrics() throws Exception {
        try (Connection c = topology.shopDatabase().getConnection(); Statement s = c.createStatement()) {
            s.executeUpdate("UPDATE products SET stock = stock + 1 WHERE id = 1"); // a source transaction on its way
        }
        String readme = Files.readString(Path.of("..", "README.md"));
        for (List<String> expected : ROLE_METRICS.values()) {
            for (String metric : expected) {
                String name = metric.contains("{") ? metric.substring(0, metric.indexOf('{')) : metric;
                if (name.startsWith("outpost_")) {
                    assertThat(readme).as("the README's metrics table names " + name)
                            .containsPattern("`" + java.util.regex.Pattern.quote(name.replaceAll("_count$", "")) + "[`{]");
                }
            }
        }
        for (OutpostProcess process : topology.processes()) {
            if (process.name().equals("shop")) {
                continue;
            }
            String role = process.name().equals("capture") ? "capture" : process.name().substring(process.name().lastIndexOf('-') + 1);
            String region = role.equals("capture") ? null : process.name().substring(0, process.name().lastIndexOf('-'));
            String base = process.managementUrl();

            // --log-format json: its log file's lines are JSON objects naming the process's region and role (the file
            // is appended to across runs of this test in one tree: the lines of this run are those after its last start)
            List<String> lines = Files.readAllLines(topology.directory().resolve(process.name() + ".log"));
            int start = -1;
            for (int i = 0; i < lines.size(); i++) {
                if (lines.get(i).startsWith("{") && JSON.readTree(lines.get(i)).path("message").asText().startsWith("started ")) {
                    start = i;
                }
            }
            assertThat(start).as(process.name() + "'s log has its start as a JSON line").isNotNegative();
            for (String line : lines.subList(start, lines.size() - 1)) { // the last may be being written
                JsonNode logged = JSON.readTree(line);
                assertThat(logged.path("message").isTextual()).as(line).isTrue();
                assertThat(logged.path("roles").asText()).as(line).isEqualTo(role);
                if (region != null) {
                    assertThat(logged.path("region").asText()).as(line).isEqualTo(region);
                }
            }

            // a gateway's process serves its dashboard on its management address as well (no token asked there)
            HttpResponse<String> dashboard = get(base + "/outpost/v1/dashboard");
            if (role.equals("gateway")) {
                assertThat(dashboard.statusCode()).as(process.name() + ": " + dashboard.body()).isEqualTo(200);
                assertThat(JSON.readTree(dashboard.body()).path("regions").size()).as(process.name()).isEqualTo(3);
                assertThat(get(base + "/outpost/").body()).as(process.name()).contains("<title>Outpost</title>");
            } else {
                assertThat(dashboard.statusCode()).as(process.name() + " has no gateway, so no dashboard").isEqualTo(404);
            }

            HttpResponse<String> health = get(base + "/outpost/health");
            assertThat(health.statusCode()).as(process.name() + ": " + health.body()).isEqualTo(200);
            JsonNode body = JSON.readTree(health.body());
            assertThat(body.path("status").asText()).as(process.name()).isEqualTo("UP");
            assertThat(body.path("roles")).extracting(r -> r.path("role").asText()).as(process.name()).containsExactly(role);

            await().alias(process.name() + "'s metrics").atMost(30, SECONDS).pollInterval(Duration.ofMillis(500))
                    .untilAsserted(() -> {
                        String metrics = get(base + "/outpost/metrics").body();
                        for (String expected : ROLE_METRICS.get(role)) {
                            assertThat(metrics).as(process.name()).contains(expected.replace("%s", String.valueOf(region)));
                        }
                        assertThat(metrics).as(process.name() + ": JVM and process metrics").contains("jvm_memory_used_bytes")
                                .contains("process_cpu_usage");
                        for (String other : ROLE_METRICS.keySet()) {
                            if (!other.equals(role)) {
                                assertThat(metrics).as(process.name() + " shows no " + other + " metrics")
                                        .doesNotContain("outpost_" + other + "_");
                            }
                        }
                    });
        }
    }

    @Test
    @Order(2)
    @DisplayName("the dashboard in headless Chromium: no console errors, three regions UP, then a region DOWN after its "
            + "gateway stops; screenshots under target/")
    void theDashboardShowsEveryRegionAndARegionThatGoesDown() throws Exception {
        ChromeDriver browser = HeadlessChromium.start();
        try {
            // us-east reaches the source (its link to the monolith), so its dashboard shows capture too
            browser.get(topology.gatewayUrl("us-east") + "/outpost/");
            await().alias("the dashboard shows every region UP").atMost(60, SECONDS).pollInterval(Duration.ofMillis(500))
                    .untilAsserted(() -> {
                        for (String region : topology.regions()) {
                            assertThat(stateShown(browser, region)).as(region).isEqualTo("UP");
                        }
                    });
            assertThat(browser.findElements(By.cssSelector("#regions tbody tr"))).hasSize(3);
            await().alias("the dashboard shows capture streaming").atMost(30, SECONDS).pollInterval(Duration.ofMillis(500))
                    .untilAsserted(() -> assertThat(browser.findElements(By.cssSelector("#capture [data-field='capture']")))
                            .singleElement().extracting(WebElement::getText).isEqualTo("streaming"));
            assertThat(browser.findElements(By.cssSelector("#views tr[data-view]"))).hasSize(3);
            // the gateway samples staleness itself: a page opened now draws the minutes before it
            JsonNode dashboard = JSON.readTree(get(topology.gatewayUrl("us-east") + "/outpost/v1/dashboard").body());
            assertThat(dashboard.path("staleness_history").size()).as("staleness samples").isGreaterThanOrEqualTo(2);
            assertThat(dashboard.path("capture").path("slot").asText()).isEqualTo(topology.config().source().slot());
            HeadlessChromium.screenshot(browser, "dashboard-every-region-up.png");

            topology.process("ap-south-gateway").stop();
            await().alias("the dashboard shows ap-south DOWN").atMost(60, SECONDS).pollInterval(Duration.ofMillis(500))
                    .untilAsserted(() -> assertThat(stateShown(browser, "ap-south")).isEqualTo("DOWN"));
            assertThat(stateShown(browser, "us-east")).isEqualTo("UP");
            HeadlessChromium.screenshot(browser, "dashboard-ap-south-down.png");

            assertThat(HeadlessChromium.consoleErrors(browser)).as("the browser console's errors").isEmpty();
        } catch (AssertionError | RuntimeException e) {
            HeadlessChromium.keepEvidence(browser, "dashboard-failed");
            throw e;
        } finally {
            browser.quit();
            if (!topology.process("ap-south-gateway").alive()) {
                topology.process("ap-south-gateway").start();
            }
        }
    }

    @Test
    @Order(3)
    @DisplayName("a projector process stopped by a view failure: its health is DOWN (503) naming the view; fixed and "
            + "restarted, UP again")
    void aViewFailureTurnsTheProjectorsProcessDown() throws Exception {
        OutpostProcess projector = topology.process("us-east-projector");
        io.outpost.core.config.RegionConfig.Store store = topology.config().regions().get("us-east").store();
        // from now on no order document can be written in us-east (what a view whose SQL fails for a key does)
        try (Connection c = java.sql.DriverManager.getConnection(store.url(), store.user(), store.password());
             Statement s = c.createStatement()) {
            s.execute("ALTER TABLE views.orders ADD CONSTRAINT observability_it_broken CHECK (doc ? 'never') NOT VALID");
        }
        try {
            try (Connection c = topology.shopDatabase().getConnection(); Statement s = c.createStatement()) {
                s.executeUpdate("UPDATE orders SET status = 'PAID' WHERE id = (SELECT min(id) FROM orders WHERE status = 'PLACED')");
            }
            await().alias("us-east's projector process DOWN, naming the view").atMost(60, SECONDS)
                    .pollInterval(Duration.ofMillis(500)).untilAsserted(() -> {
                        HttpResponse<String> health = get(projector.managementUrl() + "/outpost/health");
                        assertThat(health.statusCode()).as(health.body()).isEqualTo(503);
                        JsonNode body = JSON.readTree(health.body());
                        assertThat(body.path("status").asText()).isEqualTo("DOWN");
                        assertThat(body.path("reasons").get(0).asText()).startsWith("projector of region us-east FAILED: ")
                                .contains("view orders failed for key").contains("observability_it_broken");
                    });
            assertThat(get(projector.managementUrl() + "/outpost/metrics").body())
                    .contains("outpost_projector_state{region=\"us-east\",state=\"FAILED\"} 1");
        } finally {
            try (Connection c = java.sql.DriverManager.getConnection(store.url(), store.user(), store.password());
                 Statement s = c.createStatement()) {
                s.execute("ALTER TABLE views.orders DROP CONSTRAINT observability_it_broken");
            }
            projector.stop();
            projector.start();
        }
        await().alias("us-east's projector process UP again").atMost(60, SECONDS).pollInterval(Duration.ofMillis(500))
                .untilAsserted(() -> assertThat(get(projector.managementUrl() + "/outpost/health").statusCode()).isEqualTo(200));
    }

    private static String stateShown(ChromeDriver browser, String region) {
        List<WebElement> state = browser.findElements(By.cssSelector("#regions tr[data-region='" + region
                + "'] [data-field='state']"));
        return state.isEmpty() ? "" : state.getFirst().getText();
    }


    private static HttpResponse<String> get(String url) throws Exception {
        return HTTP.send(HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(10)).GET().build(),
                HttpResponse.BodyHandlers.ofString());
    }
}

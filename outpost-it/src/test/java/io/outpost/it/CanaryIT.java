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
import io.outpost.core.config.HealthConfig;
import io.outpost.core.config.KafkaAccess;
import io.outpost.core.config.OutpostConfig;
import io.outpost.core.region.Observation;
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
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.sql.Connection;
import java.sql.DriverManager;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentLinkedQueue;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The canary (ARCHITECTURE.md §3.5): each monitor writes fences through its own region's command
 * path and measures commit → visible in every region; the figures travel with the observations and
 * show in every gateway's {@code /outpost/v1/regions}; a region whose projector stops shows fences
 * no more and turns DEGRADED, its monitors saying why. The example deployment in this JVM, with
 * {@code health.max-lag} of 3 s and a fence every 300 ms.
 */
class CanaryIT {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final List<String> REGIONS = List.of("us-east", "eu-west", "ap-south");
    private static final Duration MAX_LAG = Duration.ofSeconds(3);

    private static ShopServer shop;
    private static OutpostConfig config;
    private static Capture capture;
    private static final Map<String, Projector> PROJECTORS = new LinkedHashMap<>();
    private static final Map<String, Gateway> GATEWAYS = new LinkedHashMap<>();
    private static final Map<String, RegionWatch> WATCHES = new LinkedHashMap<>();
    private static final List<AutoCloseable> CLOSE = new ArrayList<>();
    private static final ConcurrentLinkedQueue<Observation> OBSERVED = new ConcurrentLinkedQueue<>();
    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    @BeforeAll
    static void start() throws Exception {
        String shopUrl = EmbeddedPostgres.shared().createDatabase("canary_it");
        shop = ShopServer.start(new ShopServer.Settings(shopUrl, EmbeddedPostgres.SUPERUSER, "", "localhost", Ports.free()));
        ShopData.seed(shop.dataSource(), 10, 10, 20, 3);
        Map<String, String> addresses = ProjectionIT.addresses("canary_it", shopUrl);
        addresses.put("SHOP_URL", shop.url());
        for (String region : REGIONS) {
            addresses.put("GATEWAY_" + region.replace('-', '_').toUpperCase(java.util.Locale.ROOT) + "_URL",
                    "http://localhost:" + Ports.free());
        }
        OutpostConfig example = ExampleConfig.of("canary_it", addresses);
        // patient probes (one JVM, two cores), a short max-lag so that a stopped projector shows within seconds
        HealthConfig health = new HealthConfig(Duration.ofSeconds(1), Duration.ofSeconds(1), 3, 2, Duration.ofSeconds(5),
                List.of(), MAX_LAG, Duration.ofMillis(300));
        config = example.withHealth(health);
        capture = Capture.start(CaptureSettings.of(config));
        KafkaAccess kafka = config.log().access();
        RegionStateTopic.ensure(kafka);
        for (String region : REGIONS) {
            PROJECTORS.put(region, Projector.start(ProjectorSettings.of(config, region)));
            WATCHES.put(region, RegionWatch.start(kafka, region, REGIONS, config.health(), Clock.systemUTC()));
            GATEWAYS.put(region, Gateway.start(GatewaySettings.of(config, region).withHost("localhost")
                    .withRegionStates(WATCHES.get(region))));
        }
        try (Connection c = DriverManager.getConnection(shopUrl)) {
            ProjectionIT.awaitRegions(config, ConsistencyChecker.currentPosition(c));
        }
        CLOSE.add(RegionStateTopic.Reader.start(kafka, "canary-it-observations", OBSERVED::add));
        RegionStateTopic.Publisher publisher = RegionStateTopic.Publisher.open(kafka, "canary-it-monitors");
        CLOSE.add(publisher);
        Map<String, URI> gateways = new LinkedHashMap<>();
        REGIONS.forEach(r -> gateways.put(r, URI.create(config.regions().get(r).gateway().url())));
        for (String region : REGIONS) {
            CLOSE.add(Monitor.start(region, gateways, config.health(), publisher::publish, Clock.systemUTC()));
        }
        await().alias("every region UP as every watch sees it").atMost(30, SECONDS).until(() -> WATCHES.values().stream()
                .allMatch(w -> w.states().values().stream().allMatch(h -> h == RegionHealth.UP)));
    }

    @AfterAll
    static void stop() throws Exception {
        for (AutoCloseable closeable : CLOSE.reversed()) {
            closeable.close();
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
    }

    @Test
    void everyGatewayShowsCommitToVisibleForEveryPairOfRegions() {
        await().alias("canary figures for every (writer, region) pair in every gateway").atMost(30, SECONDS)
                .pollInterval(Duration.ofMillis(500)).untilAsserted(() -> {
                    for (String gateway : REGIONS) {
                        JsonNode regions = JSON.readTree(get(gateway, "/outpost/v1/regions").body()).path("regions");
                        for (JsonNode region : regions) {
                            JsonNode canary = region.path("canary");
                            assertThat(names(canary)).as(gateway + "'s view of " + region.path("name").asText())
                                    .containsExactlyInAnyOrderElementsOf(REGIONS);
                            for (JsonNode figures : canary) {
                                assertThat(figures.path("count").asInt()).isPositive();
                                assertThat(figures.path("p99_ms").asLong()).isGreaterThanOrEqualTo(figures.path("p50_ms").asLong());
                                assertThat(figures.path("max_ms").asLong()).isGreaterThanOrEqualTo(figures.path("p99_ms").asLong());
                                assertThat(figures.path("freshness_ms").asLong()).isLessThanOrEqualTo(MAX_LAG.toMillis());
                            }
                        }
                    }
                });
    }

    @Test
    void aCanaryFenceTakesTheCommandRouteAndEveryRegionShowsIt() throws Exception {
        // eu-west has no link to the monolith: its canary goes the way its commands go, through us-east
        HttpResponse<String> written = HTTP.send(HttpRequest.newBuilder(URI.create(GATEWAYS.get("eu-west").url()
                + "/outpost/v1/canary")).POST(HttpRequest.BodyPublishers.noBody()).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(written.statusCode()).as(written.body()).isEqualTo(200);
        assertThat(written.headers().firstValue("Outpost-Route")).hasValue("us-east");
        String token = JSON.readTree(written.body()).path("token").asText();
        for (String region : REGIONS) {
            JsonNode seen = JSON.readTree(get(region, "/outpost/v1/canary/" + token + "?wait_ms=10000").body());
            assertThat(seen.path("reached").asBoolean()).as(region + ": " + seen).isTrue();
        }
        HttpResponse<String> bad = get("us-east", "/outpost/v1/canary/not-a-token");
        assertThat(bad.statusCode()).isEqualTo(400);
        assertThat(JSON.readTree(bad.body()).path("type").asText()).isEqualTo("urn:outpost:problem:invalid-token");
        HttpResponse<String> tooLong = get("us-east", "/outpost/v1/canary/" + token + "?wait_ms=600000");
        assertThat(tooLong.statusCode()).isEqualTo(400);
        assertThat(JSON.readTree(tooLong.body()).path("type").asText()).isEqualTo("urn:outpost:problem:invalid-wait");
    }

    @Test
    void aRegionWhoseProjectorStopsIsDegradedByItsCanaryAndRecovers() throws Exception {
        OBSERVED.clear();
        PROJECTORS.remove("ap-south").close();
        try {
            await().alias("ap-south DEGRADED as us-east's watch sees it").atMost(30, SECONDS)
                    .until(() -> WATCHES.get("us-east").state("ap-south") == RegionHealth.DEGRADED);
            // its gateway's own staleness check may say so a moment before the canary passes max-lag too
            await().alias("an observation of ap-south naming the canary").atMost(10, SECONDS)
                    .untilAsserted(() -> assertThat(OBSERVED).anySatisfy(o -> {
                        assertThat(o.region()).isEqualTo("ap-south");
                        assertThat(o.health()).isEqualTo(RegionHealth.DEGRADED);
                        assertThat(o.detail()).contains("canary: a fence written through region")
                                .contains("more than health.max-lag (3000 ms)");
                        assertThat(o.canary().freshnessMs()).isGreaterThan(MAX_LAG.toMillis());
                    }));
            assertThat(WATCHES.get("us-east").state("eu-west")).as("the others show fences in time").isEqualTo(RegionHealth.UP);
        } finally {
            PROJECTORS.put("ap-south", Projector.start(ProjectorSettings.of(config, "ap-south")));
        }
        await().alias("ap-south UP again").atMost(60, SECONDS)
                .until(() -> WATCHES.values().stream().allMatch(w -> w.state("ap-south") == RegionHealth.UP));
    }

    private static List<String> names(JsonNode object) {
        List<String> names = new ArrayList<>();
        object.fieldNames().forEachRemaining(names::add);
        return names;
    }

    private static HttpResponse<String> get(String region, String path) throws Exception {
        return HTTP.send(HttpRequest.newBuilder(URI.create(GATEWAYS.get(region).url() + path)).GET()
                .timeout(Duration.ofSeconds(20)).build(), HttpResponse.BodyHandlers.ofString());
    }
}

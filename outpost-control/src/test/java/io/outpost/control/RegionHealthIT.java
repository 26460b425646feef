package io.outpost.control;

import static io.outpost.core.region.RegionHealth.DEGRADED;
import static io.outpost.core.region.RegionHealth.DOWN;
import static io.outpost.core.region.RegionHealth.UP;
import static java.util.concurrent.TimeUnit.SECONDS;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpServer;
import io.outpost.core.config.HealthConfig;
import io.outpost.core.config.KafkaAccess;
import io.outpost.core.region.Drain;
import io.outpost.core.region.Observation;
import io.outpost.core.region.RegionHealth;
import io.outpost.embedded.EmbeddedKafka;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/**
 * Three regions, a monitor and a watch in each, over the real region-state topic: each region's
 * health endpoint is a real HTTP server on a port of its own whose answer the test sets (or which
 * it stops), and a webhook receiver records the alarms.
 */
class RegionHealthIT {

    private static final List<String> REGIONS = List.of("us-east", "eu-west", "ap-south");
    private static final ObjectMapper JSON = new ObjectMapper();

    /** A region's /outpost/health: answers with {@link #status}, or not at all once stopped. */
    private static final class FakeRegion {
        final HttpServer server;
        volatile String status = "UP";
        volatile String configHash = "0123456789abcdef";

        FakeRegion() throws IOException {
            server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
            server.createContext("/outpost/health", exchange -> {
                String reasons = "DEGRADED".equals(status) ? "[\"the monolith's breaker is open\"]" : "[]";
                byte[] body = ("{\"status\":\"" + status + "\",\"reasons\":" + reasons + ",\"config_hash\":\"" + configHash
                        + "\"}").getBytes(StandardCharsets.UTF_8);
                exchange.getResponseHeaders().add("Content-Type", "application/json");
                exchange.sendResponseHeaders("DOWN".equals(status) ? 503 : 200, body.length);
                try (OutputStream out = exchange.getResponseBody()) {
                    out.write(body);
                }
            });
            server.start();
        }

        URI url() {
            return URI.create("http://127.0.0.1:" + server.getAddress().getPort());
        }
    }

    private final List<AutoCloseable> open = new ArrayList<>();
    private final List<JsonNode> alarms = new CopyOnWriteArrayList<>();

    @AfterEach
    void close() throws Exception {
        for (AutoCloseable c : open.reversed()) {
            c.close();
        }
    }

    private HttpServer webhook() throws IOException {
        HttpServer server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        server.createContext("/alarms", exchange -> {
            alarms.add(JSON.readTree(exchange.getRequestBody().readAllBytes()));
            exchange.sendResponseHeaders(204, -1);
            exchange.close();
        });
        server.start();
        open.add(() -> server.stop(0));
        return server;
    }

    @Test
    @DisplayName("an operator's drain reaches every watch, a watch started later included (it outlives restarts), "
            + "and outpost status's snapshot; an undrain lifts it")
    void aDrainReachesEveryWatchAndOutlivesRestarts() throws Exception {
        // a deployment of its own on the shared broker: its region-state topic is drain_it.regions
        KafkaAccess bootstrap = KafkaAccess.plaintext(EmbeddedKafka.shared().bootstrapServers()).withTopicPrefix("drain_it");
        RegionStateTopic.ensure(bootstrap);
        HealthConfig health = new HealthConfig(Duration.ofMillis(300), Duration.ofMillis(250), 2, 2, Duration.ofSeconds(2),
                List.of(), Duration.ofSeconds(30));
        List<String> regions = List.of("drill-a", "drill-b");
        RegionWatch early = RegionWatch.start(bootstrap, "drill-a", regions, health, Clock.systemUTC());
        open.add(early);
        try (RegionStateTopic.Publisher publisher = RegionStateTopic.Publisher.open(bootstrap, "region-health-it-drain")) {
            publisher.publish(new Drain("drill-b", true, Instant.now(), "ops@test", "maintenance"));
            await().alias("the running watch sees the drain").atMost(10, SECONDS)
                    .until(() -> early.drained().equals(Set.of("drill-b")));
            RegionWatch late = RegionWatch.start(bootstrap, "drill-b", regions, health, Clock.systemUTC());
            open.add(late);
            await().alias("a watch started after it sees it too").atMost(10, SECONDS)
                    .until(() -> late.drained().equals(Set.of("drill-b")));
            RegionStateTopic.Snapshot snapshot = RegionStateTopic.snapshot(bootstrap, regions, health.observationTtl(),
                    Duration.ofSeconds(10), Clock.systemUTC());
            assertThat(snapshot.drains().get("drill-b")).satisfies(drain -> {
                assertThat(drain.drained()).isTrue();
                assertThat(drain.by()).isEqualTo("ops@test");
                assertThat(drain.reason()).isEqualTo("maintenance");
            });

            assertThat(RegionStateTopic.snapshot(KafkaAccess.plaintext(EmbeddedKafka.shared().bootstrapServers()), regions,
                    health.observationTtl(), Duration.ofSeconds(10), Clock.systemUTC()).drains())
                    .as("another deployment's topic, outpost.regions, knows nothing of it").doesNotContainKey("drill-b");
            assertThat(RegionStateTopic.name(bootstrap)).isEqualTo("drain_it.regions");

            publisher.publish(new Drain("drill-b", false, Instant.now(), "ops@test", ""));
            await().alias("the undrain reaches both").atMost(10, SECONDS)
                    .until(() -> early.drained().isEmpty() && late.drained().isEmpty());
        }
    }

    @Test
    @DisplayName("every region's watch agrees on each region's state from the monitors' majority, and each change is an alarm")
    void everyWatchFollowsTheMajority() throws Exception {
        KafkaAccess bootstrap = KafkaAccess.plaintext(EmbeddedKafka.shared().bootstrapServers());
        RegionStateTopic.ensure(bootstrap);
        HttpServer hook = webhook();
        HealthConfig health = new HealthConfig(Duration.ofMillis(300), Duration.ofMillis(250), 2, 2, Duration.ofSeconds(2),
                List.of("http://127.0.0.1:" + hook.getAddress().getPort() + "/alarms"), Duration.ofSeconds(30));
        Map<String, FakeRegion> regions = new LinkedHashMap<>();
        Map<String, URI> gateways = new LinkedHashMap<>();
        for (String region : REGIONS) {
            FakeRegion fake = new FakeRegion();
            open.add(() -> fake.server.stop(0));
            regions.put(region, fake);
            gateways.put(region, fake.url());
        }
        RegionStateTopic.Publisher publisher = RegionStateTopic.Publisher.open(bootstrap, "region-health-it");
        open.add(publisher);
        List<Observation> published = new CopyOnWriteArrayList<>();
        open.add(RegionStateTopic.Reader.start(bootstrap, "region-health-it-reader", published::add));
        Map<String, RegionWatch> watches = new LinkedHashMap<>();
        for (String region : REGIONS) {
            open.add(Monitor.start(region, gateways, health, publisher::publish, Clock.systemUTC()));
            RegionWatch watch = RegionWatch.start(bootstrap, region, REGIONS, health, Clock.systemUTC());
            open.add(watch);
            watches.put(region, watch);
        }

        awaitEveryWatch(watches, "every region UP", Map.of("us-east", UP, "eu-west", UP, "ap-south", UP));
        await().alias("every region's configuration hash, as observed").atMost(10, SECONDS).until(() ->
                watches.get("eu-west").configHashes().equals(Map.of("us-east", "0123456789abcdef",
                        "eu-west", "0123456789abcdef", "ap-south", "0123456789abcdef")));
        regions.get("ap-south").configHash = "fedcba9876543210"; // ap-south restarted with another file
        await().alias("the drift shows").atMost(10, SECONDS).until(() ->
                "fedcba9876543210".equals(watches.get("us-east").configHashes().get("ap-south")));

        regions.get("eu-west").status = "DOWN";          // answers 503: its store is gone
        regions.get("ap-south").server.stop(0);         // answers nothing: connection refused
        regions.get("us-east").status = "DEGRADED";     // serves queries, its monolith breaker is open
        awaitEveryWatch(watches, "eu-west and ap-south DOWN, us-east DEGRADED",
                Map.of("us-east", DEGRADED, "eu-west", DOWN, "ap-south", DOWN));
        await().alias("every monitor's fresh observation of ap-south says DOWN and why").atMost(10, SECONDS)
                .untilAsserted(() -> assertThat(watches.get("us-east").observations("ap-south")).hasSize(3)
                        .allSatisfy(o -> {
                            assertThat(o.health()).isEqualTo(DOWN);
                            assertThat(o.detail()).isEqualTo("connection refused");
                        }));
        assertThat(watches.get("us-east").observations("eu-west"))
                .anySatisfy(o -> assertThat(o.detail()).isEqualTo("HTTP 503, status DOWN"));
        assertThat(watches.get("us-east").observations("us-east")).as("a DEGRADED region's reasons reach the observations")
                .anySatisfy(o -> assertThat(o.detail()).isEqualTo("HTTP 200, status DEGRADED: the monolith's breaker is open"));
        // while eu-west comes back, a monitor that has seen one good probe still says DOWN, and says why
        regions.get("eu-west").status = "UP";
        await().alias("a monitor published eu-west's first good probe while it still counted DOWN").atMost(10, SECONDS)
                .untilAsserted(() -> assertThat(published).anySatisfy(o -> {
                    assertThat(o.region()).isEqualTo("eu-west");
                    assertThat(o.health()).isEqualTo(DOWN);
                    assertThat(o.detail()).isEqualTo("HTTP 200, status UP; good probe 1 of 2 before UP");
                }));

        awaitEveryWatch(watches, "eu-west UP again", Map.of("us-east", DEGRADED, "eu-west", UP, "ap-south", DOWN));

        // us-east serves throughout (UP, then DEGRADED): its watch is the one that posts the others' changes
        await().alias("the webhook received eu-west's and ap-south's alarms, each once, from us-east's watch").atMost(10, SECONDS)
                .untilAsserted(() -> assertThat(alarms.stream().filter(a -> !a.path("region").asText().equals("us-east"))
                        .map(a -> a.path("region").asText() + " " + a.path("from").asText() + "→" + a.path("to").asText()
                                + " by " + a.path("observer").asText())
                        .toList()).containsExactlyInAnyOrder(
                                "eu-west UP→DOWN by us-east", "eu-west DOWN→UP by us-east", "ap-south UP→DOWN by us-east"));
        await().alias("and no second copy comes").during(2, SECONDS).atMost(5, SECONDS).until(() -> alarms.stream()
                .filter(a -> !a.path("region").asText().equals("us-east")).count() == 3);
        JsonNode down = alarms.stream().filter(a -> a.path("region").asText().equals("ap-south")
                && a.path("to").asText().equals("DOWN")).findFirst().orElseThrow();
        assertThat(down.path("observations").size()).isGreaterThanOrEqualTo(2);
        assertThat(alarms).as("a watch's first decision that a region serves is not posted")
                .noneMatch(a -> a.path("from").asText().equals("UNKNOWN") && !a.path("to").asText().equals("DOWN"));
        assertThat(watches.get("eu-west").alarmsRaised()).isGreaterThanOrEqualTo(6);
    }

    @Test
    @DisplayName("a monitor cut off from a healthy region (its probes get no answer) does not make it DOWN: the other "
            + "monitors' majority keeps it UP in every watch")
    void oneMonitorPartitionedDoesNotMakeARegionDown() throws Exception {
        KafkaAccess bootstrap = KafkaAccess.plaintext(EmbeddedKafka.shared().bootstrapServers()).withTopicPrefix("partition_it");
        RegionStateTopic.ensure(bootstrap);
        HealthConfig health = new HealthConfig(Duration.ofMillis(300), Duration.ofMillis(250), 2, 2, Duration.ofSeconds(2),
                List.of(), Duration.ofSeconds(30));
        Map<String, URI> gateways = new LinkedHashMap<>();
        for (String region : REGIONS) {
            FakeRegion fake = new FakeRegion();
            open.add(() -> fake.server.stop(0));
            gateways.put(region, fake.url());
        }
        // eu-west's monitor reaches us-east through a link that takes connections and never answers: a partition
        java.net.ServerSocket silent = new java.net.ServerSocket(0, 50, java.net.InetAddress.getLoopbackAddress());
        open.add(silent);
        List<java.net.Socket> held = new CopyOnWriteArrayList<>();
        Thread.ofVirtual().start(() -> {
            while (!silent.isClosed()) {
                try {
                    held.add(silent.accept());
                } catch (IOException e) {
                    return;
                }
            }
        });
        open.add(() -> held.forEach(socket -> {
            try {
                socket.close();
            } catch (IOException ignored) {
                // closing
            }
        }));
        Map<String, URI> cutOff = new LinkedHashMap<>(gateways);
        cutOff.put("us-east", URI.create("http://127.0.0.1:" + silent.getLocalPort()));
        RegionStateTopic.Publisher publisher = RegionStateTopic.Publisher.open(bootstrap, "region-health-it-partition");
        open.add(publisher);
        List<Observation> published = new CopyOnWriteArrayList<>();
        open.add(RegionStateTopic.Reader.start(bootstrap, "region-health-it-partition-reader", published::add));
        Map<String, RegionWatch> watches = new LinkedHashMap<>();
        for (String region : REGIONS) {
            open.add(Monitor.start(region, region.equals("eu-west") ? cutOff : gateways, health, publisher::publish,
                    Clock.systemUTC()));
            RegionWatch watch = RegionWatch.start(bootstrap, region, REGIONS, health, Clock.systemUTC());
            open.add(watch);
            watches.put(region, watch);
        }

        await().alias("eu-west's monitor says us-east is DOWN").atMost(15, SECONDS).untilAsserted(() ->
                assertThat(published).anySatisfy(o -> {
                    assertThat(o.region() + " by " + o.monitor()).isEqualTo("us-east by eu-west");
                    assertThat(o.health()).isEqualTo(DOWN);
                    assertThat(o.detail()).startsWith("no answer within 250 ms");
                }));
        awaitEveryWatch(watches, "every region UP", Map.of("us-east", UP, "eu-west", UP, "ap-south", UP));
        await().alias("us-east stays UP in every watch while eu-west's monitor cannot reach it").during(3, SECONDS)
                .atMost(5, SECONDS).until(() -> watches.values().stream().allMatch(w -> w.state("us-east") == UP));
        assertThat(watches.get("ap-south").observations("us-east")).as("the evidence: two UP, one DOWN")
                .extracting(Observation::health).containsExactlyInAnyOrder(UP, UP, DOWN);
    }

    @Test
    @DisplayName("a watch started later learns every region's state from the compacted topic's beginning")
    void aLateWatchCatchesUp() throws Exception {
        KafkaAccess bootstrap = KafkaAccess.plaintext(EmbeddedKafka.shared().bootstrapServers());
        RegionStateTopic.ensure(bootstrap);
        RegionStateTopic.ensure(bootstrap); // a second time: it exists, nothing happens
        HealthConfig health = new HealthConfig(Duration.ofMillis(300), Duration.ofMillis(250), 2, 2, Duration.ofSeconds(2),
                List.of(), Duration.ofSeconds(30));
        FakeRegion only = new FakeRegion();
        open.add(() -> only.server.stop(0));
        only.status = "DEGRADED";
        RegionStateTopic.Publisher publisher = RegionStateTopic.Publisher.open(bootstrap, "region-health-it-late");
        open.add(publisher);
        open.add(Monitor.start("solo", Map.of("solo", only.url()), health, publisher::publish, Clock.systemUTC()));
        RegionWatch first = RegionWatch.start(bootstrap, "solo", List.of("solo"), health, Clock.systemUTC());
        open.add(first);
        await().alias("the first watch sees solo DEGRADED").atMost(10, SECONDS)
                .until(() -> first.state("solo") == DEGRADED);

        RegionWatch late = RegionWatch.start(bootstrap, "late", List.of("solo"), health, Clock.systemUTC());
        open.add(late);
        await().alias("the late watch sees solo DEGRADED").atMost(10, SECONDS)
                .until(() -> late.state("solo") == DEGRADED);
        assertThat(RegionStateTopic.current(bootstrap, List.of("solo", "elsewhere"), health.observationTtl(),
                Duration.ofSeconds(10), Clock.systemUTC()))
                .as("what outpost status shows").containsExactly(Map.entry("solo", DEGRADED),
                        Map.entry("elsewhere", RegionHealth.UNKNOWN));
    }

    @Test
    @DisplayName("the current states cannot be read from an unreachable Kafka: a retriable error that names it")
    void currentStatesFromAnUnreachableKafkaSayWhere() {
        int closed = io.outpost.embedded.Ports.free();
        assertThatThrownBy(() -> RegionStateTopic.current(KafkaAccess.plaintext("localhost:" + closed), List.of("solo"), Duration.ofSeconds(5),
                Duration.ofSeconds(1), Clock.systemUTC()))
                .isInstanceOf(io.outpost.core.OutpostException.Retriable.class)
                .hasMessageStartingWith("cannot read the region-state topic outpost.regions on Kafka at localhost:" + closed);
    }

    private static void awaitEveryWatch(Map<String, RegionWatch> watches, String alias, Map<String, RegionHealth> expected) {
        await().alias(alias).atMost(15, SECONDS).untilAsserted(() -> {
            for (var watch : watches.entrySet()) {
                for (String region : REGIONS) {
                    assertThat(watch.getValue().state(region)).as(watch.getKey() + "'s view of " + region)
                            .isEqualTo(expected.get(region));
                }
            }
        });
    }
}

package io.outpost.it;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpServer;
import io.outpost.control.RegionStateTopic;
import io.outpost.core.region.Drain;
import io.outpost.embedded.EmbeddedKafka;
import io.outpost.it.harness.CommandLoad;
import io.outpost.it.topology.OutpostProcess;
import io.outpost.it.topology.Topology;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * The example deployment as OS processes ({@link Topology}: capture, a standby capture, and each
 * region as one {@code outpost run} process), with faults in sequence: the home region killed and
 * hung, cut off by the network, the backup drained, capture killed, the broker restarted, eu-west's
 * store and the monolith's database (each a PostgreSQL server of its own) crashed and restarted. Clients send orders through
 * eu-west (which has no link of its own) with Idempotency-Keys and retry as a careful client does;
 * the shop witnesses keys instead of honouring them, so "applied once" is Outpost's ledger's doing;
 * every gateway posts alarms to one webhook, which hears each transition once.
 * Each test starts with every region UP and puts back what it broke.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class FailoverIT {

    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
    private static final Duration STATE_CHANGE = UnderLoad.STATE_CHANGE;
    private static Topology topology;
    /** What every gateway's alarm webhook received: region, from, to, at, observer. */
    private static final List<JsonNode> ALARMS = new CopyOnWriteArrayList<>();
    private static HttpServer webhook;

    @BeforeAll
    static void start() throws Exception {
        webhook = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        webhook.createContext("/alarms", exchange -> {
            ALARMS.add(new ObjectMapper().readTree(exchange.getRequestBody().readAllBytes()));
            exchange.sendResponseHeaders(204, -1);
            exchange.close();
        });
        webhook.start();
        topology = Topology.builder("failover_it").captureStandby("ap-south").ownStoreServer("eu-west").ownSourceServer()
                .webhook("http://127.0.0.1:" + webhook.getAddress().getPort() + "/alarms").start();
    }

    @AfterAll
    static void stop() {
        if (topology != null) {
            topology.close();
        }
        if (webhook != null) {
            webhook.stop(0);
        }
    }

    @BeforeEach
    void everyRegionUp() {
        topology.awaitEveryRegionUp(STATE_CHANGE);
    }

    @Test
    @Order(1)
    @DisplayName("the home region's process killed (kill -9): eu-west's commands go through ap-south's backup link, "
            + "come back to us-east after its restart, and none is lost or applied twice")
    void homeRegionKilled() throws Exception {
        OutpostProcess home = topology.process("us-east");
        failAndRecover(home::kill, home::start, "killed");
    }

    @Test
    @Order(2)
    @DisplayName("the home region's process hung (SIGSTOP): DOWN by probe timeouts, commands go around it; after SIGCONT "
            + "they come back; none lost or applied twice")
    void homeRegionHung() throws Exception {
        OutpostProcess home = topology.process("us-east");
        failAndRecover(home::hang, home::resume, "hung");
    }

    @Test
    @Order(3)
    @DisplayName("the home region cut off by the network (its traffic dropped): commands go through ap-south; healed, back "
            + "to us-east; none lost or applied twice")
    void homeRegionCutOff() throws Exception {
        failAndRecover(() -> topology.proxy("us-east").cut(), () -> topology.proxy("us-east").heal(), "cut off");
    }

    private void failAndRecover(Runnable fail, Runnable recover, String how) throws Exception {
        try (CommandLoad load = CommandLoad.start(topology.gatewayUrl("eu-west"), 20, Duration.ofSeconds(15), 50, 40, 16)) {
            long started = System.nanoTime();
            await("commands acknowledged through us-east", () -> load.acknowledgedVia("us-east", started) >= 10);

            fail.run();
            long failed = System.nanoTime();
            topology.awaitStates(STATE_CHANGE, "us-east DOWN as eu-west and ap-south see it", Map.of("us-east", "DOWN"),
                    List.of("eu-west", "ap-south"));
            await("commands sent after the home region " + how + " acknowledged through ap-south",
                    () -> load.acknowledgedVia("ap-south", failed) >= 10);

            recover.run();
            long recovered = System.nanoTime();
            topology.awaitEveryRegionUp(STATE_CHANGE);
            await("commands back on us-east", () -> load.acknowledgedVia("us-east", recovered) >= 10);
            load.stop(Duration.ofSeconds(90));

            // a command the home region had sent when it failed may have been applied: Outpost says its outcome is
            // unknown and never sends it again; every other command is acknowledged
            assertThat(load.failed()).as("commands refused for good or given up on").allMatch(CommandLoad.Failed::outcomeUnknown);
            List<CommandLoad.Acked> acked = load.acknowledged();
            assertThat(acked.size() + load.failed().size()).isEqualTo(load.sent());
            assertThat(acked).extracting(CommandLoad.Acked::route).contains("us-east", "ap-south").doesNotContain("eu-west", "");
            assertAppliedOnce(load.keys(), acked);
            assertAlarmedOnce("us-east", failed);
        }
    }

    /**
     * The webhook heard {@code region} go DOWN and come back UP since {@code sinceNanos} (from UP or
     * DEGRADED: a slow machine can see a probe fail before the rest), and, since then, every change of
     * every region once: no two alarms of one transition from different regions' watches.
     */
    private static void assertAlarmedOnce(String region, long sinceNanos) throws InterruptedException {
        Instant since = Instant.now().minusNanos(System.nanoTime() - sinceNanos);
        await("the webhook heard " + region + " go DOWN and come back UP", () -> {
            List<String> heard = ALARMS.stream().filter(a -> a.path("region").asText().equals(region)
                    && !Instant.parse(a.path("at").asText()).isBefore(since.minusSeconds(1)))
                    .map(a -> a.path("from").asText() + "→" + a.path("to").asText()).toList();
            int down = heard.indexOf("UP→DOWN") >= 0 ? heard.indexOf("UP→DOWN") : heard.indexOf("DEGRADED→DOWN");
            return down >= 0 && heard.subList(down, heard.size()).contains("DOWN→UP");
        });
        Thread.sleep(2000); // a second copy, if any, would come within the watches' decisions of each other
        // since the fault: while the deployment starts no watch may see any region serve yet, and then every watch
        // posts by design (a duplicate beats silence); during the fault the other regions serve
        List<JsonNode> alarms = ALARMS.stream().filter(a -> !Instant.parse(a.path("at").asText()).isBefore(since.minusSeconds(1)))
                .toList();
        for (int i = 0; i < alarms.size(); i++) {
            for (int j = i + 1; j < alarms.size(); j++) {
                JsonNode a = alarms.get(i);
                JsonNode b = alarms.get(j);
                boolean sameTransition = a.path("region").equals(b.path("region")) && a.path("from").equals(b.path("from"))
                        && a.path("to").equals(b.path("to")) && Duration.between(Instant.parse(a.path("at").asText()),
                        Instant.parse(b.path("at").asText())).abs().compareTo(Duration.ofSeconds(3)) < 0;
                assertThat(sameTransition && !a.path("observer").equals(b.path("observer")))
                        .as("one transition posted by two watches: " + a + " and " + b).isFalse();
            }
        }
    }

    @Test
    @Order(4)
    @DisplayName("no usable route (home killed, backup drained): a command fails fast with 503 and Retry-After; reads go on "
            + "in every other region")
    void noRouteFailsFast() throws Exception {
        try (RegionStateTopic.Publisher operator = RegionStateTopic.Publisher.open(topology.config().log().access(), "failover-it")) {
            operator.publish(new Drain("ap-south", true, Instant.now(), "failover-it", "no backup for this test"));
            OutpostProcess home = topology.process("us-east");
            home.kill();
            try {
                topology.awaitStates(STATE_CHANGE, "us-east DOWN", Map.of("us-east", "DOWN"), List.of("eu-west", "ap-south"));
                long sent = System.nanoTime();
                HttpResponse<String> refused = post("eu-west", "/orders", "{\"customer_id\": 1, \"lines\": [{\"product_id\": 1, \"qty\": 1}]}");
                Duration took = Duration.ofNanos(System.nanoTime() - sent);
                assertThat(refused.statusCode()).as(refused.body()).isEqualTo(503);
                assertThat(refused.headers().firstValue("Retry-After")).isPresent();
                assertThat(refused.headers().firstValue("Content-Type")).hasValue("application/problem+json");
                assertThat(took).as("answered within the command timeout").isLessThan(topology.config().commands().timeout());
                for (String region : List.of("eu-west", "ap-south")) {
                    HttpResponse<String> read = get(region, "/orders/1");
                    assertThat(read.statusCode()).as(region + " answers reads: " + read.body()).isEqualTo(200);
                }
            } finally {
                operator.publish(new Drain("ap-south", false, Instant.now(), "failover-it", "test over"));
                home.start();
            }
        }
    }

    @Test
    @Order(5)
    @DisplayName("capture's process killed: the standby takes the source over and every region keeps up with the source")
    void captureStandbyTakesOver() throws Exception {
        topology.process("capture").kill();
        try {
            HttpResponse<String> placed = post("ap-south", "/orders", "{\"customer_id\": 2, \"lines\": [{\"product_id\": 3, \"qty\": 1}]}");
            assertThat(placed.statusCode()).as(placed.body()).isEqualTo(201);
            String token = placed.headers().firstValue("Outpost-Token").orElseThrow();
            String location = placed.headers().firstValue("Location").orElseThrow();
            for (String region : topology.regions()) {
                await(region + " shows the order placed after capture died", () -> {
                    HttpResponse<String> read = get(region, location, "Outpost-Min-Token", token);
                    return read.statusCode() == 200;
                });
            }
        } finally {
            topology.process("capture").start(); // the new standby
        }
    }

    @Test
    @Order(6)
    @DisplayName("the broker restarted under load: capture and every projector resume, every region equals the source "
            + "afterwards, and no command is lost or applied twice")
    void brokerRestartedUnderLoad() throws Exception {
        UnderLoad.survives(topology, 17, () -> EmbeddedKafka.shared().restart(Duration.ofSeconds(5)));
    }

    @Test
    @Order(7)
    @DisplayName("eu-west's store crashed and restarted under load (its own PostgreSQL): its projector and gateway resume, "
            + "its views equal the source afterwards, and no command is lost or applied twice")
    void storeRestartedUnderLoad() throws Exception {
        UnderLoad.survives(topology, 18, () -> topology.storeServer("eu-west").restart(Duration.ofSeconds(3), true));
        HttpResponse<String> read = get("eu-west", "/orders/1");
        assertThat(read.statusCode()).as("eu-west answers reads again: " + read.body()).isEqualTo(200);
    }

    @Test
    @Order(8)
    @DisplayName("the monolith's database crashed and restarted under load (its own PostgreSQL): capture, the ledger and "
            + "the fences reconnect, every region equals the source afterwards, and no command is lost or applied twice")
    void sourceRestartedUnderLoad() throws Exception {
        UnderLoad.survives(topology, 20, () -> topology.sourceServer().restart(Duration.ofSeconds(3), true));
    }

    private static void assertAppliedOnce(Set<String> keys, List<CommandLoad.Acked> acked) throws SQLException {
        UnderLoad.assertAppliedOnce(topology, keys, acked);
    }

    private static void await(String what, BooleanSupplier condition) throws InterruptedException {
        UnderLoad.await(topology, what, condition);
    }

    private static HttpResponse<String> post(String region, String path, String json) throws Exception {
        return HTTP.send(HttpRequest.newBuilder(URI.create(topology.gatewayUrl(region) + path)).timeout(Duration.ofSeconds(30))
                .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(json)).build(),
                HttpResponse.BodyHandlers.ofString());
    }

    private static HttpResponse<String> get(String region, String path, String... headers) {
        try {
            HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(topology.gatewayUrl(region) + path))
                    .timeout(Duration.ofSeconds(10));
            for (int i = 0; i < headers.length; i += 2) {
                request.header(headers[i], headers[i + 1]);
            }
            return HTTP.send(request.build(), HttpResponse.BodyHandlers.ofString());
        } catch (Exception e) {
            throw new IllegalStateException("GET " + path + " from " + region + ": " + e, e);
        }
    }
}

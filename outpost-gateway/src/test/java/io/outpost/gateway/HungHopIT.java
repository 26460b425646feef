package io.outpost.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpServer;
import io.outpost.core.config.OutpostConfig;
import io.outpost.core.region.RegionHealth;
import io.outpost.embedded.EmbeddedPostgres;
import io.outpost.embedded.Ports;
import io.outpost.gateway.internal.SettableRegionStates;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * A command in flight through a region that hangs — it takes the connection and the request and
 * never answers, as a stopped process does — is given up as soon as that region's monitors agree it
 * is DOWN, not after the command timeout (30 s here): with an Idempotency-Key it goes on to the backup
 * route, without one it is a 504 saying the outcome is unknown. A region that answers that a command's
 * outcome is unknown has answered, not failed: its breaker stays closed for the commands after.
 */
class HungHopIT {

    private static final ObjectMapper JSON = new ObjectMapper();

    private final SettableRegionStates feed = new SettableRegionStates();
    private ServerSocket hung;
    private final List<Socket> held = new CopyOnWriteArrayList<>();
    private volatile CountDownLatch requestArrived = new CountDownLatch(1);
    private HttpServer backup;
    private Gateway gateway;

    @BeforeEach
    void start() throws Exception {
        hung = new ServerSocket(0);
        Thread.ofVirtual().start(() -> {
            while (!hung.isClosed()) {
                try {
                    Socket socket = hung.accept();
                    held.add(socket);
                    Thread.ofVirtual().start(() -> {
                        try (InputStream in = socket.getInputStream()) {
                            if (in.read() >= 0) {
                                requestArrived.countDown(); // the request is in flight; no answer ever comes
                            }
                            in.readAllBytes();
                        } catch (IOException e) {
                            // closed by the test
                        }
                    });
                } catch (IOException e) {
                    return;
                }
            }
        });
        backup = HttpServer.create(new InetSocketAddress("localhost", 0), 0);
        backup.createContext("/", exchange -> {
            exchange.getRequestBody().readAllBytes();
            String key = exchange.getRequestHeaders().getFirst("Idempotency-Key");
            if (key != null && key.startsWith("lost-")) { // what a region's ledger says of a key a dead region had sent
                byte[] problem = ("{\"type\": \"urn:outpost:problem:command-outcome-unknown\", \"status\": 504, "
                        + "\"detail\": \"sent by a region that went DOWN\"}").getBytes(StandardCharsets.UTF_8);
                exchange.getResponseHeaders().add("Content-Type", "application/problem+json");
                exchange.sendResponseHeaders(504, problem.length);
                exchange.getResponseBody().write(problem);
                exchange.close();
                return;
            }
            byte[] body = "{\"id\": 7}".getBytes(StandardCharsets.UTF_8);
            exchange.getResponseHeaders().add("Content-Type", "application/json");
            exchange.getResponseHeaders().add("Outpost-Route", "ap");
            exchange.sendResponseHeaders(201, body.length);
            exchange.getResponseBody().write(body);
            exchange.close();
        });
        backup.start();
        String store = EmbeddedPostgres.shared().createDatabase("hung_hop_it");
        int port = Ports.free();
        OutpostConfig config = OutpostConfig.parse("""
                source: { name: shop, url: "jdbc:postgresql://localhost:1/shop", user: u, tables: [orders] }
                log: { bootstrap-servers: "localhost:9092" }
                monolith: { url: "http://localhost:1" }
                regions:
                  us: { store: { url: "%s", user: postgres }, gateway: { url: "http://localhost:%d" } }
                  eu: { monolith-route: true, store: { url: "%s", user: postgres }, gateway: { url: "http://localhost:%d" } }
                  ap: { monolith-route: true, store: { url: "%s", user: postgres }, gateway: { url: "http://localhost:%d" } }
                commands: { route: [eu, ap], timeout: 30s }
                auth: { mode: none }
                """.formatted(store, port, store, hung.getLocalPort(), store, backup.getAddress().getPort()),
                Map.<String, String>of()::get);
        feed.set("eu", RegionHealth.UP);
        feed.set("ap", RegionHealth.UP);
        gateway = Gateway.start(GatewaySettings.of(config, "us").withHost("localhost").withRegionStates(feed));
    }

    @AfterEach
    void stop() throws Exception {
        gateway.close();
        backup.stop(0);
        hung.close();
        for (Socket socket : held) {
            socket.close();
        }
    }

    /** Sends an order through us; when the hung region has the request, its monitors find it DOWN. */
    private HttpResponse<String> placeWhileEuHangs(String... headers) throws Exception {
        requestArrived = new CountDownLatch(1);
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(gateway.url() + "/orders"))
                .POST(HttpRequest.BodyPublishers.ofString("{\"customer_id\": 1}")).header("Content-Type", "application/json")
                .timeout(Duration.ofSeconds(25));
        for (int i = 0; i < headers.length; i += 2) {
            request.header(headers[i], headers[i + 1]);
        }
        try (HttpClient client = HttpClient.newHttpClient()) {
            CompletableFuture<HttpResponse<String>> answer = client.sendAsync(request.build(),
                    HttpResponse.BodyHandlers.ofString());
            assertThat(requestArrived.await(20, TimeUnit.SECONDS)).as("the command reached the hung region").isTrue();
            feed.set("eu", RegionHealth.DOWN);
            return answer.get(25, TimeUnit.SECONDS);
        }
    }

    @Test
    void withoutAnIdempotencyKeyTheOutcomeIsUnknownAndSaidSo() throws Exception {
        HttpResponse<String> answer = placeWhileEuHangs();
        assertThat(answer.statusCode()).as(answer.body()).isEqualTo(504);
        assertThat(JSON.readTree(answer.body()).path("type").asText()).isEqualTo("urn:outpost:problem:command-outcome-unknown");
        assertThat(JSON.readTree(answer.body()).path("detail").asText()).contains("region eu went DOWN")
                .contains("may or may not have been applied");
    }

    @Test
    void withAnIdempotencyKeyItGoesOnThroughTheBackupRoute() throws Exception {
        HttpResponse<String> answer = placeWhileEuHangs("Idempotency-Key", "hung-hop-" + System.nanoTime());
        assertThat(answer.statusCode()).as(answer.body()).isEqualTo(201);
        assertThat(answer.headers().firstValue("Outpost-Route")).hasValue("ap");
    }

    @Test
    void aRegionSayingOutcomesAreUnknownIsNotFailing() throws Exception {
        feed.set("eu", RegionHealth.DOWN);
        try (HttpClient client = HttpClient.newHttpClient()) {
            for (int i = 0; i < 12; i++) { // clients retrying commands that a dead region had sent
                HttpResponse<String> lost = client.send(order("lost-" + i), HttpResponse.BodyHandlers.ofString());
                assertThat(lost.statusCode()).as(lost.body()).isEqualTo(504);
                assertThat(JSON.readTree(lost.body()).path("type").asText()).isEqualTo("urn:outpost:problem:command-outcome-unknown");
            }
            HttpResponse<String> next = client.send(order("new-" + System.nanoTime()), HttpResponse.BodyHandlers.ofString());
            assertThat(next.statusCode()).as("the backup route is still open: " + next.body()).isEqualTo(201);
            assertThat(next.headers().firstValue("Outpost-Route")).hasValue("ap");
        }
    }

    private HttpRequest order(String key) {
        return HttpRequest.newBuilder(URI.create(gateway.url() + "/orders")).POST(HttpRequest.BodyPublishers.ofString("{\"customer_id\": 1}"))
                .header("Content-Type", "application/json").header("Idempotency-Key", key).timeout(Duration.ofSeconds(25)).build();
    }
}

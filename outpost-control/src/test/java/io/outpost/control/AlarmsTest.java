package io.outpost.control;

import static java.util.concurrent.TimeUnit.SECONDS;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.sun.net.httpserver.HttpServer;
import io.outpost.core.region.RegionHealth;
import io.outpost.core.region.RegionStateChange;
import java.net.InetSocketAddress;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

class AlarmsTest {

    private static final RegionStateChange DOWN = new RegionStateChange("eu-west", RegionHealth.UP, RegionHealth.DOWN,
            Instant.parse("2026-12-02T12:00:00Z"), List.of());

    /** A webhook receiver that refuses the first {@code refusals} calls with a 503. */
    private static HttpServer receiver(AtomicInteger calls, int refusals) throws Exception {
        HttpServer server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        server.createContext("/alarms", exchange -> {
            int call = calls.incrementAndGet();
            exchange.getRequestBody().readAllBytes();
            exchange.sendResponseHeaders(call <= refusals ? 503 : 204, -1);
            exchange.close();
        });
        server.start();
        return server;
    }

    @Test
    @DisplayName("alarms: a webhook that refuses is tried again, up to three times in all, until it takes the alarm")
    void aRefusingWebhookIsTriedAgain() throws Exception {
        AtomicInteger calls = new AtomicInteger();
        HttpServer server = receiver(calls, 2);
        try (Alarms alarms = new Alarms("us-east", List.of("http://127.0.0.1:" + server.getAddress().getPort() + "/alarms"))) {
            alarms.raise(DOWN);
            await().alias("the third try reached the webhook").atMost(20, SECONDS).until(() -> calls.get() == 3);
            assertThat(alarms.raised()).isEqualTo(1);
        } finally {
            server.stop(0);
        }
        assertThat(calls.get()).as("taken at the third try: not sent again").isEqualTo(3);
    }

    @Test
    @DisplayName("alarms: a webhook that keeps refusing gets three tries, no more")
    void aWebhookThatKeepsRefusingGetsThreeTries() throws Exception {
        AtomicInteger calls = new AtomicInteger();
        HttpServer server = receiver(calls, Integer.MAX_VALUE);
        try (Alarms alarms = new Alarms("us-east", List.of("http://127.0.0.1:" + server.getAddress().getPort() + "/alarms"))) {
            alarms.raise(DOWN);
            await().alias("three tries").atMost(20, SECONDS).until(() -> calls.get() == 3);
            // a fourth would come 4 s after the third; the retry gave up instead
            await().during(5, SECONDS).atMost(10, SECONDS).until(() -> calls.get() == 3);
        } finally {
            server.stop(0);
        }
    }

    @Test
    @DisplayName("alarms: one watch posts each change — the first other region that serves, else the region itself, else all")
    void oneWatchPostsEachChange() {
        Map<String, RegionHealth> states = new LinkedHashMap<>();
        states.put("us-east", RegionHealth.DOWN);
        states.put("eu-west", RegionHealth.DEGRADED);
        states.put("ap-south", RegionHealth.UP);
        assertThat(Alarms.poster("us-east", states)).isEqualTo("eu-west");
        assertThat(Alarms.poster("eu-west", states)).isEqualTo("ap-south");
        states.put("ap-south", RegionHealth.UNKNOWN);
        assertThat(Alarms.poster("eu-west", states)).as("no other region serves: its own watch").isEqualTo("eu-west");
        states.put("eu-west", RegionHealth.DOWN);
        assertThat(Alarms.poster("eu-west", states)).as("none serves: every watch posts").isNull();
        assertThat(Alarms.poster("eu-west", Map.of())).isNull();
    }

    @Test
    @DisplayName("alarms: a watch that is not the poster logs and counts the change but does not post it")
    void anotherRegionsWatchDoesNotPost() throws Exception {
        AtomicInteger calls = new AtomicInteger();
        HttpServer server = receiver(calls, 0);
        Map<String, RegionHealth> states = new LinkedHashMap<>();
        states.put("us-east", RegionHealth.UP);
        states.put("eu-west", RegionHealth.DOWN);
        states.put("ap-south", RegionHealth.UP);
        String url = "http://127.0.0.1:" + server.getAddress().getPort() + "/alarms";
        try (Alarms apSouth = new Alarms("ap-south", List.of(url)); Alarms usEast = new Alarms("us-east", List.of(url))) {
            apSouth.raise(DOWN, states);
            usEast.raise(DOWN, states);
            await().alias("us-east's watch posted").atMost(10, SECONDS).until(() -> calls.get() == 1);
            await().during(2, SECONDS).atMost(5, SECONDS).until(() -> calls.get() == 1);
            assertThat(apSouth.raised()).isEqualTo(1);
        } finally {
            server.stop(0);
        }
    }
}

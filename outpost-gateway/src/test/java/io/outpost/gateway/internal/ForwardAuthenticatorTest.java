package io.outpost.gateway.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.sun.net.httpserver.HttpServer;
import io.outpost.core.config.AuthConfig;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.http.HttpClient;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * {@code auth.mode: forward} against a real HTTP server standing in for the monolith's "who am I"
 * endpoint, which knows sessions by cookie. Time is a fake ticker.
 */
class ForwardAuthenticatorTest {

    private static final Duration TTL = Duration.ofSeconds(30);
    private static final Duration NEGATIVE = Duration.ofSeconds(5);
    private static final Duration STALE = Duration.ofMinutes(5);

    /** Session id → the JSON the monolith answers for it; absent: 401. */
    private final Map<String, String> sessions = new ConcurrentHashMap<>();
    private final Map<String, AtomicInteger> asked = new ConcurrentHashMap<>();
    private final AtomicInteger failWith = new AtomicInteger();
    private final AtomicReference<String> cacheControl = new AtomicReference<>();
    private final AtomicReference<CountDownLatch> hold = new AtomicReference<>();
    private final AtomicLong nanos = new AtomicLong();
    private final List<String> lookups = new ArrayList<>();
    private HttpServer monolith;
    private HttpClient http;
    private ForwardAuthenticator forward;

    @BeforeEach
    void start() throws IOException {
        monolith = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        monolith.setExecutor(Executors.newVirtualThreadPerTaskExecutor());
        monolith.createContext("/api/me", exchange -> {
            String cookie = exchange.getRequestHeaders().getFirst("Cookie");
            String session = cookie == null ? "" : cookie.replace("session=", "");
            asked.computeIfAbsent(session, s -> new AtomicInteger()).incrementAndGet();
            CountDownLatch latch = hold.get();
            if (latch != null) {
                try {
                    latch.await(5, TimeUnit.SECONDS);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
            String body = sessions.get(session);
            int status = failWith.get() != 0 ? failWith.get() : body == null ? 401 : 200;
            byte[] bytes = status == 200 ? body.getBytes(StandardCharsets.UTF_8) : new byte[0];
            if (cacheControl.get() != null) {
                exchange.getResponseHeaders().add("Cache-Control", cacheControl.get());
            }
            exchange.sendResponseHeaders(status, bytes.length == 0 ? -1 : bytes.length);
            exchange.getResponseBody().write(bytes);
            exchange.close();
        });
        monolith.start();
        http = HttpClient.newHttpClient();
        AuthConfig.Forward settings = new AuthConfig.Forward("http://127.0.0.1:" + monolith.getAddress().getPort()
                + "/api/me", List.of("Cookie", "Authorization"), "sub", TTL, NEGATIVE, STALE, Duration.ofSeconds(2));
        forward = new ForwardAuthenticator(settings, http, nanos::get, lookup -> {
            synchronized (lookups) {
                lookups.add(lookup);
            }
        });
        sessions.put("a", "{\"sub\": \"1\", \"scope\": \"orders:read\", \"tier\": 2}");
        sessions.put("b", "{\"sub\": \"2\", \"scp\": [\"orders:read\", \"support\"]}");
    }

    @AfterEach
    void stop() {
        monolith.stop(0);
        http.close();
    }

    private Caller caller(String session) throws Exception {
        return forward.caller(name -> name.equals("Cookie") ? "session=" + session : null);
    }

    @Test
    void theMonolithsAnswerIsTheCallerAndIsKeptPerCredential() throws Exception {
        Caller alice = caller("a");
        assertThat(alice.subject()).isEqualTo("1");
        assertThat(alice.scopes()).containsExactly("orders:read");
        assertThat(alice.claims()).containsEntry("tier", 2);
        assertThat(caller("b").scopes()).containsExactlyInAnyOrder("orders:read", "support");
        for (int i = 0; i < 5; i++) {
            assertThat(caller("a").subject()).isEqualTo("1");
            assertThat(caller("b").subject()).isEqualTo("2");
        }
        assertThat(asked.get("a")).hasValue(1);
        assertThat(asked.get("b")).hasValue(1);
        assertThat(lookups).containsOnly("miss", "hit").filteredOn("hit"::equals).hasSize(10);
        assertThat(forward.caller(name -> null)).isSameAs(Caller.ANONYMOUS);
    }

    @Test
    void concurrentRequestsWithOneCredentialAskOnceAndNeverGetAnothersAnswer() throws Exception {
        hold.set(new CountDownLatch(1));
        List<Future<Caller>> callers = new ArrayList<>();
        try (ExecutorService pool = Executors.newVirtualThreadPerTaskExecutor()) {
            for (int i = 0; i < 20; i++) {
                String session = i % 2 == 0 ? "a" : "b";
                callers.add(pool.submit(() -> caller(session)));
            }
            // the monolith holds its answers until it has been asked for both sessions; the others wait meanwhile
            org.awaitility.Awaitility.await().alias("the monolith asked for both sessions").atMost(10, TimeUnit.SECONDS)
                    .until(() -> asked.containsKey("a") && asked.containsKey("b"));
            hold.get().countDown();
            for (int i = 0; i < callers.size(); i++) {
                assertThat(callers.get(i).get().subject()).isEqualTo(i % 2 == 0 ? "1" : "2");
            }
        }
        assertThat(asked.get("a")).as("one question per credential").hasValue(1);
        assertThat(asked.get("b")).as("one question per credential").hasValue(1);
    }

    @Test
    void afterLogoutTheCallerIsRefusedWithinOneTtl() throws Exception {
        assertThat(caller("a").subject()).isEqualTo("1");
        sessions.remove("a"); // logged out
        nanos.addAndGet(TTL.toNanos() - 1);
        assertThat(caller("a").subject()).as("still within the TTL").isEqualTo("1");
        nanos.addAndGet(2);
        assertThatThrownBy(() -> caller("a")).isInstanceOf(Authenticator.Rejected.class);
        assertThatThrownBy(() -> caller("nobody")).isInstanceOf(Authenticator.Rejected.class);
        sessions.put("nobody", "{\"sub\": \"9\"}");
        assertThatThrownBy(() -> caller("nobody")).as("a refusal is kept for the negative TTL").isInstanceOf(Authenticator.Rejected.class);
        nanos.addAndGet(NEGATIVE.toNanos());
        assertThat(caller("nobody").subject()).isEqualTo("9");
    }

    @Test
    void aFailingMonolithIs503ExceptForAnswersWithinStaleIfError() throws Exception {
        failWith.set(503);
        assertThatThrownBy(() -> caller("a")).isInstanceOf(Authenticator.Unavailable.class).hasMessageContaining("HTTP 503");
        failWith.set(0);
        assertThat(caller("a").subject()).isEqualTo("1");

        failWith.set(500);
        nanos.addAndGet(TTL.toNanos() + STALE.toNanos() / 2);
        assertThat(caller("a").subject()).as("the monolith is down: the last answer serves").isEqualTo("1");
        assertThat(lookups).contains("stale");
        nanos.addAndGet(STALE.toNanos());
        assertThatThrownBy(() -> caller("a")).as("beyond stale-if-error").isInstanceOf(Authenticator.Unavailable.class);

        monolith.stop(0); // no connection at all
        assertThatThrownBy(() -> caller("b")).isInstanceOf(Authenticator.Unavailable.class);
    }

    @Test
    void anAnswersMaxAgeShortensTheTtl() throws Exception {
        cacheControl.set("private, max-age=2");
        caller("a");
        nanos.addAndGet(Duration.ofSeconds(3).toNanos());
        caller("a");
        assertThat(asked.get("a")).hasValue(2);
    }
}

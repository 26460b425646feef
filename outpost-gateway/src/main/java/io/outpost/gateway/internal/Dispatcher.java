package io.outpost.gateway.internal;

import io.github.resilience4j.bulkhead.Bulkhead;
import io.github.resilience4j.bulkhead.BulkheadConfig;
import io.github.resilience4j.circuitbreaker.CircuitBreaker;
import io.github.resilience4j.circuitbreaker.CircuitBreakerConfig;
import io.javalin.http.Context;
import io.outpost.core.OutpostException;
import io.outpost.source.FenceWriter;
import io.outpost.source.IdempotencyLedger;
import java.io.IOException;
import java.net.ConnectException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpConnectTimeoutException;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Sends commands home: every request the gateway does not answer from a view goes to the monolith
 * (when this region has a route to it) or to the next region in {@code commands.route}, through
 * one Resilience4j breaker and bulkhead per target. The monolith's status, end-to-end headers and
 * body pass through unchanged; after a 2xx from the monolith the dispatching region writes a
 * fence and adds its token as {@code Outpost-Token}.
 *
 * <p>When to try the next target: only when the command was certainly not delivered — the breaker
 * or bulkhead refused it, the connection could not be made, or the next region said it could not
 * dispatch ({@code Outpost-Not-Dispatched}). A timeout after the request was sent is not retried
 * elsewhere: the command may have been applied; the client gets 504 and may retry with its
 * {@code Idempotency-Key}.
 *
 * <p>Loops: a forwarded command carries {@code Outpost-Hops} and {@code Outpost-Via} (the regions
 * it passed); a region never forwards to one it passed, nor beyond {@code commands.max-hops}.
 */
public final class Dispatcher {

    private static final Logger LOG = LoggerFactory.getLogger(Dispatcher.class);

    public static final String TOKEN = "Outpost-Token";
    public static final String VIA = "Outpost-Via";
    public static final String NOT_DISPATCHED = "Outpost-Not-Dispatched";
    public static final String IDEMPOTENCY_KEY = "Idempotency-Key";
    public static final String REPLAY = "Outpost-Idempotent-Replay";
    private static final com.fasterxml.jackson.databind.ObjectMapper JSON = new com.fasterxml.jackson.databind.ObjectMapper();
    /** Hop-by-hop headers (RFC 9110 §7.6.1) and those the HTTP client sets itself: never passed on. */
    private static final Set<String> HOP_BY_HOP = Set.of("connection", "keep-alive", "proxy-authenticate",
            "proxy-authorization", "proxy-connection", "te", "trailer", "transfer-encoding", "upgrade", "host",
            "content-length", "expect", "http2-settings");
    /** Outpost's own request headers: set per hop, not copied. */
    private static final Set<String> OWN = Set.of(Queries.HOPS.toLowerCase(Locale.ROOT), VIA.toLowerCase(Locale.ROOT));

    /** Where a command can go. */
    public record Target(String name, URI url, boolean monolith, Duration timeout, CircuitBreaker breaker, Bulkhead bulkhead) {
    }

    private final String region;
    private final List<Target> targets;
    private final FenceWriter fences;
    private final IdempotencyLedger ledger;
    private final Duration budget;
    private final int maxHops;
    private final HttpClient http;

    /**
     * @param targets in order of preference: the monolith first when this region has a route to it
     * @param fences  writes the tokens; null when this region does not reach the monolith
     * @param ledger  records idempotency keys; null when this region does not reach the monolith
     * @param budget  the most a client waits for a command, forwarding included
     */
    public Dispatcher(String region, List<Target> targets, FenceWriter fences, IdempotencyLedger ledger, Duration budget,
                      int maxHops, HttpClient http) {
        this.region = region;
        this.targets = List.copyOf(targets);
        this.fences = fences;
        this.ledger = ledger;
        this.budget = budget;
        this.maxHops = maxHops;
        this.http = http;
    }

    /** A target with Outpost's breaker and bulkhead settings (see the README's gateway section). */
    public static Target target(String name, URI url, boolean monolith, Duration timeout) {
        CircuitBreakerConfig breaker = CircuitBreakerConfig.custom()
                .slidingWindowType(CircuitBreakerConfig.SlidingWindowType.COUNT_BASED)
                .slidingWindowSize(20)
                .minimumNumberOfCalls(5)
                .failureRateThreshold(50)
                .slowCallDurationThreshold(timeout.dividedBy(2))
                .slowCallRateThreshold(80)
                .waitDurationInOpenState(Duration.ofSeconds(5))
                .permittedNumberOfCallsInHalfOpenState(2)
                .maxWaitDurationInHalfOpenState(Duration.ofSeconds(10))
                .automaticTransitionFromOpenToHalfOpenEnabled(false)
                .build();
        // beyond 64 commands in flight to one target, a command waits up to a second for its turn, then is refused
        BulkheadConfig bulkhead = BulkheadConfig.custom().maxConcurrentCalls(64).maxWaitDuration(Duration.ofSeconds(1)).build();
        return new Target(name, url, monolith, timeout, CircuitBreaker.of(name, breaker), Bulkhead.of(name, bulkhead));
    }

    public List<Target> targets() {
        return targets;
    }

    /** Dispatches the request in {@code ctx} and writes the answer into it. */
    public void dispatch(Context ctx) throws InterruptedException {
        long deadline = System.nanoTime() + budget.toNanos();
        int hops = hops(ctx);
        List<String> via = new ArrayList<>();
        String viaHeader = ctx.header(VIA);
        if (viaHeader != null) {
            for (String name : viaHeader.split(",")) {
                via.add(name.strip());
            }
        }
        via.add(region);
        String trace = ctx.header("traceparent");
        if (trace == null) {
            trace = "00-" + HexFormat.of().formatHex(randomBytes(16)) + "-" + HexFormat.of().formatHex(randomBytes(8)) + "-01";
        }
        byte[] body = ctx.bodyAsBytes();
        String key = idempotencyKey(ctx);
        List<String> refusals = new ArrayList<>();
        for (Target target : targets) {
            if (!target.monolith() && (via.contains(target.name()) || hops + 1 > maxHops)) {
                continue;
            }
            long remaining = deadline - System.nanoTime();
            if (remaining <= 0) {
                break;
            }
            if (!target.bulkhead().tryAcquirePermission()) {
                refusals.add(target.name() + ": more than 64 commands in flight for over a second");
                continue;
            }
            try {
                if (!target.breaker().tryAcquirePermission()) {
                    CircuitBreaker.State state = target.breaker().getState();
                    refusals.add(target.name() + (state == CircuitBreaker.State.FORCED_OPEN
                            ? ": DOWN by its monitors' majority" : ": breaker " + state.name().toLowerCase(Locale.ROOT)));
                    continue;
                }
                boolean claimed = false;
                if (key != null && target.monolith() && ledger != null) {
                    IdempotencyLedger.Claim claim;
                    try {
                        claim = ledger.claim(key, IdempotencyLedger.requestHash(ctx.method().name(), pathAndQuery(ctx), body),
                                "gateway " + region);
                    } catch (OutpostException e) {
                        target.breaker().releasePermission();
                        refusals.add(target.name() + ": " + e.getMessage());
                        continue;
                    }
                    if (!(claim instanceof IdempotencyLedger.Claimed)) {
                        target.breaker().releasePermission();
                        settled(ctx, key, claim);
                        return;
                    }
                    claimed = true;
                }
                Duration timeout = Duration.ofNanos(Math.min(remaining, target.timeout().toNanos()));
                HttpRequest request = request(ctx, target, body, timeout, hops, via, trace);
                long started = System.nanoTime();
                HttpResponse<byte[]> response;
                try {
                    response = http.send(request, HttpResponse.BodyHandlers.ofByteArray());
                } catch (HttpConnectTimeoutException | ConnectException e) {
                    target.breaker().onError(System.nanoTime() - started, TimeUnit.NANOSECONDS, e);
                    refusals.add(target.name() + ": cannot connect (" + e.getClass().getSimpleName() + ")");
                    if (claimed) {
                        release(key);
                    }
                    continue; // not delivered: the next target may take it
                } catch (HttpTimeoutException e) {
                    target.breaker().onError(System.nanoTime() - started, TimeUnit.NANOSECONDS, e);
                    throw new Problem(504, "command-timeout", "The command timed out",
                            target.name() + " did not answer within " + timeout.toMillis() + " ms; the command may or may not "
                                    + "have been applied. Retry with the same Idempotency-Key to be safe");
                } catch (IOException e) {
                    target.breaker().onError(System.nanoTime() - started, TimeUnit.NANOSECONDS, e);
                    throw new Problem(502, "command-failed", "The command's target failed",
                            target.name() + " broke the connection (" + e.getMessage() + "); the command may or may not have "
                                    + "been applied. Retry with the same Idempotency-Key to be safe");
                }
                long took = System.nanoTime() - started;
                boolean notDispatched = response.headers().firstValue(NOT_DISPATCHED).isPresent();
                if (response.statusCode() >= 500 && !notDispatched) { // a region that could not dispatch is not failing
                    target.breaker().onError(took, TimeUnit.NANOSECONDS, new ServerError(target.name(), response.statusCode()));
                } else {
                    target.breaker().onSuccess(took, TimeUnit.NANOSECONDS);
                }
                if (notDispatched) {
                    refusals.add(target.name() + " could not dispatch either (" + detail(response.body()) + ")");
                    continue;
                }
                String token = answer(ctx, target, response, trace);
                if (claimed) {
                    if (response.statusCode() >= 500) {
                        release(key); // the monolith failed it: a retry sends it again
                    } else {
                        try {
                            ledger.complete(key, response.statusCode(), headersJson(response), response.body(), token);
                        } catch (OutpostException e) {
                            LOG.warn("region {}: the answer to the command with {} {} could not be recorded ({}); retries get "
                                    + "409 until the claim expires, then send it again", region, IDEMPOTENCY_KEY, key, e.getMessage());
                        }
                    }
                }
                return;
            } finally {
                target.bulkhead().onComplete();
            }
        }
        throw new Problem(503, "no-route", "No route to the monolith",
                "region " + region + " cannot send the command to the monolith now"
                        + (refusals.isEmpty() ? " (no target within " + maxHops + " hops)" : ": " + String.join("; ", refusals))
                        + ". The command was not sent; retry after the Retry-After delay")
                .header("Retry-After", "5").header(NOT_DISPATCHED, "true");
    }

    /** A problem document's detail, or the body's start. */
    private static String detail(byte[] body) {
        String text = new String(body, java.nio.charset.StandardCharsets.UTF_8);
        try {
            com.fasterxml.jackson.databind.JsonNode problem = JSON.readTree(text);
            if (problem != null && problem.hasNonNull("detail")) {
                return problem.get("detail").asText();
            }
        } catch (IOException e) {
            // not JSON
        }
        return text.length() > 200 ? text.substring(0, 200) + "…" : text;
    }

    private static byte[] randomBytes(int n) {
        byte[] bytes = new byte[n];
        ThreadLocalRandom.current().nextBytes(bytes);
        return bytes;
    }

    private int hops(Context ctx) {
        String text = ctx.header(Queries.HOPS);
        if (text == null) {
            return 0;
        }
        try {
            int hops = Integer.parseInt(text.strip());
            if (hops >= 0 && hops <= maxHops) {
                return hops;
            }
        } catch (NumberFormatException e) {
            // below
        }
        throw new Problem(508, "too-many-hops", "The command went around in circles",
                Queries.HOPS + " is \"" + text + "\", more than commands.max-hops (" + maxHops + ") or not a number");
    }

    private HttpRequest request(Context ctx, Target target, byte[] body, Duration timeout, int hops, List<String> via,
                                String trace) {
        String path = ctx.path() + (ctx.queryString() == null ? "" : "?" + ctx.queryString());
        URI uri = URI.create(target.url().toString().replaceAll("/+$", "") + path);
        HttpRequest.Builder request = HttpRequest.newBuilder(uri).timeout(timeout)
                .method(ctx.method().name(), body.length == 0 ? HttpRequest.BodyPublishers.noBody()
                        : HttpRequest.BodyPublishers.ofByteArray(body));
        for (var header : ctx.headerMap().entrySet()) {
            String name = header.getKey().toLowerCase(Locale.ROOT);
            if (!HOP_BY_HOP.contains(name) && !OWN.contains(name) && !name.equals("traceparent")) {
                request.header(header.getKey(), header.getValue());
            }
        }
        request.header("traceparent", trace);
        if (!target.monolith()) {
            request.header(Queries.HOPS, Integer.toString(hops + 1));
            request.header(VIA, String.join(",", via));
        }
        return request.build();
    }

    /** Writes the target's answer into {@code ctx}; returns the token added, if any. */
    private String answer(Context ctx, Target target, HttpResponse<byte[]> response, String trace) {
        ctx.status(response.statusCode());
        Map<String, List<String>> headers = new LinkedHashMap<>(response.headers().map());
        for (var header : headers.entrySet()) {
            String name = header.getKey();
            if (name.startsWith(":") || HOP_BY_HOP.contains(name.toLowerCase(Locale.ROOT))) {
                continue;
            }
            if (name.equalsIgnoreCase("content-type")) {
                ctx.contentType(header.getValue().getFirst());
                continue;
            }
            for (String value : header.getValue()) {
                ctx.res().addHeader(name, value);
            }
        }
        if (target.monolith() && response.statusCode() / 100 == 2) {
            if (fences == null) {
                LOG.warn("region {} reached the monolith but has no source to write a fence in", region);
            } else {
                try {
                    String token = fences.write("gateway " + region + " " + trace).encode();
                    ctx.header(TOKEN, token);
                    ctx.result(response.body());
                    return token;
                } catch (OutpostException e) {
                    // the command succeeded; without a token the client cannot ask for its own write
                    LOG.warn("region {}: the command succeeded but no token could be written: {}", region, e.getMessage());
                    ctx.header("Outpost-Token-Unavailable", "the source database could not be reached for a fence");
                }
            }
        }
        ctx.result(response.body());
        return null;
    }

    /** Releases a claim; when the ledger cannot be reached the claim stays until it expires. */
    private void release(String key) {
        try {
            ledger.release(key);
        } catch (OutpostException e) {
            LOG.warn("region {}: the claim of {} {} could not be released ({}); retries get 409 until it expires", region,
                    IDEMPOTENCY_KEY, key, e.getMessage());
        }
    }

    private String idempotencyKey(Context ctx) {
        String key = ctx.header(IDEMPOTENCY_KEY);
        if (key != null && (key.isBlank() || key.length() > 255)) {
            throw Problem.badRequest("invalid-header", IDEMPOTENCY_KEY + " must be 1 to 255 characters long");
        }
        return key;
    }

    private static String pathAndQuery(Context ctx) {
        return ctx.path() + (ctx.queryString() == null ? "" : "?" + ctx.queryString());
    }

    /** The end-to-end response headers, as the ledger keeps them: a JSON object of name → values. */
    private static String headersJson(HttpResponse<byte[]> response) {
        com.fasterxml.jackson.databind.node.ObjectNode headers = JSON.createObjectNode();
        response.headers().map().forEach((name, values) -> {
            if (!name.startsWith(":") && !HOP_BY_HOP.contains(name.toLowerCase(Locale.ROOT))) {
                var array = headers.putArray(name);
                values.forEach(array::add);
            }
        });
        return headers.toString();
    }

    /** Answers a request whose key the ledger already knows: the first answer, a conflict, or a mismatch. */
    private void settled(Context ctx, String key, IdempotencyLedger.Claim claim) {
        switch (claim) {
            case IdempotencyLedger.Done done -> {
                ctx.status(done.status());
                try {
                    JSON.readTree(done.headersJson()).properties().forEach(header -> {
                        if (header.getKey().equalsIgnoreCase("content-type")) {
                            ctx.contentType(header.getValue().get(0).asText());
                        } else {
                            header.getValue().forEach(value -> ctx.res().addHeader(header.getKey(), value.asText()));
                        }
                    });
                } catch (IOException e) {
                    throw new IllegalStateException("the idempotency ledger holds headers that are not JSON", e);
                }
                if (done.token() != null) {
                    ctx.header(TOKEN, done.token());
                }
                ctx.header(REPLAY, "true");
                ctx.result(done.body() == null ? new byte[0] : done.body());
            }
            case IdempotencyLedger.InFlight inFlight -> throw new Problem(409, "command-in-flight",
                    "The command is in flight", "a command with " + IDEMPOTENCY_KEY + " \"" + key + "\" is being processed ("
                    + inFlight.claimedBy() + "); retry after the Retry-After delay to get its answer")
                    .header("Retry-After", "1");
            case IdempotencyLedger.Mismatch mismatch -> throw new Problem(422, "idempotency-key-reused",
                    "The idempotency key was used for another request", IDEMPOTENCY_KEY + " \"" + key + "\" was used for a "
                    + "different request (method, path or body); use a new key for a new command");
            case IdempotencyLedger.Claimed claimed -> throw new IllegalStateException("not settled: " + claimed);
        }
    }

    /** A 5xx from a target, counted as a failure by its breaker. */
    static final class ServerError extends Exception {
        private static final long serialVersionUID = 1L;

        ServerError(String target, int status) {
            super(target + " answered " + status, null, false, false);
        }
    }
}

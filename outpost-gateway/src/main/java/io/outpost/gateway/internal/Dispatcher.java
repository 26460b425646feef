package io.outpost.gateway.internal;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.javalin.http.Context;
import io.outpost.core.OutpostException;
import io.outpost.core.Ticker;
import io.outpost.core.region.RegionHealth;
import io.outpost.core.region.RegionStateFeed;
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
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Sends commands home: every request the gateway does not answer from a view goes to the monolith
 * (when this region has a route to it) or to the next region in {@code commands.route}
 * ({@link CommandRoute}), through one Resilience4j breaker and bulkhead per target. The monolith's
 * status, end-to-end headers and body pass through unchanged ({@link PassThrough}); after a 2xx
 * from the monolith the dispatching region writes a fence and adds its token as
 * {@code Outpost-Token}; {@code Outpost-Route} names the region whose link to the monolith sent it.
 * {@code Idempotency-Key} goes through the ledger ({@link IdempotentCommands}).
 *
 * <p>A region an operator drained ({@code outpost region drain}) is passed over: other regions do
 * not send through it, and its own gateway does not use its own link.
 *
 * <p>When to try the next target: only when the command was certainly not delivered — the breaker
 * or bulkhead refused it, the connection could not be made, or the next region said it could not
 * dispatch ({@code Outpost-Not-Dispatched}). A timeout after the request was sent is not retried
 * elsewhere: the command may have been applied; the client gets 504 and may retry with its
 * {@code Idempotency-Key}. A region that goes DOWN by its monitors' majority while a command is in
 * flight through it is given up at once: with an {@code Idempotency-Key} the command goes on to the
 * next route (the ledger keeps it from being applied twice), without one the answer is 504
 * {@code command-outcome-unknown}.
 */
public final class Dispatcher {

    private static final Logger LOG = LoggerFactory.getLogger(Dispatcher.class);
    private static final ObjectMapper JSON = new ObjectMapper();
    /** Outpost's own request headers: set per hop, not copied. */
    private static final Set<String> OWN = Set.of(Headers.HOPS.toLowerCase(Locale.ROOT), Headers.VIA.toLowerCase(Locale.ROOT),
            Headers.SERVICE_TOKEN.toLowerCase(Locale.ROOT));

    private final String region;
    private final CommandRoute route;
    private final FenceWriter fences;
    private final IdempotentCommands idempotent;
    private final Duration budget;
    private final HttpClient http;
    private final Ticker ticker;
    private final ReadAccess access;
    private final RegionStateFeed regions;
    private final Tracing tracing;

    /**
     * @param targets in order of preference: the monolith first when this region has a route to it
     * @param fences  writes the tokens; null when this region does not reach the monolith
     * @param ledger  records idempotency keys; null when this region does not reach the monolith
     * @param budget  the most a client waits for a command, forwarding included
     * @param access  who sent a command: its forwarding headers are believed only from another region,
     *                and its idempotency keys are its principal's alone
     * @param regions which regions an operator drained: no command goes through them (this region's
     *                own link to the monolith included, when it is drained itself)
     * @param tracing its spans: one per call to the monolith or the next region
     */
    public Dispatcher(String region, List<CommandTarget> targets, FenceWriter fences, IdempotencyLedger ledger,
                      Duration budget, int maxHops, HttpClient http, Ticker ticker, ReadAccess access,
                      RegionStateFeed regions, Tracing tracing) {
        this.access = access;
        this.tracing = tracing;
        this.regions = regions;
        this.region = region;
        this.route = new CommandRoute(targets, maxHops);
        this.fences = fences;
        this.idempotent = new IdempotentCommands(region, ledger, r -> regions.states().get(r) == RegionHealth.DOWN);
        this.budget = budget;
        this.http = http;
        this.ticker = ticker;
    }

    /**
     * A monitor's canary: dispatched like a command, along the same route, breakers and drains, but
     * the region that would send it to the monolith writes a fence into the source instead and
     * answers its token ({@code {"token": …, "route": region}}).
     */
    public static final String CANARY_PATH = "/outpost/v1/canary";

    public List<CommandTarget> targets() {
        return route.targets();
    }

    /** Dispatches the request in {@code ctx} and writes the answer into it. */
    public void dispatch(Context ctx) throws InterruptedException {
        long deadline = ticker.read() + budget.toNanos();
        boolean trusted = access.trusted(ctx); // a client's Outpost-Hops or Outpost-Via changes nothing
        int hops = trusted ? hops(ctx) : 0;
        List<String> via = new ArrayList<>();
        String viaHeader = trusted ? ctx.header(Headers.VIA) : null;
        if (viaHeader != null) {
            for (String name : viaHeader.split(",")) {
                via.add(name.strip());
            }
        }
        via.add(region);
        String trace = tracing.traceparent(null, ctx, true);
        byte[] body = ctx.bodyAsBytes();
        boolean canary = CANARY_PATH.equals(ctx.path());
        String key = canary ? null : IdempotentCommands.key(ctx);
        // the ledger's key is the principal's: another caller reusing it never gets this one's answer
        String ledgerKey = key == null || !idempotent.enabled() ? null : IdempotentCommands.ledgerKey(access.principal(ctx), key);
        List<String> refusals = new ArrayList<>();
        Set<String> drained = regions.drained();
        for (CommandTarget target : route.candidates(via, hops)) {
            long remaining = deadline - ticker.read();
            if (remaining <= 0) {
                break;
            }
            String through = target.monolith() ? region : target.name();
            if (drained.contains(through)) {
                refusals.add(target.monolith() ? "this region's link: region " + region + " is drained by an operator"
                        : target.name() + ": drained by an operator");
                continue;
            }
            String refused = CommandRoute.acquire(target);
            if (refused != null) {
                refusals.add(refused);
                continue;
            }
            try {
                if (canary && target.monolith()) {
                    target.breaker().releasePermission(); // the monolith is not called
                    String refusal = writeCanary(ctx);
                    if (refusal == null) {
                        return;
                    }
                    refusals.add(refusal);
                    continue;
                }
                IdempotencyLedger.Claimed claimed = null;
                if (key != null && target.monolith() && idempotent.enabled()) {
                    IdempotencyLedger.Claim claim;
                    try {
                        claim = idempotent.claim(ledgerKey, ctx, body);
                    } catch (OutpostException e) {
                        target.breaker().releasePermission();
                        refusals.add(target.name() + ": " + e.getMessage());
                        continue;
                    }
                    if (!(claim instanceof IdempotencyLedger.Claimed mine)) {
                        target.breaker().releasePermission();
                        idempotent.settled(ctx, ledgerKey, claim);
                        return;
                    }
                    claimed = mine;
                    boolean stillMine;
                    try {
                        stillMine = idempotent.markSent(claimed);
                    } catch (OutpostException e) {
                        target.breaker().releasePermission();
                        idempotent.release(claimed);
                        refusals.add(target.name() + ": " + e.getMessage());
                        continue;
                    }
                    if (!stillMine) { // this attempt stalled past its lease and another took the key over: it sends, not this one
                        target.breaker().releasePermission();
                        throw new Problem(ProblemType.COMMAND_IN_FLIGHT, "another attempt with "
                                + Headers.IDEMPOTENCY_KEY + " \"" + key + "\" took the command over while this one stalled; retry "
                                + "after the Retry-After delay to get its answer").header("Retry-After", "1");
                    }
                }
                Duration timeout = Duration.ofNanos(Math.min(remaining, target.timeout().toNanos()));
                io.opentelemetry.api.trace.Span call = tracing.call(ctx.method().name() + " "
                        + (target.monolith() ? "monolith" : "region " + target.name()), target.name());
                HttpRequest request = request(ctx, target, body, timeout, hops, via,
                        call == null ? trace : tracing.traceparent(call, ctx, true));
                long started = ticker.read();
                HttpResponse<byte[]> response = null;
                try {
                    try {
                        response = target.monolith() ? http.send(request, HttpResponse.BodyHandlers.ofByteArray())
                                : awaitHop(target, request);
                    } catch (HopLost e) {
                        target.breaker().onError(ticker.read() - started, TimeUnit.NANOSECONDS, e);
                        if (key == null && !canary) { // a canary's fence written twice does no harm: it goes on too
                            throw new Problem(ProblemType.COMMAND_OUTCOME_UNKNOWN,
                                    "region " + target.name() + " went DOWN (by its monitors' majority) while the command was in "
                                            + "flight through it; it may or may not have been applied. Send commands with an "
                                            + "Idempotency-Key, so that they can be retried safely");
                        }
                        // with a key the ledger tells a command applied from one that was not: the next route may take it
                        refusals.add(target.name() + ": went DOWN while the command was in flight; sent on with its "
                                + Headers.IDEMPOTENCY_KEY);
                        continue;
                    } catch (HttpConnectTimeoutException | ConnectException e) {
                        target.breaker().onError(ticker.read() - started, TimeUnit.NANOSECONDS, e);
                        refusals.add(target.name() + ": cannot connect (" + e.getClass().getSimpleName() + ")");
                        if (claimed != null) {
                            idempotent.release(claimed);
                        }
                        continue; // not delivered: the next target may take it
                    } catch (HttpTimeoutException e) {
                        target.breaker().onError(ticker.read() - started, TimeUnit.NANOSECONDS, e);
                        throw new Problem(ProblemType.COMMAND_TIMEOUT,
                                target.name() + " did not answer within " + timeout.toMillis() + " ms; the command may or may not "
                                        + "have been applied. Retry with the same Idempotency-Key to be safe");
                    } catch (IOException e) {
                        target.breaker().onError(ticker.read() - started, TimeUnit.NANOSECONDS, e);
                        throw new Problem(ProblemType.COMMAND_FAILED,
                                target.name() + " broke the connection (" + e.getMessage() + "); the command may or may not have "
                                        + "been applied. Retry with the same Idempotency-Key to be safe");
                    }
                } finally {
                    Tracing.ended(call, response == null ? 0 : response.statusCode());
                }
                long took = ticker.read() - started;
                boolean notDispatched = response.headers().firstValue(Headers.NOT_DISPATCHED).isPresent();
                // a region that could not dispatch is not failing, nor one that says a command's outcome is unknown: that
                // is what its ledger knows about the key (counted as failures, a burst of retries of commands lost with
                // a dead region would open the breaker to the backup route for every other command)
                if (response.statusCode() >= 500 && !notDispatched && !outcomeUnknown(target, response)) {
                    target.breaker().onError(took, TimeUnit.NANOSECONDS, new ServerError(target.name(), response.statusCode()));
                } else {
                    target.breaker().onSuccess(took, TimeUnit.NANOSECONDS);
                }
                if (notDispatched) {
                    refusals.add(target.name() + " could not dispatch either (" + detail(response.body()) + ")");
                    continue;
                }
                Map<String, List<String>> headers = PassThrough.endToEnd(response.headers().map());
                String token = answer(ctx, target, response.statusCode(), headers, response.body(), trace);
                if (claimed != null) {
                    idempotent.complete(claimed, response.statusCode(), headers, response.body(), token);
                }
                return;
            } finally {
                target.bulkhead().onComplete();
            }
        }
        throw new Problem(ProblemType.NO_ROUTE, "region " + region + " cannot send the command to the monolith now"
                        + (refusals.isEmpty() ? " (no target within " + route.maxHops() + " hops)" : ": " + String.join("; ", refusals))
                        + ". The command was not sent; retry after the Retry-After delay")
                .header("Retry-After", "5").header(Headers.NOT_DISPATCHED, "true");
    }

    /** Writes a canary fence and answers its token; returns why not, when it cannot. */
    private String writeCanary(Context ctx) {
        if (fences == null) {
            return "this region's link: no source to write a canary fence in";
        }
        try {
            String token = fences.write(io.outpost.core.change.Fence.CANARY_PREFIX + Objects.requireNonNullElse(ctx.header("Outpost-Monitor"), region)).encode();
            ctx.header(Headers.ROUTE, region).header(Headers.TOKEN, token);
            ctx.json(Map.of("token", token, "route", region));
            return null;
        } catch (OutpostException e) {
            return "this region's link: " + e.getMessage();
        }
    }

    /**
     * Sends {@code request} to another region and waits for its answer — unless the region goes DOWN
     * by its monitors' majority meanwhile (its breaker forced open): a hung region (a stopped process,
     * a cut link) does not hold the command for the whole timeout, only until its monitors agree.
     *
     * @throws HopLost when the region went DOWN while the command was in flight
     * @throws IOException as {@link HttpClient#send} throws it
     */
    private HttpResponse<byte[]> awaitHop(CommandTarget target, HttpRequest request) throws IOException, InterruptedException,
            HopLost {
        java.util.concurrent.CompletableFuture<HttpResponse<byte[]>> pending =
                http.sendAsync(request, HttpResponse.BodyHandlers.ofByteArray());
        while (true) {
            try {
                return pending.get(HOP_CHECK.toMillis(), TimeUnit.MILLISECONDS);
            } catch (java.util.concurrent.TimeoutException e) {
                if (target.breaker().getState() == io.github.resilience4j.circuitbreaker.CircuitBreaker.State.FORCED_OPEN) {
                    pending.cancel(true);
                    throw new HopLost(target.name());
                }
            } catch (java.util.concurrent.ExecutionException e) {
                if (e.getCause() instanceof IOException io) {
                    throw io;
                }
                throw new IOException(e.getCause());
            } catch (InterruptedException e) {
                pending.cancel(true);
                throw e;
            }
        }
    }

    /** How often a command in flight through another region looks whether that region went DOWN. */
    private static final Duration HOP_CHECK = Duration.ofMillis(100);

    /** A region went DOWN while a command was in flight through it. */
    static final class HopLost extends Exception {
        private static final long serialVersionUID = 1L;

        HopLost(String target) {
            super(target + " went DOWN while the command was in flight", null, false, false);
        }
    }

    /** Whether a region answered that the command's outcome is unknown (its ledger's answer, not a failure). */
    private static boolean outcomeUnknown(CommandTarget target, HttpResponse<byte[]> response) {
        if (target.monolith() || response.statusCode() != ProblemType.COMMAND_OUTCOME_UNKNOWN.status()) {
            return false;
        }
        try {
            JsonNode problem = JSON.readTree(response.body());
            return problem != null
                    && problem.path("type").asText().equals(Problem.TYPE_BASE + ProblemType.COMMAND_OUTCOME_UNKNOWN.slug());
        } catch (IOException e) {
            return false; // not a problem document: a failure like any other
        }
    }

    /** A problem document's detail, or the body's start. */
    private static String detail(byte[] body) {
        String text = new String(body, StandardCharsets.UTF_8);
        try {
            JsonNode problem = JSON.readTree(text);
            if (problem != null && problem.hasNonNull("detail")) {
                return problem.get("detail").asText();
            }
        } catch (IOException e) {
            // not JSON
        }
        return text.length() > 200 ? text.substring(0, 200) + "…" : text;
    }

    private int hops(Context ctx) {
        String text = ctx.header(Headers.HOPS);
        if (text == null) {
            return 0;
        }
        try {
            int hops = Integer.parseInt(text.strip());
            if (hops >= 0 && hops <= route.maxHops()) {
                return hops;
            }
        } catch (NumberFormatException e) {
            // below
        }
        throw new Problem(ProblemType.TOO_MANY_HOPS,
                Headers.HOPS + " is \"" + text + "\", more than commands.max-hops (" + route.maxHops() + ") or not a number");
    }

    private HttpRequest request(Context ctx, CommandTarget target, byte[] body, Duration timeout, int hops, List<String> via,
                                String trace) {
        URI uri = URI.create(target.url().toString().replaceAll("/+$", "") + IdempotentCommands.pathAndQuery(ctx));
        HttpRequest.Builder request = HttpRequest.newBuilder(uri).timeout(timeout)
                .method(ctx.method().name(), body.length == 0 ? HttpRequest.BodyPublishers.noBody()
                        : HttpRequest.BodyPublishers.ofByteArray(body));
        for (var header : ctx.headerMap().entrySet()) {
            String name = header.getKey().toLowerCase(Locale.ROOT);
            if (!PassThrough.HOP_BY_HOP.contains(name) && !OWN.contains(name) && !name.equals("traceparent")) {
                request.header(header.getKey(), header.getValue());
            }
        }
        request.header("traceparent", trace);
        if (!target.monolith()) {
            request.header(Headers.HOPS, Integer.toString(hops + 1));
            request.header(Headers.VIA, String.join(",", via));
            if (access.serviceToken() != null) { // to another region only, never to the monolith
                request.header(Headers.SERVICE_TOKEN, access.serviceToken());
            }
        }
        return request.build();
    }

    /** Writes the target's answer into {@code ctx}; returns the token added, if any. */
    private String answer(Context ctx, CommandTarget target, int status, Map<String, List<String>> headers, byte[] body,
                          String trace) {
        ctx.status(status);
        PassThrough.copy(headers, ctx);
        ctx.result(body);
        if (!target.monolith()) {
            return null; // the region that sent it home named itself in the answer copied above
        }
        ctx.header(Headers.ROUTE, region);
        if (status / 100 != 2) {
            return null;
        }
        if (fences == null) {
            LOG.warn("region {} reached the monolith but has no source to write a fence in", region);
            return null;
        }
        try {
            String token = fences.write("gateway " + region + " " + trace).encode();
            ctx.header(Headers.TOKEN, token);
            return token;
        } catch (OutpostException e) {
            // the command succeeded; without a token the client cannot ask for its own write
            LOG.warn("region {}: the command succeeded but no token could be written: {}", region, e.getMessage());
            ctx.header("Outpost-Token-Unavailable", "the source database could not be reached for a fence");
            return null;
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

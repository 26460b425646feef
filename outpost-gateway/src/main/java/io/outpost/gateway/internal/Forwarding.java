package io.outpost.gateway.internal;

import io.javalin.http.Context;
import io.outpost.core.ConsistencyToken;
import io.outpost.core.OutpostException;
import io.outpost.store.ViewReads;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;

/**
 * A query this region cannot answer as required (it has not reached the token, or is too stale):
 * asked of the other regions in turn, once — a forwarded query is not forwarded again and does not
 * wait — and answered with the first region's 200 or 404; when none has it, 503
 * {@code not-caught-up} with this region's watermark and {@code Retry-After}. Never an older answer.
 */
public final class Forwarding {

    /** Another region's gateway. */
    public record Peer(String region, URI url) {
    }

    private final String region;
    private final String source;
    private final List<Peer> peers;
    private final Duration timeout;
    private final HttpClient http;
    private final String serviceToken;
    private final Tracing tracing;

    /**
     * @param serviceToken sent with every forwarded query so the peer believes its forwarding headers;
     *                     null without authentication
     * @param timeout how long a peer may take to answer (the region's {@code max-wait}; 1 s when that is zero) */
    public Forwarding(String region, String source, List<Peer> peers, Duration timeout, HttpClient http, String serviceToken,
                      Tracing tracing) {
        this.serviceToken = serviceToken;
        this.tracing = tracing;
        this.region = region;
        this.source = source;
        this.peers = List.copyOf(peers);
        this.timeout = timeout.isZero() ? Duration.ofSeconds(1) : timeout;
        this.http = http;
    }

    /** Answers {@code ctx} from another region, or throws the 503 that says none has it. */
    void elsewhere(Context ctx, Consistency.HeaderSource request, Consistency requirement, ViewReads.Snapshot here) {
        boolean forwarded = Consistency.forwarded(request);
        if (!forwarded) {
            for (Peer peer : peers) {
                HttpResponse<byte[]> answer = ask(peer, ctx, requirement);
                if (answer != null && (answer.statusCode() == 200 || answer.statusCode() == 404)) {
                    ctx.status(answer.statusCode());
                    for (String name : List.of("Content-Type", Headers.REGION, Headers.WATERMARK, Headers.STALENESS)) {
                        answer.headers().firstValue(name).ifPresent(value -> ctx.header(name, value));
                    }
                    ctx.result(answer.body());
                    return;
                }
            }
        }
        Problem problem = new Problem(ProblemType.NOT_CAUGHT_UP,
                "region " + region + (here.position() == null ? " has applied nothing yet"
                        : " is at " + here.position() + (here.commitTime() == null ? "" : " (committed at the source "
                        + here.commitTime() + ")"))
                        + (requirement.token() != null ? "; the request needs " + requirement.token().position() : "")
                        + (requirement.maxStalenessMs() != null ? "; the request allows " + requirement.maxStalenessMs()
                        + " ms of staleness" : "")
                        + (forwarded || peers.isEmpty() ? "" : "; no other region had it either")
                        + ". Try again shortly").header("Retry-After", "1");
        if (here.position() != null) {
            problem.member("watermark", new ConsistencyToken(source, here.position()).encode());
        }
        throw problem;
    }

    private HttpResponse<byte[]> ask(Peer peer, Context ctx, Consistency requirement) {
        String path = ctx.path() + (ctx.queryString() == null ? "" : "?" + ctx.queryString());
        HttpRequest.Builder request = HttpRequest.newBuilder(peer.url().resolve(path)).GET().timeout(timeout)
                .header(Headers.HOPS, "1").header(Headers.MAX_WAIT, "0");
        if (requirement.token() != null) {
            request.header(Headers.MIN_TOKEN, requirement.token().encode());
        }
        if (requirement.maxStalenessMs() != null) {
            request.header(Headers.MAX_STALENESS, requirement.maxStalenessMs().toString());
        }
        // the caller's credentials go along: the peer applies the caller's read rules, not ours
        for (String name : List.of("Authorization", "Cookie")) {
            String value = ctx.header(name);
            if (value != null) {
                request.header(name, value);
            }
        }
        if (serviceToken != null) {
            request.header(Headers.SERVICE_TOKEN, serviceToken);
        }
        io.opentelemetry.api.trace.Span call = tracing.call("GET region " + peer.region(), peer.region());
        String trace = tracing.traceparent(call, ctx, false);
        if (trace != null) {
            request.header("traceparent", trace);
        }
        HttpResponse<byte[]> answer = null;
        try {
            answer = http.send(request.build(), HttpResponse.BodyHandlers.ofByteArray());
            return answer;
        } catch (IOException e) {
            return null; // that region cannot answer: the next one may
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new OutpostException.Retriable("interrupted while asking region " + peer.region());
        } finally {
            Tracing.ended(call, answer == null ? 0 : answer.statusCode());
        }
    }
}

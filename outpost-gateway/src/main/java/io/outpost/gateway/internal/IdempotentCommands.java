package io.outpost.gateway.internal;

import io.javalin.http.Context;
import io.outpost.core.OutpostException;
import io.outpost.source.IdempotencyLedger;
import java.util.List;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A region's use of the idempotency ledger for commands with an {@code Idempotency-Key}: claim the
 * key before sending, record the answer after (a 5xx releases the claim, so a retry sends it
 * again), and answer a key the ledger already knows — the first answer replayed, 409 while in
 * flight, 422 for another request under the same key. Only a region with a route to the monolith
 * has a ledger.
 */
final class IdempotentCommands {

    private static final Logger LOG = LoggerFactory.getLogger(IdempotentCommands.class);

    private final String region;
    private final IdempotencyLedger ledger;

    /** @param ledger null when this region does not reach the monolith */
    IdempotentCommands(String region, IdempotencyLedger ledger) {
        this.region = region;
        this.ledger = ledger;
    }

    boolean enabled() {
        return ledger != null;
    }

    /**
     * The request's key, or null.
     *
     * @throws Problem 400 {@code invalid-header} when it is empty or longer than 255 characters
     */
    static String key(Context ctx) {
        String key = ctx.header(Headers.IDEMPOTENCY_KEY);
        if (key != null && (key.isBlank() || key.length() > 255)) {
            throw Problem.badRequest("invalid-header", Headers.IDEMPOTENCY_KEY + " must be 1 to 255 characters long");
        }
        return key;
    }

    /**
     * The ledger's key for the client's {@code key} sent by {@code principal} (null: anonymous). An
     * {@code Idempotency-Key} cannot hold a line break, so the principal's part cannot be forged.
     */
    static String ledgerKey(String principal, String key) {
        return principal == null ? key : principal + "\n" + key;
    }

    /** The client's key within a ledger key. */
    private static String clientKey(String ledgerKey) {
        return ledgerKey.substring(ledgerKey.lastIndexOf('\n') + 1);
    }

    static String pathAndQuery(Context ctx) {
        return ctx.path() + (ctx.queryString() == null ? "" : "?" + ctx.queryString());
    }

    /**
     * Claims {@code key} for this request.
     *
     * @throws OutpostException when the ledger cannot be reached (the command is not sent)
     */
    IdempotencyLedger.Claim claim(String key, Context ctx, byte[] body) {
        return ledger.claim(key, IdempotencyLedger.requestHash(ctx.method().name(), pathAndQuery(ctx), body), "gateway " + region);
    }

    /**
     * Records the monolith's answer to a claimed key; a 5xx releases the claim instead. Headers that
     * carry credentials ({@code Set-Cookie}, …) are not kept: a replay must not hand out a session.
     */
    void complete(String key, int status, Map<String, List<String>> headers, byte[] body, String token) {
        if (status >= 500) {
            release(key); // the monolith failed it: a retry sends it again
            return;
        }
        try {
            ledger.complete(key, status, PassThrough.toJson(PassThrough.withoutCredentials(headers)), body, token);
        } catch (OutpostException e) {
            LOG.warn("region {}: the answer to the command with {} {} could not be recorded ({}); retries get "
                    + "409 until the claim expires, then send it again", region, Headers.IDEMPOTENCY_KEY, clientKey(key),
                    e.getMessage());
        }
    }

    /** Releases a claim; when the ledger cannot be reached the claim stays until it expires. */
    void release(String key) {
        try {
            ledger.release(key);
        } catch (OutpostException e) {
            LOG.warn("region {}: the claim of {} {} could not be released ({}); retries get 409 until it expires", region,
                    Headers.IDEMPOTENCY_KEY, clientKey(key), e.getMessage());
        }
    }

    /** Answers a request whose key the ledger already knows: the first answer, a conflict, or a mismatch. */
    void settled(Context ctx, String ledgerKey, IdempotencyLedger.Claim claim) {
        String key = clientKey(ledgerKey);
        switch (claim) {
            case IdempotencyLedger.Done done -> {
                ctx.status(done.status());
                PassThrough.copy(PassThrough.fromJson(done.headersJson()), ctx);
                if (done.token() != null) {
                    ctx.header(Headers.TOKEN, done.token());
                }
                ctx.header(Headers.REPLAY, "true");
                ctx.header(Headers.ROUTE, region);
                ctx.result(done.body() == null ? new byte[0] : done.body());
            }
            case IdempotencyLedger.InFlight inFlight -> throw new Problem(409, "command-in-flight",
                    "The command is in flight", "a command with " + Headers.IDEMPOTENCY_KEY + " \"" + key
                    + "\" is being processed (" + inFlight.claimedBy() + "); retry after the Retry-After delay to get its answer")
                    .header("Retry-After", "1");
            case IdempotencyLedger.Mismatch mismatch -> throw new Problem(422, "idempotency-key-reused",
                    "The idempotency key was used for another request", Headers.IDEMPOTENCY_KEY + " \"" + key + "\" was used "
                    + "for a different request (method, path or body); use a new key for a new command");
            case IdempotencyLedger.Claimed claimed -> throw new IllegalStateException("not settled: " + claimed);
        }
    }
}

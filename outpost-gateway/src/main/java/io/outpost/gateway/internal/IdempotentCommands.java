package io.outpost.gateway.internal;

import io.javalin.http.Context;
import io.outpost.core.OutpostException;
import io.outpost.source.IdempotencyLedger;
import java.util.List;
import java.util.Map;
import java.util.function.Predicate;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A region's use of the idempotency ledger for commands with an {@code Idempotency-Key}: claim the
 * key, mark it sent just before sending (a claim taken over meanwhile is not sent), record the
 * answer after (a 5xx releases the claim, so a retry sends it again), and answer a key the ledger
 * already knows — the first answer replayed, 409 while in flight, 504 {@code command-outcome-unknown}
 * once the region that sent it is DOWN or the in-flight limit passed (it is never sent twice), 422
 * for another request under the same key. Only a region with a route to the monolith has a ledger.
 */
final class IdempotentCommands {

    private static final Logger LOG = LoggerFactory.getLogger(IdempotentCommands.class);

    private final String region;
    private final IdempotencyLedger ledger;
    private final Predicate<String> down;

    /**
     * @param ledger null when this region does not reach the monolith
     * @param down   whether a region is DOWN by its monitors' majority (its claims' answers will not come soon)
     */
    IdempotentCommands(String region, IdempotencyLedger ledger, Predicate<String> down) {
        this.region = region;
        this.ledger = ledger;
        this.down = down;
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
            throw new Problem(ProblemType.INVALID_HEADER, Headers.IDEMPOTENCY_KEY + " must be 1 to 255 characters long");
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
        return ledger.claim(key, IdempotencyLedger.requestHash(ctx.method().name(), pathAndQuery(ctx), body), region);
    }

    /**
     * Marks a claim sent, just before its command goes to the monolith.
     *
     * @return false when another attempt took the claim over: this one must not send
     * @throws OutpostException when the ledger cannot be reached (the command is not sent)
     */
    boolean markSent(IdempotencyLedger.Claimed claim) {
        return ledger.markSent(claim);
    }

    /**
     * Records the monolith's answer to a claimed key; a 5xx releases the claim instead. Headers that
     * carry credentials ({@code Set-Cookie}, …) are not kept: a replay must not hand out a session.
     */
    void complete(IdempotencyLedger.Claimed claim, int status, Map<String, List<String>> headers, byte[] body, String token) {
        String key = claim.key();
        if (status >= 500) {
            release(claim); // the monolith failed it: a retry sends it again
            return;
        }
        try {
            ledger.complete(key, status, PassThrough.toJson(PassThrough.withoutCredentials(headers)), body, token);
        } catch (OutpostException e) {
            LOG.warn("region {}: the answer to the command with {} {} could not be recorded ({}); retries get "
                    + "409 until the claim expires, then that its outcome is unknown", region, Headers.IDEMPOTENCY_KEY, clientKey(key),
                    e.getMessage());
        }
    }

    /** Releases a claim; when the ledger cannot be reached the claim stays until it expires. */
    void release(IdempotencyLedger.Claimed claim) {
        try {
            ledger.release(claim);
        } catch (OutpostException e) {
            LOG.warn("region {}: the claim of {} {} could not be released ({}); retries get 409 until it expires", region,
                    Headers.IDEMPOTENCY_KEY, clientKey(claim.key()), e.getMessage());
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
            case IdempotencyLedger.InFlight inFlight when inFlight.sent() && (inFlight.expired() || down.test(inFlight.claimedBy())) ->
                    throw new Problem(ProblemType.COMMAND_OUTCOME_UNKNOWN,
                            "the command with " + Headers.IDEMPOTENCY_KEY + " \"" + key + "\" was sent to the monolith by region "
                            + inFlight.claimedBy() + ", which " + (inFlight.expired() ? "has not recorded its answer in time"
                            : "went DOWN (by its monitors' majority)") + " before recording it: it may or may not have been "
                            + "applied, and Outpost will not send it again. Retry with the same key later: if that region "
                            + "comes back with the answer, you get it; otherwise check the monolith for the command's effect")
                            .header("Retry-After", "5");
            case IdempotencyLedger.InFlight inFlight -> throw new Problem(ProblemType.COMMAND_IN_FLIGHT,
                    "a command with " + Headers.IDEMPOTENCY_KEY + " \"" + key
                    + "\" is being processed by region " + inFlight.claimedBy() + "; retry after the Retry-After delay to get "
                    + "its answer").header("Retry-After", "1");
            case IdempotencyLedger.Mismatch mismatch -> throw new Problem(ProblemType.IDEMPOTENCY_KEY_REUSED,
                    Headers.IDEMPOTENCY_KEY + " \"" + key + "\" was used "
                    + "for a different request (method, path or body); use a new key for a new command");
            case IdempotencyLedger.Claimed claimed -> throw new IllegalStateException("not settled: " + claimed);
        }
    }
}

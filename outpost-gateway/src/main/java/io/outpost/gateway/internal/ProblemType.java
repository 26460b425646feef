package io.outpost.gateway.internal;

import java.util.List;
import java.util.Locale;

/**
 * Every kind of problem a gateway answers with: its name (the {@code type} is
 * {@code urn:outpost:problem:<name>}), its HTTP status, its title (the same for every occurrence, as
 * RFC 9457 asks) and what it means. The OpenAPI description lists them all from here.
 */
public enum ProblemType {

    INVALID_TOKEN(400, "The consistency token is not valid",
            "Outpost-Min-Token (or a canary token) is not a token this gateway issued, or is one of another source"),
    INVALID_HEADER(400, "A header is not valid",
            "Outpost-Max-Staleness or Outpost-Max-Wait is not a whole number of milliseconds, or Idempotency-Key is not 1 to 255 characters"),
    INVALID_WAIT(400, "The wait is not valid",
            "wait_ms of a canary question is not a number of milliseconds from 0 to 60,000"),
    UNKNOWN_FILTER(400, "No such filter",
            "a list's parameter is neither a declared field of the view nor one of limit, after, sort, q"),
    INVALID_FILTER(400, "The filter is not valid",
            "a range filter (field.gt, .gte, .lt, .lte) was given more than one value"),
    UNKNOWN_SORT(400, "No such sort", "sort names neither the key nor a declared field of the view"),
    INVALID_LIMIT(400, "The limit is not valid", "limit is not a number from 1 to 100"),
    INVALID_CURSOR(400, "The cursor is not valid",
            "after is not the next value of a previous page of the same listing, unchanged"),
    INVALID_VALUE(400, "A value is not valid", "a filter's value cannot be compared with the field's type"),
    NO_SEARCH(400, "The view has no search", "q= on a view that declares no search fields"),
    UNAUTHENTICATED(401, "Authentication needed",
            "no credential, or one that is not valid (expired, wrong issuer or audience, bad signature)"),
    INSUFFICIENT_SCOPE(403, "Not allowed",
            "no read rule of the view applies to the caller, or Outpost's own endpoint needs the admin scope"),
    NOT_FOUND(404, "Not found",
            "no such document at the region's watermark (a row hidden by a read rule answers exactly the same), or nothing is served at the path"),
    UNKNOWN_VIEW(404, "No such view", "the view is not in the configuration"),
    COMMAND_IN_FLIGHT(409, "The command is in flight",
            "a command with this Idempotency-Key is being processed; retry after Retry-After to get its answer"),
    IDEMPOTENCY_KEY_REUSED(422, "The idempotency key was used for another request",
            "the same Idempotency-Key came with another method, path or body"),
    INTERNAL_ERROR(500, "Internal error", "the gateway failed to serve the request (its log says why)"),
    COMMAND_FAILED(502, "The command's target failed",
            "the monolith or the next region broke the connection: the command may or may not have been applied"),
    VIEW_NOT_READY(503, "The view is not ready in this region",
            "the view is being built (or waits for its tables) in this region"),
    NOT_CAUGHT_UP(503, "This region has not caught up",
            "the region (and every region asked) is behind Outpost-Min-Token or Outpost-Max-Staleness; Retry-After says when to ask again"),
    STORE_UNAVAILABLE(503, "The region's store cannot be reached",
            "the region's PostgreSQL store failed or cannot be reached; Retry-After"),
    NO_ROUTE(503, "No route to the monolith",
            "every target of the command route refused (DOWN, breaker open, bulkhead full); nothing was sent"),
    AUTH_UNAVAILABLE(503, "Credentials cannot be checked now",
            "the signing keys or the monolith's who-am-I endpoint cannot be reached; Retry-After"),
    COMMAND_TIMEOUT(504, "The command timed out",
            "the target took the command and did not answer within commands.timeout: it may have been applied"),
    COMMAND_OUTCOME_UNKNOWN(504, "The command's outcome is unknown",
            "the region that sent the command to the monolith went DOWN or did not record its answer: it may or may not have been applied, and is never sent again"),
    TOO_MANY_HOPS(508, "The command went around in circles", "Outpost-Hops is more than commands.max-hops"),
    /** What Jetty or Javalin refuse before a handler runs: the name is {@code http-<status>}. */
    HTTP(0, "The request cannot be served",
            "http-400 a request that cannot be parsed, http-413 a body over 1 MiB, http-414 a URI too long, http-431 headers over 8 KiB in all");

    /** The statuses {@link #HTTP} is answered with (Jetty's own refusals). */
    public static final List<Integer> HTTP_STATUSES = List.of(400, 413, 414, 431);

    private final int status;
    private final String title;
    private final String description;

    ProblemType(int status, String title, String description) {
        this.status = status;
        this.title = title;
        this.description = description;
    }

    /** Its name: {@code not-caught-up}. */
    public String slug() {
        return name().toLowerCase(Locale.ROOT).replace('_', '-');
    }

    /** Its HTTP status; 0 for {@link #HTTP}, whose status is Jetty's. */
    public int status() {
        return status;
    }

    public String title() {
        return title;
    }

    public String description() {
        return description;
    }
}

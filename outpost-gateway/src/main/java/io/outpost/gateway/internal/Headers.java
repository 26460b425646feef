package io.outpost.gateway.internal;

/** The HTTP headers of Outpost's regional API (see the gateway's documentation). */
public final class Headers {

    /** Request: answer only at or past this token (read your writes). */
    public static final String MIN_TOKEN = "Outpost-Min-Token";
    /** Request: answer only from a watermark committed at most this many ms ago. */
    public static final String MAX_STALENESS = "Outpost-Max-Staleness";
    /** Request: how long to wait for the region to meet the above. */
    public static final String MAX_WAIT = "Outpost-Max-Wait";
    /** Response: the watermark a query's answer was read at, as a token. */
    public static final String WATERMARK = "Outpost-Watermark";
    /** Response: now minus the source commit time of that watermark. */
    public static final String STALENESS = "Outpost-Staleness-Ms";
    /** Response: the region that answered. */
    public static final String REGION = "Outpost-Region";
    /** A forwarded request: how many regions it passed. */
    public static final String HOPS = "Outpost-Hops";
    /** A forwarded command: the regions it passed. */
    public static final String VIA = "Outpost-Via";
    /** Response to a command: the token of its fence. */
    public static final String TOKEN = "Outpost-Token";
    /** Response to a command: the region whose link to the monolith sent it (or replayed its answer). */
    public static final String ROUTE = "Outpost-Route";
    /** Response: the command was certainly not sent (the next route may take it). */
    public static final String NOT_DISPATCHED = "Outpost-Not-Dispatched";
    /** Request: makes a command idempotent across retries and regions. */
    public static final String IDEMPOTENCY_KEY = "Idempotency-Key";
    /** Response: the first answer to this idempotency key, replayed. */
    public static final String REPLAY = "Outpost-Idempotent-Replay";

    /** Request: Outpost's own call (probe, forwarded query, command hop), with the configured service token. */
    public static final String SERVICE_TOKEN = io.outpost.core.config.AuthConfig.SERVICE_TOKEN_HEADER;

    private Headers() {
    }
}

package io.outpost.gateway.internal;

import io.outpost.core.ConsistencyToken;
import io.outpost.store.ViewReads;
import io.outpost.store.WatermarkWatcher;
import java.time.Duration;
import java.time.Instant;

/**
 * What a query requires of the watermark it is answered at: at or past a token
 * ({@code Outpost-Min-Token}), committed at most so long ago ({@code Outpost-Max-Staleness}), and
 * how long it may wait for that ({@code Outpost-Max-Wait}; a forwarded query does not wait).
 *
 * @param token          the token to reach, or null
 * @param maxStalenessMs the staleness allowed, or null
 * @param patience       how long to wait for the region to meet it
 */
record Consistency(ConsistencyToken token, Long maxStalenessMs, Duration patience) {

    /** The longest wait a request may ask for. */
    static final Duration LONGEST_WAIT = Duration.ofSeconds(30);

    /** Whether the request requires anything at all. */
    boolean any() {
        return token != null || maxStalenessMs != null;
    }

    boolean metBy(ViewReads.Snapshot snapshot, Instant now) {
        if (token != null && !WatermarkWatcher.reached(snapshot, token.position())) {
            return false;
        }
        Duration staleness = snapshot.staleness(now);
        return maxStalenessMs == null || staleness != null && staleness.toMillis() <= maxStalenessMs;
    }

    /** Reads the headers' values (null where absent); a forwarded request's patience is zero. */
    interface HeaderSource {
        String header(String name);
    }

    /**
     * The requirement of a request to a gateway of {@code source} whose region waits {@code maxWait}
     * by default.
     *
     * @throws Problem 400 {@code invalid-token} or {@code invalid-header} for a value that is not one
     */
    static Consistency of(HeaderSource request, String source, Duration maxWait) {
        ConsistencyToken token = null;
        String tokenText = request.header(Headers.MIN_TOKEN);
        if (tokenText != null) {
            try {
                token = ConsistencyToken.decode(tokenText);
            } catch (IllegalArgumentException e) {
                throw new Problem(ProblemType.INVALID_TOKEN, Headers.MIN_TOKEN + ": " + e.getMessage());
            }
            if (!token.source().equals(source)) {
                throw new Problem(ProblemType.INVALID_TOKEN, Headers.MIN_TOKEN + " is a token of source \"" + token.source()
                        + "\", but this gateway serves source \"" + source + "\"");
            }
        }
        Long staleness = milliseconds(request, Headers.MAX_STALENESS);
        Long wait = milliseconds(request, Headers.MAX_WAIT);
        Duration bound = wait == null ? maxWait : Duration.ofMillis(Math.min(wait, LONGEST_WAIT.toMillis()));
        return new Consistency(token, staleness, forwarded(request) ? Duration.ZERO : bound);
    }

    /** Whether another region's gateway sent this request. */
    static boolean forwarded(HeaderSource request) {
        return request.header(Headers.HOPS) != null;
    }

    private static Long milliseconds(HeaderSource request, String header) {
        String text = request.header(header);
        if (text == null) {
            return null;
        }
        try {
            long value = Long.parseLong(text.strip());
            if (value >= 0) {
                return value;
            }
        } catch (NumberFormatException e) {
            // below
        }
        throw new Problem(ProblemType.INVALID_HEADER, header + " must be a whole number of milliseconds (0 or more), but was \""
                + text + "\"");
    }
}

package io.outpost.gateway.internal;

import io.javalin.http.Context;
import io.outpost.core.ConsistencyToken;
import io.outpost.store.WatermarkWatcher;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;

/**
 * {@code GET /outpost/v1/canary/{token}?wait_ms=N}: whether this region's watermark has reached a
 * canary fence's token, waiting up to N ms (at most a minute) for it. A monitor asks every region
 * this after writing a fence through its own region's command path, and counts from the write's
 * acknowledgement to the answer.
 */
public final class CanaryVisibility {

    /** The longest a caller may make this region wait. */
    static final Duration LONGEST_WAIT = Duration.ofMinutes(1);

    private final String source;
    private final WatermarkWatcher watcher;

    public CanaryVisibility(String source, WatermarkWatcher watcher) {
        this.source = Objects.requireNonNull(source, "source");
        this.watcher = Objects.requireNonNull(watcher, "watcher");
    }

    /** Answers {@code {"reached": true|false, "watermark": "0/16B3748"}} (200), or a problem for a bad token or wait. */
    public void answer(Context ctx) throws InterruptedException {
        ConsistencyToken token;
        try {
            token = ConsistencyToken.decode(ctx.pathParam("token"));
        } catch (IllegalArgumentException e) {
            throw new Problem(ProblemType.INVALID_TOKEN, "the canary token: " + e.getMessage());
        }
        if (!token.source().equals(source)) {
            throw new Problem(ProblemType.INVALID_TOKEN, "the canary token is of source \"" + token.source()
                    + "\", but this gateway serves source \"" + source + "\"");
        }
        String text = ctx.queryParam("wait_ms");
        long waitMs;
        try {
            waitMs = text == null ? 0 : Long.parseLong(text.strip());
        } catch (NumberFormatException e) {
            waitMs = -1;
        }
        if (waitMs < 0 || waitMs > LONGEST_WAIT.toMillis()) {
            throw new Problem(ProblemType.INVALID_WAIT, "wait_ms must be a whole number of milliseconds from 0 to "
                    + LONGEST_WAIT.toMillis() + ", but was \"" + text + "\"");
        }
        boolean reached = watcher.await(s -> WatermarkWatcher.reached(s, token.position()), Duration.ofMillis(waitMs));
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("reached", reached);
        var position = watcher.current().position();
        body.put("watermark", position == null ? null : position.toString());
        ctx.json(body);
    }
}

package io.outpost.core.config;

import static io.outpost.core.config.Def.Setting.optional;
import static io.outpost.core.config.Def.Setting.required;

import java.time.Duration;
import java.util.Objects;

/**
 * The monolith's HTTP API, where commands are sent.
 *
 * @param timeout how long a command may take at the monolith before the gateway gives up on it
 */
public record MonolithConfig(String url, Duration timeout) {

    static final Def.Setting<String> URL = required("url", Type.HTTP_URL,
            "Base URL of the monolith's HTTP API, as seen from regions that have a route to it.");
    static final Def.Setting<Duration> TIMEOUT = optional("timeout", Type.DURATION, Duration.ofSeconds(5),
            "How long a command may take at the monolith before it counts as failed.");

    static final Def.Section DEF = Def.Section.of("monolith", true, "The monolith's HTTP API.", URL, TIMEOUT);

    public MonolithConfig {
        Objects.requireNonNull(url, "url");
        Objects.requireNonNull(timeout, "timeout");
    }

    static MonolithConfig read(Cursor c) {
        int before = c.problemCount();
        String url = c.get(URL);
        Duration timeout = c.get(TIMEOUT);
        if (timeout.isZero()) {
            c.problem(TIMEOUT.key(), "must be longer than 0, but was 0");
        }
        return c.failedSince(before) ? null : new MonolithConfig(url, timeout);
    }
}

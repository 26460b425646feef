package io.outpost.core.config;

import static io.outpost.core.config.Def.Setting.optional;

import java.util.Optional;

/**
 * Traces of queries and commands (W3C {@code traceparent}, OpenTelemetry), exported over OTLP.
 *
 * @param otlpEndpoint  where spans go (OTLP over HTTP, e.g. {@code http://collector:4318/v1/traces});
 *                      empty: no tracing, and no cost ({@code traceparent} is still passed on)
 * @param samplePercent how many of the traces that start at a gateway are kept; a request that comes
 *                      with a sampled {@code traceparent} is always kept
 */
public record TracingConfig(Optional<String> otlpEndpoint, int samplePercent) {

    static final Def.Setting<String> OTLP_ENDPOINT = optional("otlp-endpoint", Type.HTTP_URL, null,
            "Where the gateways send their spans, OTLP over HTTP (e.g. http://collector:4318/v1/traces). Unset: no "
                    + "tracing and no cost; traceparent is still passed on to the monolith.");
    static final Def.Setting<Integer> SAMPLE_PERCENT = optional("sample-percent", Type.integer(0, 100), 100,
            "Of the traces that start at a gateway, how many are kept (a request with a sampled traceparent always is).");

    static final Def.Section DEF = Def.Section.of("tracing", false, "Traces of queries and commands (OpenTelemetry).",
            OTLP_ENDPOINT, SAMPLE_PERCENT);

    /** No tracing. */
    public static final TracingConfig OFF = new TracingConfig(Optional.empty(), 100);

    public TracingConfig {
        otlpEndpoint = otlpEndpoint == null ? Optional.empty() : otlpEndpoint;
    }

    /** Whether spans are exported. */
    public boolean enabled() {
        return otlpEndpoint.isPresent();
    }

    static TracingConfig read(Cursor c) {
        if (c == null) {
            return OFF;
        }
        return new TracingConfig(Optional.ofNullable(c.get(OTLP_ENDPOINT)), c.get(SAMPLE_PERCENT));
    }
}

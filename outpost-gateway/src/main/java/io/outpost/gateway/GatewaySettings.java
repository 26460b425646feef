package io.outpost.gateway;

import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.opentelemetry.api.OpenTelemetry;
import io.outpost.core.OutpostException;
import io.outpost.core.config.OutpostConfig;
import io.outpost.core.config.RegionConfig;
import io.outpost.core.region.RegionStateFeed;
import java.time.InstantSource;
import java.util.Objects;
import java.util.Optional;

/**
 * What a gateway serves and where it listens.
 *
 * @param host  the interface it listens on
 * @param port  the port; 0 picks a free one
 * @param clock what staleness is measured against
 * @param regions every region's effective state from the control plane ({@link RegionStateFeed#none()}
 *                without one): a region DOWN has its breaker forced open, so commands go around it
 * @param metrics the registry its metrics go into and {@code /outpost/metrics} shows (the process's,
 *                shared with the other roles that run beside it); empty: one of its own
 * @param tracing where its spans go; empty: no tracing ({@code traceparent} is passed on as it came)
 */
public record GatewaySettings(OutpostConfig config, RegionConfig region, String host, int port, InstantSource clock,
                              RegionStateFeed regions, Optional<PrometheusMeterRegistry> metrics,
                              Optional<OpenTelemetry> tracing) {

    public GatewaySettings {
        Objects.requireNonNull(config, "config");
        Objects.requireNonNull(region, "region");
        Objects.requireNonNull(host, "host");
        Objects.requireNonNull(clock, "clock");
        Objects.requireNonNull(regions, "regions");
        Objects.requireNonNull(metrics, "metrics");
        Objects.requireNonNull(tracing, "tracing");
    }

    /**
     * The gateway of {@code region} as configured: on all interfaces, at the port of its
     * {@code gateway.url} (or {@code gateway.port}).
     *
     * @throws OutpostException when the configuration has no such region
     */
    public static GatewaySettings of(OutpostConfig config, String region) {
        RegionConfig settings = config.regions().get(region);
        if (settings == null) {
            throw new OutpostException("there is no region " + region + " in the configuration (regions: "
                    + config.regions().keySet() + ")");
        }
        return new GatewaySettings(config, settings, "0.0.0.0", settings.gateway().port(), InstantSource.system(),
                RegionStateFeed.none(), Optional.empty(), Optional.empty());
    }

    /** The same, listening on {@code port} (0: a free one). */
    public GatewaySettings withPort(int port) {
        return new GatewaySettings(config, region, host, port, clock, regions, metrics, tracing);
    }

    /** The same, listening on {@code host}. */
    public GatewaySettings withHost(String host) {
        return new GatewaySettings(config, region, host, port, clock, regions, metrics, tracing);
    }

    /** The same, following {@code regions}' effective states. */
    public GatewaySettings withRegionStates(RegionStateFeed regions) {
        return new GatewaySettings(config, region, host, port, clock, regions, metrics, tracing);
    }

    /** The same, with its metrics in {@code registry} (the process's) instead of one of its own. */
    public GatewaySettings withMetrics(PrometheusMeterRegistry registry) {
        return new GatewaySettings(config, region, host, port, clock, regions, Optional.of(registry), tracing);
    }

    /** The same, its requests traced through {@code openTelemetry} (W3C traceparent, OpenTelemetry spans). */
    public GatewaySettings withTracing(OpenTelemetry openTelemetry) {
        return new GatewaySettings(config, region, host, port, clock, regions, metrics, Optional.of(openTelemetry));
    }
}

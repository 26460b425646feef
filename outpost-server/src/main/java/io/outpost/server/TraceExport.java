package io.outpost.server;

import io.opentelemetry.api.common.Attributes;
import io.opentelemetry.api.trace.propagation.W3CTraceContextPropagator;
import io.opentelemetry.context.propagation.ContextPropagators;
import io.opentelemetry.exporter.otlp.http.trace.OtlpHttpSpanExporter;
import io.opentelemetry.sdk.OpenTelemetrySdk;
import io.opentelemetry.sdk.resources.Resource;
import io.opentelemetry.sdk.trace.SdkTracerProvider;
import io.opentelemetry.sdk.trace.export.BatchSpanProcessor;
import io.opentelemetry.sdk.trace.samplers.Sampler;
import io.outpost.core.config.TracingConfig;
import java.util.Optional;

/**
 * The OpenTelemetry SDK a gateway's spans go through when {@code tracing.otlp-endpoint} is set:
 * batched, exported over OTLP/HTTP (the JDK's HTTP client), sampled at {@code tracing.sample-percent}
 * of the traces that start here (a caller's sampled {@code traceparent} is always followed). The
 * service is {@code outpost-gateway}, its region an attribute of the resource. Nothing is made when
 * tracing is off.
 */
final class TraceExport {

    private TraceExport() {
    }

    /** The SDK for {@code region}'s gateway; empty when tracing is off. Closing it flushes what is batched. */
    static Optional<OpenTelemetrySdk> of(TracingConfig config, String region) {
        if (!config.enabled()) {
            return Optional.empty();
        }
        Resource resource = Resource.getDefault().merge(Resource.create(Attributes.builder()
                .put("service.name", "outpost-gateway").put("outpost.region", region).build()));
        SdkTracerProvider tracerProvider = SdkTracerProvider.builder().setResource(resource)
                .setSampler(Sampler.parentBased(Sampler.traceIdRatioBased(config.samplePercent() / 100.0)))
                .addSpanProcessor(BatchSpanProcessor.builder(OtlpHttpSpanExporter.builder()
                        .setEndpoint(config.otlpEndpoint().orElseThrow()).build()).build())
                .build();
        return Optional.of(OpenTelemetrySdk.builder().setTracerProvider(tracerProvider)
                .setPropagators(ContextPropagators.create(W3CTraceContextPropagator.getInstance())).build());
    }
}

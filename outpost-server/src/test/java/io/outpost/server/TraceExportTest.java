package io.outpost.server;

import static org.assertj.core.api.Assertions.assertThat;

import com.sun.net.httpserver.HttpServer;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.sdk.OpenTelemetrySdk;
import io.outpost.core.config.TracingConfig;
import java.net.InetSocketAddress;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

class TraceExportTest {

    @Test
    @DisplayName("with tracing.otlp-endpoint set, spans go out over OTLP/HTTP (the JDK's client) when the SDK closes; "
            + "without it nothing is made")
    void spansAreExportedOverOtlpHttp() throws Exception {
        assertThat(TraceExport.of(TracingConfig.OFF, "eu-west")).isEmpty();

        List<String> received = new CopyOnWriteArrayList<>();
        HttpServer collector = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        collector.createContext("/v1/traces", exchange -> {
            byte[] body = exchange.getRequestBody().readAllBytes();
            received.add(exchange.getRequestMethod() + " " + exchange.getRequestHeaders().getFirst("Content-Type") + " "
                    + body.length);
            exchange.sendResponseHeaders(200, -1);
            exchange.close();
        });
        collector.start();
        try {
            String endpoint = "http://127.0.0.1:" + collector.getAddress().getPort() + "/v1/traces";
            Optional<OpenTelemetrySdk> sdk = TraceExport.of(new TracingConfig(Optional.of(endpoint), 100), "eu-west");
            assertThat(sdk).isPresent();
            Span span = sdk.get().getTracer("test").spanBuilder("GET /orders/{id}").startSpan();
            span.end();
            sdk.get().close(); // flushes the batch
            assertThat(received).hasSize(1);
            assertThat(received.getFirst()).startsWith("POST application/x-protobuf ");
            assertThat(Integer.parseInt(received.getFirst().substring(received.getFirst().lastIndexOf(' ') + 1))).isPositive();
        } finally {
            collector.stop(0);
        }
    }

    @Test
    @DisplayName("tracing.sample-percent keeps that share of the traces that start at the gateway, and every trace a "
            + "caller sampled")
    void samplesTheTracesThatStartHere() throws Exception {
        HttpServer collector = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        collector.createContext("/v1/traces", exchange -> {
            exchange.getRequestBody().readAllBytes();
            exchange.sendResponseHeaders(200, -1);
            exchange.close();
        });
        collector.start();
        String endpoint = "http://127.0.0.1:" + collector.getAddress().getPort() + "/v1/traces";
        try {
            for (int percent : List.of(0, 25, 100)) {
                try (OpenTelemetrySdk sdk = TraceExport.of(new TracingConfig(Optional.of(endpoint), percent), "eu-west")
                        .orElseThrow()) {
                    int sampled = 0;
                    for (int i = 0; i < 2000; i++) {
                        Span span = sdk.getTracer("test").spanBuilder("GET /orders/{id}").startSpan();
                        sampled += span.getSpanContext().isSampled() ? 1 : 0;
                        span.end();
                    }
                    // the trace ids are random: 25 % of 2,000 is 500 ± 19 (one standard deviation)
                    assertThat(sampled).as(percent + " %").isBetween(percent * 20 - 120, percent * 20 + 120);

                    io.opentelemetry.api.trace.SpanContext callers = io.opentelemetry.api.trace.SpanContext.createFromRemoteParent(
                            "0af7651916cd43dd8448eb211c80319c", "b7ad6b7169203331", io.opentelemetry.api.trace.TraceFlags.getSampled(),
                            io.opentelemetry.api.trace.TraceState.getDefault());
                    Span child = sdk.getTracer("test").spanBuilder("POST /orders")
                            .setParent(io.opentelemetry.context.Context.root().with(Span.wrap(callers))).startSpan();
                    assertThat(child.getSpanContext().isSampled()).as("a caller's sampled trace, at " + percent + " %").isTrue();
                    child.end();
                }
            }
        } finally {
            collector.stop(0);
        }
    }
}

package io.outpost.server;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.spi.LoggingEvent;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanContext;
import io.opentelemetry.api.trace.TraceFlags;
import io.opentelemetry.api.trace.TraceState;
import io.opentelemetry.context.Scope;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

class JsonLinesTest {

    private static final ObjectMapper JSON = new ObjectMapper();

    @Test
    @DisplayName("a JSON log line names the process's region and roles and the trace current where it was logged")
    @SuppressWarnings("try") // the scope makes the span current: it is the resource
    void aLineIsOneJsonObjectWithRegionRolesAndTrace() throws Exception {
        LoggerContext context = new LoggerContext();
        JsonLines encoder = new JsonLines();
        encoder.setContext(context);
        encoder.process("eu-west", "gateway,monitor");
        encoder.start();
        ch.qos.logback.classic.Logger logger = context.getLogger("io.outpost.gateway.Gateway");

        String plain = new String(encoder.encode(new LoggingEvent(JsonLinesTest.class.getName(), logger, Level.WARN,
                "region {} is \"DOWN\"", null, new Object[] {"us-east"})), StandardCharsets.UTF_8);
        assertThat(plain).endsWith("}\n").hasLineCount(1);
        JsonNode line = JSON.readTree(plain);
        assertThat(line.path("level").asText()).isEqualTo("WARN");
        assertThat(line.path("logger").asText()).isEqualTo("io.outpost.gateway.Gateway");
        assertThat(line.path("message").asText()).isEqualTo("region us-east is \"DOWN\"");
        assertThat(line.path("region").asText()).isEqualTo("eu-west");
        assertThat(line.path("roles").asText()).isEqualTo("gateway,monitor");
        assertThat(line.has("trace_id")).as("no span: no trace").isFalse();

        SpanContext span = SpanContext.create("4bf92f3577b34da6a3ce929d0e0e4736", "00f067aa0ba902b7", TraceFlags.getSampled(),
                TraceState.getDefault());
        String traced;
        try (Scope scope = Span.wrap(span).makeCurrent()) {
            traced = new String(encoder.encode(new LoggingEvent(JsonLinesTest.class.getName(), logger, Level.ERROR, "failed",
                    new IllegalStateException("boom"), null)), StandardCharsets.UTF_8);
        }
        JsonNode tracedLine = JSON.readTree(traced);
        assertThat(tracedLine.path("trace_id").asText()).isEqualTo("4bf92f3577b34da6a3ce929d0e0e4736");
        assertThat(tracedLine.path("span_id").asText()).isEqualTo("00f067aa0ba902b7");
        assertThat(tracedLine.path("exception").asText()).contains("IllegalStateException: boom");
    }
}

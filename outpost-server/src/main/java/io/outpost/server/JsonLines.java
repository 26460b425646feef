package io.outpost.server;

import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.classic.spi.IThrowableProxy;
import ch.qos.logback.classic.spi.ThrowableProxyUtil;
import ch.qos.logback.core.encoder.EncoderBase;
import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanContext;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Instant;

/**
 * Log lines as JSON, one object a line ({@code outpost run --log-format json}), for a log pipeline
 * that indexes fields: {@code time}, {@code level}, {@code logger}, {@code thread}, {@code message},
 * the process's {@code region} and {@code roles}, the {@code trace_id} and {@code span_id} of the
 * span current where the line was logged (a gateway's request, when tracing is on), and the
 * {@code exception} with its stack when there is one.
 */
public final class JsonLines extends EncoderBase<ILoggingEvent> {

    private static final JsonFactory JSON = new JsonFactory();
    private static final byte[] NONE = new byte[0];

    private volatile String region;
    private volatile String roles;

    /** Names the process in every line: its region (null for capture alone) and its roles ({@code projector,gateway}). */
    public void process(String region, String roles) {
        this.region = region;
        this.roles = roles;
    }

    @Override
    public byte[] headerBytes() {
        return NONE;
    }

    @Override
    public byte[] encode(ILoggingEvent event) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(256);
        try (JsonGenerator json = JSON.createGenerator(out)) {
            json.writeStartObject();
            json.writeStringField("time", Instant.ofEpochMilli(event.getTimeStamp()).toString());
            json.writeStringField("level", event.getLevel().toString());
            json.writeStringField("logger", event.getLoggerName());
            json.writeStringField("thread", event.getThreadName());
            json.writeStringField("message", event.getFormattedMessage());
            if (region != null) {
                json.writeStringField("region", region);
            }
            if (roles != null) {
                json.writeStringField("roles", roles);
            }
            SpanContext span = Span.current().getSpanContext();
            if (span.isValid()) {
                json.writeStringField("trace_id", span.getTraceId());
                json.writeStringField("span_id", span.getSpanId());
            }
            IThrowableProxy thrown = event.getThrowableProxy();
            if (thrown != null) {
                json.writeStringField("exception", ThrowableProxyUtil.asString(thrown));
            }
            json.writeEndObject();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write a log line as JSON", e);
        }
        out.write('\n');
        return out.toByteArray();
    }

    @Override
    public byte[] footerBytes() {
        return NONE;
    }
}

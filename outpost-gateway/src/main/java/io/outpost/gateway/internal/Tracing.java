package io.outpost.gateway.internal;

import io.javalin.http.Context;
import io.javalin.http.Handler;
import io.opentelemetry.api.OpenTelemetry;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.api.trace.StatusCode;
import io.opentelemetry.api.trace.Tracer;
import io.opentelemetry.api.trace.propagation.W3CTraceContextPropagator;
import io.opentelemetry.context.Scope;
import io.opentelemetry.context.propagation.TextMapGetter;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;

/**
 * A gateway's traces (W3C {@code traceparent}, OpenTelemetry): a SERVER span per request, named
 * after its route template, whose parent is the caller's {@code traceparent}; a CLIENT span per
 * call the gateway makes for it (a command to the monolith or the next region, a query forwarded to
 * another region), whose context goes out as that call's {@code traceparent}. Off (no
 * OpenTelemetry given), nothing is recorded and nothing costs: the caller's {@code traceparent} is
 * passed on as it came, and one is made when a command has none.
 *
 * <p>Thread confinement: a request's spans are made on its handler's thread (the server span is the
 * current one there); a client span may end on any thread.
 */
public final class Tracing {

    /** No tracing. */
    public static final Tracing OFF = new Tracing(null, null);

    private static final String TRACEPARENT = "traceparent";
    /** (keys() is deprecated, yet abstract in 1.68: W3C's propagator asks for its two headers by name.) */
    @SuppressWarnings("deprecation")
    private static final TextMapGetter<Context> REQUEST = new TextMapGetter<>() {
        @Override
        public Iterable<String> keys(Context ctx) {
            return ctx.headerMap().keySet();
        }

        @Override
        public String get(Context ctx, String key) {
            return ctx == null ? null : ctx.header(key);
        }
    };

    private final Tracer tracer;
    private final String region;

    private Tracing(Tracer tracer, String region) {
        this.tracer = tracer;
        this.region = region;
    }

    /** Traces the gateway of {@code region} through {@code openTelemetry}. */
    public static Tracing of(OpenTelemetry openTelemetry, String region) {
        return new Tracing(openTelemetry.getTracer("io.outpost.gateway"), region);
    }

    /** Runs {@code handler} in a SERVER span for {@code route} (a template), its parent the request's {@code traceparent}. */
    @SuppressWarnings("try") // the scope makes the span current for the handler: it is the resource
    public void serve(Context ctx, String route, Handler handler) throws Exception {
        if (tracer == null) {
            handler.handle(ctx);
            return;
        }
        io.opentelemetry.context.Context parent = W3CTraceContextPropagator.getInstance()
                .extract(io.opentelemetry.context.Context.root(), ctx, REQUEST);
        Span span = tracer.spanBuilder(ctx.method().name() + " " + route).setParent(parent).setSpanKind(SpanKind.SERVER)
                .setAttribute("http.request.method", ctx.method().name()).setAttribute("http.route", route)
                .setAttribute("url.path", ctx.path()).setAttribute("outpost.region", region).startSpan();
        int status = 0;
        try (Scope scope = span.makeCurrent()) {
            handler.handle(ctx);
            status = ctx.statusCode();
        } catch (Problem problem) {
            status = problem.status();
            throw problem;
        } catch (Exception | Error e) {
            status = 500;
            span.recordException(e);
            throw e;
        } finally {
            span.setAttribute("http.response.status_code", status);
            if (status >= 500) {
                span.setStatus(StatusCode.ERROR);
            }
            span.end();
        }
    }

    /**
     * A CLIENT span for a call to {@code target} ({@code monolith} or a region), child of the current
     * span; null when off.
     */
    public Span call(String name, String target) {
        if (tracer == null) {
            return null;
        }
        return tracer.spanBuilder(name).setSpanKind(SpanKind.CLIENT).setAttribute("outpost.region", region)
                .setAttribute("outpost.target", target).startSpan();
    }

    /**
     * The {@code traceparent} a call sends (or a fence names): the call's span's when tracing is on
     * (the request's server span's when {@code call} is null); otherwise the request's own, or a new
     * one when it has none and {@code always} (commands carry one to the monolith).
     */
    public String traceparent(Span call, Context ctx, boolean always) {
        if (tracer != null) {
            Map<String, String> carrier = new HashMap<>();
            io.opentelemetry.context.Context current = io.opentelemetry.context.Context.current();
            W3CTraceContextPropagator.getInstance().inject(call == null ? current : current.with(call), carrier, Map::put);
            return carrier.get(TRACEPARENT);
        }
        String incoming = ctx.header(TRACEPARENT);
        if (incoming != null || !always) {
            return incoming;
        }
        ThreadLocalRandom random = ThreadLocalRandom.current();
        byte[] trace = new byte[16];
        byte[] parent = new byte[8];
        random.nextBytes(trace);
        random.nextBytes(parent);
        return "00-" + HexFormat.of().formatHex(trace) + "-" + HexFormat.of().formatHex(parent) + "-01";
    }

    /** Ends a call's span (null: off) with the answer's status, or 0 when there was none. */
    public static void ended(Span call, int status) {
        if (call == null) {
            return;
        }
        call.setAttribute("http.response.status_code", status);
        if (status == 0 || status >= 500) {
            call.setStatus(StatusCode.ERROR);
        }
        call.end();
    }
}

package io.outpost.gateway.internal;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.server.handler.ErrorHandler;
import org.eclipse.jetty.util.Callback;

/** Jetty's own refusals (a request it cannot parse, headers or a body too large) as problem+json. */
public final class JettyProblems implements Request.Handler {

    private final int maxBodyBytes;

    /** @param maxBodyBytes the largest body the gateway accepts, for the 413's message */
    public JettyProblems(int maxBodyBytes) {
        this.maxBodyBytes = maxBodyBytes;
    }

    @Override
    public boolean handle(Request request, Response response, Callback callback) {
        int status = request.getAttribute(ErrorHandler.ERROR_STATUS) instanceof Integer code ? code : 500;
        Object message = request.getAttribute(ErrorHandler.ERROR_MESSAGE);
        String detail = switch (status) {
            case 431 -> "the request's headers are larger than the gateway accepts (8 KiB in all); send fewer or smaller headers";
            case 414 -> "the request's URI is longer than the gateway accepts";
            case 413 -> "the request's body is larger than the gateway accepts (" + maxBodyBytes + " bytes)";
            default -> message == null ? "the gateway could not serve the request" : message.toString();
        };
        Problem problem = Problem.refused(status, detail);
        response.setStatus(status);
        response.getHeaders().put(HttpHeader.CONTENT_TYPE, Problem.CONTENT_TYPE);
        response.write(true, ByteBuffer.wrap(problem.json(null).getBytes(StandardCharsets.UTF_8)), callback);
        return true;
    }
}

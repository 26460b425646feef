package io.outpost.gateway.internal;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * An RFC 9457 problem: why a request is not served, as {@code application/problem+json} with a
 * stable {@code type} per kind (listed in the README). Thrown by handlers, turned into the
 * response by the gateway's exception handler; control flow, so no stack trace.
 */
public final class Problem extends RuntimeException {

    private static final long serialVersionUID = 1L;

    public static final String CONTENT_TYPE = "application/problem+json";
    /** Every type is this plus a short name, e.g. {@code urn:outpost:problem:unknown-view}. */
    public static final String TYPE_BASE = "urn:outpost:problem:";

    private final int status;
    private final String type;
    private final String title;
    private final transient Map<String, String> headers = new LinkedHashMap<>();
    private final transient Map<String, Object> members = new LinkedHashMap<>();

    public Problem(ProblemType type, String detail) {
        this(type.status(), type.slug(), type.title(), detail);
    }

    private Problem(int status, String type, String title, String detail) {
        super(detail, null, false, false);
        this.status = status;
        this.type = type;
        this.title = title;
    }

    /** What Jetty or Javalin refused with {@code status} before a handler ran: type {@code http-<status>}. */
    public static Problem refused(int status, String detail) {
        return new Problem(status, "http-" + status, ProblemType.HTTP.title(), detail);
    }

    /** Adds a response header (e.g. {@code Retry-After}). */
    public Problem header(String name, String value) {
        headers.put(name, value);
        return this;
    }

    /** Adds a member to the problem document (an RFC 9457 extension). */
    public Problem member(String name, Object value) {
        members.put(name, value);
        return this;
    }

    public int status() {
        return status;
    }

    public String type() {
        return TYPE_BASE + type;
    }

    public Map<String, String> headers() {
        return headers;
    }

    public String json(String instance) {
        ObjectNode node = JsonNodeFactory.instance.objectNode();
        node.put("type", type());
        node.put("title", title);
        node.put("status", status);
        node.put("detail", getMessage());
        if (instance != null) {
            node.put("instance", instance);
        }
        members.forEach((name, value) -> node.putPOJO(name, value));
        return node.toString();
    }
}

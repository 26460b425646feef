package io.outpost.examples.shop;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;

/**
 * An RFC 9457 problem: the answer to a request that cannot be served. Thrown by command and query
 * code and turned into an {@code application/problem+json} response; each kind has a stable {@code type}.
 */
final class Problem extends RuntimeException {

    private static final long serialVersionUID = 1L;

    static final String CONTENT_TYPE = "application/problem+json";
    private static final String TYPE_BASE = "https://shop.example/problems/";

    private final int status;
    private final String type;
    private final String title;

    Problem(int status, String type, String title, String detail) {
        super(detail, null, false, false);
        this.status = status;
        this.type = type;
        this.title = title;
    }

    static Problem badRequest(String detail) {
        return new Problem(400, "invalid-request", "The request is not valid", detail);
    }

    static Problem notFound(String what, long id) {
        return new Problem(404, "not-found", "Not found", what + " " + id + " does not exist");
    }

    static Problem unknownReference(String detail) {
        return new Problem(422, "unknown-reference", "The request refers to something that does not exist", detail);
    }

    static Problem conflict(String type, String title, String detail) {
        return new Problem(409, type, title, detail);
    }

    int status() {
        return status;
    }

    String json(String instance) {
        ObjectNode node = JsonNodeFactory.instance.objectNode();
        node.put("type", TYPE_BASE + type);
        node.put("title", title);
        node.put("status", status);
        node.put("detail", getMessage());
        if (instance != null) {
            node.put("instance", instance);
        }
        return node.toString();
    }
}

package io.outpost.gateway.internal;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.javalin.http.Context;
import java.io.IOException;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * What of a command's answer passes through the gateway to the client: the end-to-end headers, once
 * each. Hop-by-hop headers (RFC 9110 §7.6.1, also those the answer's {@code Connection} names) stay
 * behind; {@code Content-Type} and {@code Date} replace the gateway's own instead of adding a second
 * one. The idempotency ledger keeps the same headers, as JSON, for a replay.
 */
final class PassThrough {

    /** Hop-by-hop headers and those the HTTP client sets itself: never passed on, in either direction. */
    static final Set<String> HOP_BY_HOP = Set.of("connection", "keep-alive", "proxy-authenticate",
            "proxy-authorization", "proxy-connection", "te", "trailer", "transfer-encoding", "upgrade", "host",
            "content-length", "expect", "http2-settings");
    /** Headers the gateway's server sets on every answer: the upstream's value replaces its own. */
    private static final Set<String> REPLACING = Set.of("content-type", "date");
    private static final ObjectMapper JSON = new ObjectMapper();

    private PassThrough() {
    }

    /** The end-to-end headers of an answer, in order, without the hop-by-hop ones and pseudo-headers. */
    static Map<String, List<String>> endToEnd(Map<String, List<String>> headers) {
        Set<String> named = new TreeSet<>(String.CASE_INSENSITIVE_ORDER);
        headers.forEach((name, values) -> {
            if (name.equalsIgnoreCase("connection")) {
                values.forEach(value -> {
                    for (String token : value.split(",")) {
                        named.add(token.strip());
                    }
                });
            }
        });
        Map<String, List<String>> kept = new LinkedHashMap<>();
        headers.forEach((name, values) -> {
            if (!name.startsWith(":") && !HOP_BY_HOP.contains(name.toLowerCase(Locale.ROOT)) && !named.contains(name)) {
                kept.put(name, List.copyOf(values));
            }
        });
        return kept;
    }

    /** Headers that hand out or carry credentials: passed to the client once, never kept for a replay. */
    static final Set<String> CREDENTIALS = Set.of("set-cookie", "set-cookie2", "authorization", "proxy-authorization",
            "authentication-info", "proxy-authentication-info");

    /** {@code headers} without those in {@link #CREDENTIALS}. */
    static Map<String, List<String>> withoutCredentials(Map<String, List<String>> headers) {
        Map<String, List<String>> kept = new LinkedHashMap<>();
        headers.forEach((name, values) -> {
            if (!CREDENTIALS.contains(name.toLowerCase(Locale.ROOT))) {
                kept.put(name, values);
            }
        });
        return kept;
    }

    /** Writes end-to-end {@code headers} into the answer of {@code ctx}. */
    static void copy(Map<String, List<String>> headers, Context ctx) {
        headers.forEach((name, values) -> {
            String lower = name.toLowerCase(Locale.ROOT);
            if (lower.equals("content-type")) {
                ctx.contentType(values.getFirst());
            } else if (REPLACING.contains(lower)) {
                ctx.res().setHeader(name, values.getFirst());
            } else {
                values.forEach(value -> ctx.res().addHeader(name, value));
            }
        });
    }

    /** The headers as the ledger keeps them: a JSON object of name → values. */
    static String toJson(Map<String, List<String>> headers) {
        ObjectNode json = JSON.createObjectNode();
        headers.forEach((name, values) -> values.forEach(json.putArray(name)::add));
        return json.toString();
    }

    /** The headers the ledger kept. */
    static Map<String, List<String>> fromJson(String text) {
        Map<String, List<String>> headers = new LinkedHashMap<>();
        try {
            JsonNode json = JSON.readTree(text);
            json.properties().forEach(header -> headers.put(header.getKey(),
                    header.getValue().valueStream().map(JsonNode::asText).toList()));
        } catch (IOException e) {
            throw new IllegalStateException("the idempotency ledger holds headers that are not JSON", e);
        }
        return headers;
    }
}

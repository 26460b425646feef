package io.outpost.gateway.internal;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.util.JsonRecyclerPools;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.BooleanNode;
import com.fasterxml.jackson.databind.node.DecimalNode;
import com.fasterxml.jackson.databind.node.TextNode;
import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import java.io.IOException;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;

/**
 * The scalar values (strings, numbers, booleans) of view documents at the paths read rules compare,
 * read by streaming the document's JSON: containers off those paths are skipped, nothing else is
 * built. A null, a list or an object at a path is left out (it equals nothing).
 *
 * <p>The values of a document are kept as long as the document's text object lives (weak keys, by
 * identity, at most {@link #MAX_ENTRIES}): a document served again from the gateway's shared cache is
 * the same object, so each cached document is read once, not once per request.
 */
final class DocumentFields {

    static final int MAX_ENTRIES = 100_000;
    /** Buffers from a shared pool: requests run on virtual threads, each new, so a thread-local pool would not reuse them. */
    private static final JsonFactory JSON = JsonFactory.builder()
            .recyclerPool(JsonRecyclerPools.sharedConcurrentDequePool()).build();

    private final Set<String> paths;
    private final Set<String> prefixes = new HashSet<>();
    /** null: not kept. */
    private final Cache<String, Map<String, JsonNode>> known;

    private DocumentFields(Set<String> paths, boolean keep) {
        this.paths = Set.copyOf(paths);
        for (String path : paths) {
            for (int dot = path.indexOf('.'); dot > 0; dot = path.indexOf('.', dot + 1)) {
                prefixes.add(path.substring(0, dot));
            }
        }
        this.known = keep ? Caffeine.newBuilder().weakKeys().maximumSize(MAX_ENTRIES).executor(Runnable::run).build() : null;
    }

    /** The values at {@code paths}, kept per document object (one per view, shared by every caller). */
    static DocumentFields kept(Set<String> paths) {
        return new DocumentFields(paths, true);
    }

    /** The values at {@code paths}, read anew each time. */
    static DocumentFields read(Set<String> paths) {
        return new DocumentFields(paths, false);
    }

    boolean covers(String path) {
        return paths.contains(path);
    }

    /** The document's scalar values at the paths, by path. */
    Map<String, JsonNode> of(String doc) {
        return known == null ? extract(doc) : known.get(doc, this::extract);
    }

    private Map<String, JsonNode> extract(String doc) {
        Map<String, JsonNode> found = new HashMap<>();
        try (JsonParser parser = JSON.createParser(doc)) {
            if (parser.nextToken() == JsonToken.START_OBJECT) {
                walk(parser, "", found);
            }
        } catch (IOException e) {
            throw new IllegalStateException("the store holds a document that is not JSON", e);
        }
        return Map.copyOf(found);
    }

    private void walk(JsonParser parser, String prefix, Map<String, JsonNode> found) throws IOException {
        while (parser.nextToken() == JsonToken.FIELD_NAME) {
            String path = prefix.isEmpty() ? parser.currentName() : prefix + "." + parser.currentName();
            JsonToken token = parser.nextToken();
            if (paths.contains(path)) {
                switch (token) {
                    case VALUE_STRING -> found.put(path, TextNode.valueOf(parser.getText()));
                    case VALUE_NUMBER_INT, VALUE_NUMBER_FLOAT -> found.put(path, DecimalNode.valueOf(parser.getDecimalValue()));
                    case VALUE_TRUE, VALUE_FALSE -> found.put(path, BooleanNode.valueOf(token == JsonToken.VALUE_TRUE));
                    default -> parser.skipChildren(); // null, an object or a list: equals nothing
                }
            } else if (token == JsonToken.START_OBJECT && prefixes.contains(path)) {
                walk(parser, path, found);
            } else {
                parser.skipChildren();
            }
        }
    }
}

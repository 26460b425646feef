package io.outpost.gateway.internal;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import io.outpost.store.ViewReads;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.Base64;

/**
 * Page cursors: where the next page of a listing starts — the last document's sort value and key —
 * for that view and order only, as an opaque URL-safe string ({@code next} of a page, {@code after=}
 * of the next request).
 */
final class Cursors {

    private static final ObjectMapper JSON = new ObjectMapper();

    private Cursors() {
    }

    /** The cursor after the document with {@code sortValue} (JSON text) and {@code key}. */
    static String encode(String view, String sortSpec, String sortValue, String key) {
        String json = JsonNodeFactory.instance.arrayNode().add(1).add(view).add(sortSpec).add(sortValue).add(key).toString();
        return Base64.getUrlEncoder().withoutPadding().encodeToString(json.getBytes(StandardCharsets.UTF_8));
    }

    /**
     * Where a page of {@code view} sorted by {@code sortSpec} starts.
     *
     * @throws Problem 400 {@code invalid-cursor} when the cursor is not one, or belongs to another listing
     */
    static ViewReads.After decode(String cursor, String view, String sortSpec) {
        try {
            JsonNode node = JSON.readTree(Base64.getUrlDecoder().decode(cursor));
            if (node != null && node.isArray() && node.size() == 5 && node.get(0).asInt() == 1 && node.get(3).isTextual()
                    && node.get(4).isTextual()) {
                if (!node.get(1).asText().equals(view) || !node.get(2).asText().equals(sortSpec)) {
                    throw Problem.badRequest("invalid-cursor", "the cursor belongs to a listing of view " + node.get(1).asText()
                            + " sorted by " + node.get(2).asText() + ", not of view " + view + " sorted by " + sortSpec);
                }
                JSON.readTree(node.get(3).asText()); // the sort value is JSON
                return new ViewReads.After(node.get(3).asText(), node.get(4).asText());
            }
        } catch (IOException | IllegalArgumentException e) {
            // below
        }
        throw Problem.badRequest("invalid-cursor", "after= must be the \"next\" value of the previous page, unchanged");
    }
}

package io.outpost.gateway.internal;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import io.outpost.store.ViewReads;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.util.Base64;
import java.util.List;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * Page cursors: where the next page of a listing starts — the last document's sort value and key —
 * for that view and order only, as an opaque URL-safe string ({@code next} of a page, {@code after=}
 * of the next request).
 *
 * <p>With keys ({@code auth.cursor-keys}) a cursor is signed (HMAC-SHA256 by the first key; any key
 * verifies, so keys rotate without breaking the pages being read) and an edited one is refused. A
 * cursor only says where a page starts: the caller's read rules are applied to every page anew.
 */
final class Cursors {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Base64.Encoder ENCODER = Base64.getUrlEncoder().withoutPadding();

    private final List<SecretKeySpec> keys;

    /** @param keys secrets that sign (the first) and verify (any); none for unsigned cursors */
    Cursors(List<String> keys) {
        this.keys = keys.stream().map(key -> new SecretKeySpec(key.getBytes(StandardCharsets.UTF_8), "HmacSHA256")).toList();
    }

    /** Unsigned cursors (no authentication). */
    static Cursors unsigned() {
        return new Cursors(List.of());
    }

    /** The cursor after the document with {@code sortValue} (JSON text) and {@code key}. */
    String encode(String view, String sortSpec, String sortValue, String key) {
        String json = JsonNodeFactory.instance.arrayNode().add(1).add(view).add(sortSpec).add(sortValue).add(key).toString();
        String payload = ENCODER.encodeToString(json.getBytes(StandardCharsets.UTF_8));
        return keys.isEmpty() ? payload : payload + "." + ENCODER.encodeToString(mac(keys.getFirst(), payload));
    }

    /**
     * Where a page of {@code view} sorted by {@code sortSpec} starts.
     *
     * @throws Problem 400 {@code invalid-cursor} when the cursor is not one, was edited, or belongs to another listing
     */
    ViewReads.After decode(String cursor, String view, String sortSpec) {
        String payload = cursor;
        if (!keys.isEmpty()) {
            int dot = cursor.lastIndexOf('.');
            if (dot < 0 || !signed(cursor.substring(0, dot), cursor.substring(dot + 1))) {
                throw invalid();
            }
            payload = cursor.substring(0, dot);
        }
        try {
            JsonNode node = JSON.readTree(Base64.getUrlDecoder().decode(payload));
            if (node != null && node.isArray() && node.size() == 5 && node.get(0).asInt() == 1 && node.get(3).isTextual()
                    && node.get(4).isTextual()) {
                if (!node.get(1).asText().equals(view) || !node.get(2).asText().equals(sortSpec)) {
                    throw new Problem(ProblemType.INVALID_CURSOR,
                            "the cursor belongs to a listing of view " + node.get(1).asText()
                            + " sorted by " + node.get(2).asText() + ", not of view " + view + " sorted by " + sortSpec);
                }
                JSON.readTree(node.get(3).asText()); // the sort value is JSON
                return new ViewReads.After(node.get(3).asText(), node.get(4).asText());
            }
        } catch (IOException | IllegalArgumentException e) {
            // below
        }
        throw invalid();
    }

    private static Problem invalid() {
        return new Problem(ProblemType.INVALID_CURSOR, "after= must be the \"next\" value of the previous page, unchanged");
    }

    private boolean signed(String payload, String signature) {
        byte[] given;
        try {
            given = Base64.getUrlDecoder().decode(signature);
        } catch (IllegalArgumentException e) {
            return false;
        }
        for (SecretKeySpec key : keys) {
            if (MessageDigest.isEqual(mac(key, payload), given)) {
                return true;
            }
        }
        return false;
    }

    private static byte[] mac(SecretKeySpec key, String payload) {
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(key);
            return mac.doFinal(payload.getBytes(StandardCharsets.US_ASCII));
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("every JDK has HmacSHA256", e);
        }
    }
}

package io.outpost.core;

import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.Objects;
import java.util.regex.Pattern;

/**
 * What a client shows to read its own writes: a source name and a position, as an opaque,
 * URL-safe string. Commands return one ({@code Outpost-Token}); a query that carries one
 * ({@code Outpost-Min-Token}) is answered only from a region whose watermark has reached it.
 *
 * <p>Form: base64url (no padding) of {@code 1:<source>:<position>}; the leading {@code 1} is the
 * format's version.
 */
public record ConsistencyToken(String source, SourcePosition position) {

    private static final Pattern SOURCE = Pattern.compile("[a-z][a-z0-9_]{0,62}");

    public ConsistencyToken {
        Objects.requireNonNull(source, "source");
        Objects.requireNonNull(position, "position");
        if (!SOURCE.matcher(source).matches()) {
            throw new IllegalArgumentException("a token's source must be a source name, but was \"" + source + "\"");
        }
    }

    public String encode() {
        return Base64.getUrlEncoder().withoutPadding()
                .encodeToString(("1:" + source + ":" + position).getBytes(StandardCharsets.UTF_8));
    }

    /**
     * Reads a token a client sent.
     *
     * @throws IllegalArgumentException when the text is not a token this version of Outpost wrote
     */
    public static ConsistencyToken decode(String text) {
        String decoded;
        try {
            decoded = new String(Base64.getUrlDecoder().decode(text == null ? "" : text.trim()), StandardCharsets.UTF_8);
        } catch (IllegalArgumentException e) {
            throw invalid(text);
        }
        String[] parts = decoded.split(":", 3);
        if (parts.length != 3 || !parts[0].equals("1") || !SOURCE.matcher(parts[1]).matches()) {
            throw invalid(text);
        }
        try {
            return new ConsistencyToken(parts[1], SourcePosition.parse(parts[2]));
        } catch (IllegalArgumentException e) {
            throw invalid(text);
        }
    }

    private static IllegalArgumentException invalid(String text) {
        return new IllegalArgumentException("not a consistency token: \"" + text
                + "\"; send the Outpost-Token value a command returned, unchanged");
    }

    @Override
    public String toString() {
        return encode();
    }
}

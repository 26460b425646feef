package io.outpost.core;

import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A totally ordered position in a source's history. For PostgreSQL it is a log sequence number
 * (LSN): every change record carries the LSN of its transaction's commit, and a region's watermark
 * is the position of the last transaction it applied.
 *
 * <p>LSNs are unsigned 64-bit values written {@code X/Y} in hex (high and low 32 bits), as
 * PostgreSQL prints them: {@code 0/16B3A8}.
 *
 * @param lsn the unsigned 64-bit value
 */
public record SourcePosition(long lsn) implements Comparable<SourcePosition> {

    private static final Pattern TEXT = Pattern.compile("([0-9A-Fa-f]{1,8})/([0-9A-Fa-f]{1,8})");

    /** Before every real position: what a region that has applied nothing has seen. */
    public static final SourcePosition ZERO = new SourcePosition(0);

    public static SourcePosition ofLsn(long lsn) {
        return new SourcePosition(lsn);
    }

    /**
     * Parses {@code X/Y}.
     *
     * @throws IllegalArgumentException naming the text and the expected form
     */
    public static SourcePosition parse(String text) {
        Matcher m = TEXT.matcher(text == null ? "" : text.trim());
        if (!m.matches()) {
            throw new IllegalArgumentException("a source position must be an LSN like 0/16B3A8, but was \"" + text + "\"");
        }
        return new SourcePosition(Long.parseLong(m.group(1), 16) << 32 | Long.parseLong(m.group(2), 16));
    }

    @Override
    public int compareTo(SourcePosition other) {
        return Long.compareUnsigned(lsn, other.lsn);
    }

    public boolean isAfter(SourcePosition other) {
        return compareTo(other) > 0;
    }

    public boolean isAtOrBefore(SourcePosition other) {
        return compareTo(other) <= 0;
    }

    @Override
    public String toString() {
        return Long.toHexString(lsn >>> 32).toUpperCase(java.util.Locale.ROOT) + "/"
                + Long.toHexString(lsn & 0xFFFF_FFFFL).toUpperCase(java.util.Locale.ROOT);
    }
}

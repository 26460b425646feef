package io.outpost.source;

/**
 * The logical decoding messages Outpost writes into the source's WAL with
 * {@code pg_logical_emit_message}. Fences are non-transactional, so they are decoded at once and
 * alone, and the LSN the function returns is above the commit of every transaction that committed
 * before. Heartbeats and schema announcements are transactional: each arrives as a transaction of its
 * own, at its commit position, so that the offset capture stores after one is a transaction's end.
 */
public final class LogicalMessages {

    /** Prefix of a fence (content: what wrote it). */
    public static final String FENCE_PREFIX = "outpost-fence";

    /** Prefix of a heartbeat (content: the source's clock). */
    public static final String HEARTBEAT_PREFIX = "outpost-heartbeat";

    /** Prefix of a schema announcement (content: the captured tables' shapes; see {@link SourceSchemas}). */
    public static final String SCHEMA_PREFIX = "outpost-schema";

    /** The query a heartbeat runs; capture's engine runs it on its heartbeat interval. */
    public static final String HEARTBEAT_QUERY =
            "SELECT pg_logical_emit_message(true, '" + HEARTBEAT_PREFIX + "', now()::text)";

    /** Whole-string regex of the prefixes capture passes on (others are dropped at the source). */
    public static final String PREFIX_PATTERN = FENCE_PREFIX + "|" + HEARTBEAT_PREFIX + "|" + SCHEMA_PREFIX;

    private LogicalMessages() {
    }
}

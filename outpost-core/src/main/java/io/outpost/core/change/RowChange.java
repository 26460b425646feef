package io.outpost.core.change;

import io.outpost.core.SourcePosition;
import java.util.Map;
import java.util.Objects;

/**
 * A row's change. Values are JSON-shaped: {@code null}, {@link String}, {@link Boolean},
 * {@link Long} (integers), {@link java.math.BigDecimal} (every other number, scale kept),
 * {@link java.util.List} and {@link Map}
 * (the README documents the form of each column type).
 *
 * @param transactionId the source's id of the transaction
 * @param table         {@code schema.table}
 * @param key           the primary key's columns and values
 * @param before        the row before the change ({@code null} for inserts and snapshot reads)
 * @param after         the row after the change ({@code null} for deletes)
 */
public record RowChange(String source, SourcePosition position, long sequence, String transactionId, String table,
                        Operation operation, Map<String, Object> key, Map<String, Object> before,
                        Map<String, Object> after) implements ChangeRecord {

    public RowChange {
        Objects.requireNonNull(source, "source");
        Objects.requireNonNull(position, "position");
        Objects.requireNonNull(transactionId, "transactionId");
        Objects.requireNonNull(table, "table");
        Objects.requireNonNull(operation, "operation");
        key = FrozenMap.of(Objects.requireNonNull(key, "key"));
        before = before == null ? null : FrozenMap.of(before);
        after = after == null ? null : FrozenMap.of(after);
        if (operation == Operation.DELETE ? before == null : after == null) {
            throw new IllegalArgumentException(operation + " of " + table + " needs "
                    + (operation == Operation.DELETE ? "a before" : "an after") + " image");
        }
    }

    /** The same change at another place in the log (capture stamps the commit position at the end). */
    public RowChange at(SourcePosition newPosition, long newSequence) {
        return new RowChange(source, newPosition, newSequence, transactionId, table, operation, key, before, after);
    }
}

package io.outpost.core.change;

import io.outpost.core.SourcePosition;
import java.util.List;
import java.util.Objects;

/**
 * A captured table's shape, sent before its first row and again whenever its columns change, so
 * consumers can create and alter replica tables from the log alone. It belongs to the transaction
 * whose row first shows the new shape, and precedes that row.
 *
 * @param primaryKey the primary key's column names, in key order
 */
public record TableSchema(String source, SourcePosition position, long sequence, String table,
                          List<Column> columns, List<String> primaryKey) implements ChangeRecord {

    /**
     * A column.
     *
     * @param type the source's type name ({@code int8}, {@code numeric(12,2)}, {@code text[]}, ...)
     */
    public record Column(String name, String type, boolean nullable) {

        public Column {
            Objects.requireNonNull(name, "name");
            Objects.requireNonNull(type, "type");
        }
    }

    public TableSchema {
        Objects.requireNonNull(source, "source");
        Objects.requireNonNull(position, "position");
        Objects.requireNonNull(table, "table");
        columns = List.copyOf(columns);
        primaryKey = List.copyOf(primaryKey);
        if (columns.isEmpty()) {
            throw new IllegalArgumentException("a schema of " + table + " needs at least one column");
        }
    }

    public TableSchema at(SourcePosition newPosition, long newSequence) {
        return new TableSchema(source, newPosition, newSequence, table, columns, primaryKey);
    }
}

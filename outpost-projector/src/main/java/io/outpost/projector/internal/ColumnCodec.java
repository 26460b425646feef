package io.outpost.projector.internal;

import static io.outpost.store.StoreLayout.quote;

import io.outpost.store.ReplicaTables;

/**
 * How a column's value in the change log (its JSON form) becomes a replica value inside SQL that
 * reads rows from {@code jsonb_to_recordset}: the type to declare in the record definition and
 * the expression that converts it. json/jsonb arrive as their text and bytea as base64.
 */
final class ColumnCodec {

    private ColumnCodec() {
    }

    /** The type to declare for {@code column} in a {@code jsonb_to_recordset(...) AS r(...)} list. */
    static String declaredType(String sourceType) {
        String type = ReplicaTables.replicaType(sourceType);
        return switch (type) {
            case "json", "jsonb", "bytea" -> "text";
            default -> type;
        };
    }

    /** The expression that yields the replica value of {@code alias.column}. */
    static String expression(String alias, String column, String sourceType) {
        String ref = alias + "." + quote(column);
        return switch (ReplicaTables.replicaType(sourceType)) {
            case "json" -> ref + "::json";
            case "jsonb" -> ref + "::jsonb";
            case "bytea" -> "decode(" + ref + ", 'base64')";
            default -> ref;
        };
    }
}

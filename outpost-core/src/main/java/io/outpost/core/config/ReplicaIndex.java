package io.outpost.core.config;

import java.util.Arrays;
import java.util.List;
import java.util.Objects;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * An index a view's SQL needs on a replica table, declared with the view as {@code table(column, …)}:
 * the projector creates it in every region's store once the table has appeared (beside the indexes
 * it makes by itself for the columns {@code changes} maps by). For instance a view listing a
 * customer's latest orders reads {@code orders(customer_id, placed_at, id)} in that order, ten rows,
 * instead of all of the customer's orders sorted.
 *
 * @param table   the source table as written ({@code orders} or {@code shop.orders})
 * @param columns its columns, in index order
 */
public record ReplicaIndex(String table, List<String> columns) {

    private static final String NAME = "[A-Za-z_][A-Za-z0-9_$]*";
    static final Pattern FORM = Pattern.compile("\\s*((?:" + NAME + "\\.)?" + NAME + ")\\s*\\(\\s*(" + NAME
            + "(?:\\s*,\\s*" + NAME + ")*)\\s*\\)\\s*");

    static final Type<String> TYPE = Type.string("an index such as orders(customer_id, placed_at): a table and its "
            + "columns in index order", FORM);

    public ReplicaIndex {
        Objects.requireNonNull(table, "table");
        columns = List.copyOf(columns);
        if (columns.isEmpty()) {
            throw new IllegalArgumentException("an index needs at least one column");
        }
    }

    /** Reads {@code table(column, …)}. */
    static ReplicaIndex parse(String text) {
        Matcher m = FORM.matcher(text);
        if (!m.matches()) {
            throw new IllegalArgumentException("must be " + TYPE.rule() + ", but was \"" + text + "\"");
        }
        return new ReplicaIndex(m.group(1), Arrays.stream(m.group(2).split(",")).map(String::strip).toList());
    }

    @Override
    public String toString() {
        return table + "(" + String.join(", ", columns) + ")";
    }
}

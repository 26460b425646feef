package io.outpost.core.config;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.function.Function;

/**
 * How a changed row of a source table maps to the keys of a view it affects: one entry of a view's
 * {@code changes}, parsed once, here, for the validator and the projector alike.
 *
 * <ul>
 *   <li>{@link KeyColumn}: a column name — the changed row's value in it is the affected key
 *       ({@code orders: id}, {@code order_lines: order_id});</li>
 *   <li>{@link KeyQuery}: a {@code SELECT} that yields the affected keys from the changed row's
 *       {@code :column} values ({@code customers: SELECT id FROM orders WHERE customer_id = :id});</li>
 *   <li>{@link EveryChange}: a {@code SELECT} with no {@code :column} — it does not depend on the row,
 *       so every change of the table affects the keys it yields: a view of global totals, one
 *       document under a constant key ({@code orders: SELECT 'all'}).</li>
 * </ul>
 */
public sealed interface ChangeMapping permits ChangeMapping.KeyColumn, ChangeMapping.KeyQuery, ChangeMapping.EveryChange {

    /** The changed row's column that holds the affected view key. */
    record KeyColumn(String column) implements ChangeMapping {
        public KeyColumn {
            Objects.requireNonNull(column, "column");
        }
    }

    /**
     * A query yielding the affected keys from the changed row's values.
     *
     * @param sql        the query as written
     * @param parameters the columns it names as {@code :column}, in order of first use, each once
     */
    record KeyQuery(String sql, List<String> parameters) implements ChangeMapping {
        public KeyQuery {
            Objects.requireNonNull(sql, "sql");
            parameters = List.copyOf(parameters);
            if (parameters.isEmpty()) {
                throw new IllegalArgumentException("a key query uses at least one :column");
            }
        }

        /** The query with every {@code :column} replaced by {@code reference.apply(column)}. */
        public String render(Function<String, String> reference) {
            StringBuilder out = new StringBuilder();
            scan(sql, out, reference);
            return out.toString();
        }
    }

    /** A query that yields the affected keys whatever row changed: every change of the table affects them. */
    record EveryChange(String sql) implements ChangeMapping {
        public EveryChange {
            Objects.requireNonNull(sql, "sql");
        }
    }

    /**
     * Parses one {@code changes} entry.
     *
     * @throws IllegalArgumentException saying what a mapping may be, when {@code text} is neither a
     *                                  column name nor a {@code SELECT} query
     */
    static ChangeMapping parse(String text) {
        String stripped = text.strip();
        if (isName(stripped)) {
            return new KeyColumn(stripped);
        }
        String lower = stripped.toLowerCase(Locale.ROOT);
        if (!lower.startsWith("select") || lower.length() < 8 || !Character.isWhitespace(lower.charAt(6))) {
            throw new IllegalArgumentException("must be a column name, or a SELECT that yields the affected keys, but was \""
                    + text + "\"");
        }
        List<String> parameters = new ArrayList<>();
        scan(stripped, null, name -> {
            if (!parameters.contains(name)) {
                parameters.add(name);
            }
            return name;
        });
        return parameters.isEmpty() ? new EveryChange(stripped) : new KeyQuery(stripped, parameters);
    }

    /**
     * Walks {@code sql} for {@code :column} parameters — not inside quoted literals or identifiers,
     * not a {@code ::type} cast — calling {@code parameter} with each name; when {@code out} is not
     * null, writes the text with each parameter replaced by what {@code parameter} returned.
     */
    private static void scan(String sql, StringBuilder out, Function<String, String> parameter) {
        int i = 0;
        while (i < sql.length()) {
            char c = sql.charAt(i);
            if (c == '\'' || c == '"') {
                int end = sql.indexOf(c, i + 1);
                while (end > 0 && end + 1 < sql.length() && sql.charAt(end + 1) == c) { // '' and "" escape the quote
                    end = sql.indexOf(c, end + 2);
                }
                end = end < 0 ? sql.length() : end + 1;
                if (out != null) {
                    out.append(sql, i, end);
                }
                i = end;
            } else if (c == ':' && i + 1 < sql.length() && sql.charAt(i + 1) == ':') {
                if (out != null) {
                    out.append("::");
                }
                i += 2;
            } else if (c == ':' && i + 1 < sql.length() && isNameStart(sql.charAt(i + 1))) {
                int end = i + 1;
                while (end < sql.length() && isNamePart(sql.charAt(end))) {
                    end++;
                }
                String replacement = parameter.apply(sql.substring(i + 1, end));
                if (out != null) {
                    out.append(replacement);
                }
                i = end;
            } else {
                if (out != null) {
                    out.append(c);
                }
                i++;
            }
        }
    }

    /** {@code [A-Za-z_][A-Za-z0-9_]*}. */
    private static boolean isName(String text) {
        if (text.isEmpty() || !isNameStart(text.charAt(0))) {
            return false;
        }
        return text.chars().allMatch(c -> isNamePart((char) c));
    }

    private static boolean isNameStart(char c) {
        return c == '_' || c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z';
    }

    private static boolean isNamePart(char c) {
        return isNameStart(c) || c >= '0' && c <= '9';
    }
}

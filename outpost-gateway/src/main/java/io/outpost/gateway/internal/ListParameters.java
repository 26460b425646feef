package io.outpost.gateway.internal;

import com.fasterxml.jackson.core.io.JsonStringEncoder;
import io.outpost.core.config.ViewDefinition;
import io.outpost.store.ViewReads;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * A list request's parameters ({@code field=value}, {@code field.gt=value}, {@code sort},
 * {@code limit}, {@code after}, {@code q}) as a {@link ViewReads.ListQuery} on one view. Names are
 * checked against the view's declared fields; values become JSON texts bound as parameters, never
 * SQL. What does not fit is a 400 problem naming the parameter and what would.
 */
final class ListParameters {

    /** Documents per page when the request does not say; the most it may ask for. */
    static final int DEFAULT_LIMIT = 20;
    static final int MAX_LIMIT = 100;
    private static final Set<String> RESERVED = Set.of("sort", "limit", "after", "q");
    private static final Pattern JSON_NUMBER = Pattern.compile("-?(0|[1-9][0-9]*)(\\.[0-9]+)?([eE][+-]?[0-9]+)?");

    private ListParameters() {
    }

    /**
     * The query that {@code parameters} ask of {@code view}, whose key has SQL type {@code keyType}.
     *
     * @param cursors reads {@code after=}
     * @param visible the rows the caller may see ({@link ViewReads.ListQuery#visible()}); null for all
     * @throws Problem 400 for an unknown filter or sort, a bad limit or cursor, or a search on a view without search fields
     */
    static ViewReads.ListQuery parse(ViewDefinition view, String keyType, Map<String, List<String>> parameters,
                                     Cursors cursors, List<List<ViewReads.Filter>> visible) {
        List<ViewReads.Filter> filters = filters(view, parameters);
        String sort = first(parameters, "sort");
        String sortField = null;
        boolean descending = false;
        if (sort != null) {
            descending = sort.startsWith("-");
            String field = descending ? sort.substring(1) : sort;
            if (!field.equals("key")) {
                if (!view.fields().contains(field)) {
                    throw new Problem(ProblemType.UNKNOWN_SORT, "cannot sort view " + view.name() + " by \"" + field
                            + "\": sort by key or one of its fields " + view.fields() + ", with a leading - for descending");
                }
                sortField = field;
            }
        }
        int limit = limit(first(parameters, "limit"));
        String text = first(parameters, "q");
        if (text != null && view.search().isEmpty()) {
            throw new Problem(ProblemType.NO_SEARCH, "view " + view.name() + " declares no search fields, so q= "
                    + "cannot be used on it");
        }
        if (text != null && text.isBlank()) {
            text = null;
        }
        String after = first(parameters, "after");
        ViewReads.After start = after == null ? null
                : cursors.decode(after, view.name(), sortSpec(sortField, descending));
        return new ViewReads.ListQuery(view.name(), keyType, filters, sortField, descending, start, text, limit, visible);
    }

    private static List<ViewReads.Filter> filters(ViewDefinition view, Map<String, List<String>> parameters) {
        List<String> fields = view.fields();
        List<ViewReads.Filter> filters = new ArrayList<>();
        for (var entry : parameters.entrySet()) {
            String name = entry.getKey();
            if (RESERVED.contains(name)) {
                continue;
            }
            if (fields.contains(name)) {
                List<String> values = new ArrayList<>();
                entry.getValue().forEach(value -> values.addAll(candidates(value)));
                filters.add(new ViewReads.Filter(name, ViewReads.Operator.EQ, values));
                continue;
            }
            int dot = name.lastIndexOf('.');
            ViewReads.Operator operator = dot < 0 ? null : switch (name.substring(dot + 1)) {
                case "gt" -> ViewReads.Operator.GT;
                case "gte" -> ViewReads.Operator.GTE;
                case "lt" -> ViewReads.Operator.LT;
                case "lte" -> ViewReads.Operator.LTE;
                default -> null;
            };
            if (operator == null || !fields.contains(name.substring(0, dot))) {
                throw new Problem(ProblemType.UNKNOWN_FILTER, "\"" + name + "\" is not a filter of view " + view.name()
                        + ": filter on its fields " + fields + " as field=value (repeat for any of several values) or "
                        + "field.gt / .gte / .lt / .lte=value; other parameters are " + RESERVED.stream().sorted().toList());
            }
            if (entry.getValue().size() != 1) {
                throw new Problem(ProblemType.INVALID_FILTER,
                        "\"" + name + "\" takes one value, but has " + entry.getValue().size());
            }
            filters.add(new ViewReads.Filter(name.substring(0, dot), operator, List.of(rangeValue(entry.getValue().getFirst()))));
        }
        return filters;
    }

    private static int limit(String text) {
        if (text == null) {
            return DEFAULT_LIMIT;
        }
        int limit;
        try {
            limit = Integer.parseInt(text);
        } catch (NumberFormatException e) {
            limit = -1;
        }
        if (limit < 1 || limit > MAX_LIMIT) {
            throw new Problem(ProblemType.INVALID_LIMIT, "limit must be a number from 1 to " + MAX_LIMIT + ", but was \""
                    + text + "\"");
        }
        return limit;
    }

    private static String first(Map<String, List<String>> parameters, String name) {
        List<String> values = parameters.get(name);
        return values == null || values.isEmpty() ? null : values.getFirst();
    }

    /** The order of a query as its cursors name it: {@code key}, {@code -placed_at}. */
    static String sortSpec(ViewReads.ListQuery query) {
        return sortSpec(query.sortField(), query.descending());
    }

    private static String sortSpec(String sortField, boolean descending) {
        return (descending ? "-" : "") + (sortField == null ? "key" : sortField);
    }

    /** A request value as the JSON values it may stand for: always a string; a number, boolean or null too if it reads as one. */
    static List<String> candidates(String value) {
        String scalar = scalar(value);
        return scalar == null ? List.of(jsonString(value)) : List.of(jsonString(value), scalar);
    }

    /** A range bound: a number compares as a number, anything else as text. */
    static String rangeValue(String value) {
        String scalar = scalar(value);
        return scalar != null && JSON_NUMBER.matcher(value).matches() ? scalar : jsonString(value);
    }

    /** The value as a JSON number, boolean or null literal, if it is one; otherwise null. */
    private static String scalar(String value) {
        return switch (value) {
            case "true", "false", "null" -> value;
            default -> value.length() <= 100 && JSON_NUMBER.matcher(value).matches() ? value : null;
        };
    }

    /** The value as a JSON string literal (Jackson's encoder). */
    static String jsonString(String value) {
        return '"' + new String(JsonStringEncoder.getInstance().quoteAsString(value)) + '"';
    }
}

package io.outpost.store;

import static io.outpost.store.StoreLayout.quote;

import io.outpost.core.SourcePosition;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * Reads of view documents, for the gateway. Every read is one statement, so the documents and the
 * watermark it reports come from one snapshot: a document is never newer or older than the
 * watermark sent with it. Documents come back as the store's JSON text, not parsed.
 *
 * <p>Everything that becomes SQL text — view and field names, the key type — comes from the
 * configuration and the store's registry, never from a request; request values are bind
 * parameters only.
 */
public final class ViewReads {

    private ViewReads() {
    }

    /** The watermark a read saw; {@code position} null when the region has applied nothing yet. */
    public record Snapshot(SourcePosition position, Instant commitTime) {

        /** How long before {@code now} the watermark committed at the source, never negative; null when unknown. */
        public java.time.Duration staleness(Instant now) {
            if (commitTime == null) {
                return null;
            }
            java.time.Duration staleness = java.time.Duration.between(commitTime, now);
            return staleness.isNegative() ? java.time.Duration.ZERO : staleness;
        }
    }

    /** A document by key, and the snapshot it was read in; {@code doc} null when there is none. */
    public record One(Snapshot snapshot, String doc) {
    }

    /**
     * One page of a list: documents in order, each with its key and sort value (JSON text), and
     * whether more follow.
     */
    public record Page(Snapshot snapshot, List<Item> items, boolean more) {
        public Page {
            items = List.copyOf(items);
        }
    }

    /** A listed document, with what a cursor after it needs. */
    public record Item(String key, String sortValue, String doc) {
    }

    /** A comparison of a field with JSON values; {@code EQ} matches any of the values. */
    public enum Operator {
        EQ("= ANY (?::jsonb[])"), GT("> ?::jsonb"), GTE(">= ?::jsonb"), LT("< ?::jsonb"), LTE("<= ?::jsonb");

        private final String sql;

        Operator(String sql) {
            this.sql = sql;
        }
    }

    /** The field name of a {@link Filter} on the view's key (compared as {@code to_jsonb(key)}) rather than a declared field. */
    public static final String KEY = "\u0000key";

    /**
     * {@code field operator values}; {@code field} is a declared field or {@link #KEY}; values are JSON texts ({@code "\"PAID\""}, {@code "5"}); a
     * range takes one.
     */
    public record Filter(String field, Operator operator, List<String> values) {
        public Filter {
            Objects.requireNonNull(field, "field");
            Objects.requireNonNull(operator, "operator");
            values = List.copyOf(values);
            if (values.isEmpty() || operator != Operator.EQ && values.size() != 1) {
                throw new IllegalArgumentException(operator + " takes " + (operator == Operator.EQ ? "one or more values" : "one value"));
            }
        }
    }

    /** Where a page starts: after the document with this sort value (JSON text) and key. */
    public record After(String sortValue, String key) {
        public After {
            Objects.requireNonNull(sortValue, "sortValue");
            Objects.requireNonNull(key, "key");
        }
    }

    /**
     * A list query on a view.
     *
     * @param sortField  a declared field, or null for the key
     * @param descending whether the order is descending (the key breaks ties in the same direction)
     * @param after      where the page starts, or null for the first page
     * @param text       full-text search over the view's {@code search} fields, or null
     * @param limit      documents per page
     * @param visible    the rows the caller may see: any one of these groups of filters, all of a group's
     *                   holding; null for every row, empty for none
     */
    public record ListQuery(String view, String keyType, List<Filter> filters, String sortField, boolean descending,
                            After after, String text, int limit, List<List<Filter>> visible) {
        public ListQuery {
            Objects.requireNonNull(view, "view");
            Objects.requireNonNull(keyType, "keyType");
            filters = List.copyOf(filters);
            visible = visible == null ? null : visible.stream().map(List::copyOf).toList();
            if (limit < 1) {
                throw new IllegalArgumentException("limit must be at least 1, but was " + limit);
            }
        }

        /** The same query with every row visible. */
        public ListQuery(String view, String keyType, List<Filter> filters, String sortField, boolean descending,
                         After after, String text, int limit) {
            this(view, keyType, filters, sortField, descending, after, text, limit, null);
        }
    }

    private static final String WATERMARK = "FROM (SELECT 1) one LEFT JOIN public.outpost_watermark w ON w.source = ?";

    /** The document of {@code key} in {@code view}, whose key column has SQL type {@code keyType}. */
    public static One byKey(Connection c, String source, String view, String keyType, String key) throws SQLException {
        String sql = "SELECT w.position::text, w.commit_time, (SELECT v.doc::text FROM " + StoreLayout.viewTable(view)
                + " v WHERE v.key = ?::text::" + keyType + ") " + WATERMARK;
        try (PreparedStatement s = c.prepareStatement(sql)) {
            s.setString(1, key);
            s.setString(2, source);
            try (ResultSet rs = s.executeQuery()) {
                rs.next();
                return new One(snapshot(rs), rs.getString(3));
            }
        }
    }

    /** A page of {@code query}'s documents. */
    public static Page list(Connection c, String source, ListQuery query) throws SQLException {
        String sortColumn = query.sortField() == null ? null : "v." + quote(StoreLayout.fieldColumn(query.sortField()));
        String direction = query.descending() ? " DESC" : "";
        String order = (sortColumn == null ? "" : sortColumn + direction + ", ") + "v.key" + direction;
        // one group of visibility filters is just more filters (which may then drive the read); several are an OR
        List<Filter> filters = new ArrayList<>(query.filters());
        if (query.visible() != null && query.visible().size() == 1) {
            filters.addAll(query.visible().getFirst());
        }
        // the first equality filter drives the read: one branch per value, each an ordered range of the field's index
        Filter driving = filters.stream().filter(f -> f.operator() == Operator.EQ).findFirst().orElse(null);
        List<String> conditions = new ArrayList<>();
        List<Object> parameters = new ArrayList<>();
        for (Filter filter : filters) {
            if (filter != driving) {
                conditions.add(column(filter) + " " + filter.operator().sql);
                parameters.add(filter.operator() == Operator.EQ ? filter.values().toArray(String[]::new) : filter.values().getFirst());
            }
        }
        if (query.visible() != null && query.visible().size() != 1) {
            List<String> groups = new ArrayList<>();
            for (List<Filter> group : query.visible()) {
                List<String> all = new ArrayList<>();
                for (Filter filter : group) {
                    all.add(column(filter) + " " + filter.operator().sql);
                    parameters.add(filter.operator() == Operator.EQ ? filter.values().toArray(String[]::new) : filter.values().getFirst());
                }
                groups.add(all.isEmpty() ? "true" : "(" + String.join(" AND ", all) + ")");
            }
            conditions.add(groups.isEmpty() ? "false" : "(" + String.join(" OR ", groups) + ")");
        }
        if (query.text() != null) {
            conditions.add("v." + StoreLayout.SEARCH_COLUMN + " @@ websearch_to_tsquery('simple', ?)");
            parameters.add(query.text());
        }
        if (query.after() != null) {
            String comparison = query.descending() ? " < " : " > ";
            String key = "?::text::" + query.keyType();
            if (sortColumn == null) {
                conditions.add("v.key" + comparison + key);
            } else {
                conditions.add("(" + sortColumn + ", v.key)" + comparison + "(?::jsonb, " + key + ")");
                parameters.add(query.after().sortValue());
            }
            parameters.add(query.after().key());
        }
        long limit = (long) query.limit() + 1;
        String select = "SELECT v.key, " + (sortColumn == null ? "to_jsonb(v.key)" : sortColumn) + " AS sort_value, v.doc FROM "
                + StoreLayout.viewTable(query.view()) + " v";
        List<Object> bound = new ArrayList<>();
        String rows;
        if (driving == null) {
            rows = select + (conditions.isEmpty() ? "" : " WHERE " + String.join(" AND ", conditions)) + " ORDER BY " + order
                    + " LIMIT ?";
            bound.addAll(parameters);
            bound.add(limit);
        } else {
            List<String> branches = new ArrayList<>();
            List<String> branchConditions = new ArrayList<>(conditions);
            branchConditions.addFirst(column(driving) + " = ?::jsonb");
            for (String value : driving.values()) {
                branches.add("(" + select + " WHERE " + String.join(" AND ", branchConditions) + " ORDER BY " + order + " LIMIT ?)");
                bound.add(value);
                bound.addAll(parameters);
                bound.add(limit);
            }
            String merged = (sortColumn == null ? "" : "v.sort_value" + direction + ", ") + "v.key" + direction;
            rows = "SELECT * FROM (" + String.join(" UNION ALL ", branches) + ") v ORDER BY " + merged + " LIMIT ?";
            bound.add(limit);
        }
        String pageOrder = (sortColumn == null ? "" : "r.sort_value" + direction + ", ") + "r.key" + direction;
        String sql = "WITH page AS (SELECT r.key::text AS key, r.sort_value::text AS sort_value, r.doc::text AS doc, "
                + "row_number() OVER (ORDER BY " + pageOrder + ") AS n FROM (" + rows + ") r) "
                + "SELECT w.position::text, w.commit_time, p.key, p.sort_value, p.doc " + WATERMARK
                + " LEFT JOIN page p ON true ORDER BY p.n";
        bound.add(source);
        try (PreparedStatement s = c.prepareStatement(sql)) {
            if (driving == null) {
                // no equality to drive the read: plan it for these values each time (a generic plan for a range or
                // a text search cannot know how selective it is)
                s.unwrap(org.postgresql.PGStatement.class).setPrepareThreshold(0);
            }
            int index = 1;
            for (Object parameter : bound) {
                switch (parameter) {
                    case String[] values -> s.setArray(index++, c.createArrayOf("jsonb", values));
                    case Long number -> s.setLong(index++, number);
                    default -> s.setString(index++, (String) parameter);
                }
            }
            List<Item> items = new ArrayList<>();
            Snapshot snapshot = null;
            try (ResultSet rs = s.executeQuery()) {
                while (rs.next()) {
                    snapshot = snapshot == null ? snapshot(rs) : snapshot;
                    if (rs.getString(3) != null) {
                        items.add(new Item(rs.getString(3), rs.getString(4), rs.getString(5)));
                    }
                }
            }
            boolean more = items.size() > query.limit();
            return new Page(snapshot, more ? items.subList(0, query.limit()) : items, more);
        }
    }

    /** The jsonb a filter compares: a declared field's generated column, or the key as JSON. */
    private static String column(Filter filter) {
        return KEY.equals(filter.field()) ? "to_jsonb(v.key)" : "v." + quote(StoreLayout.fieldColumn(filter.field()));
    }

    private static Snapshot snapshot(ResultSet rs) throws SQLException {
        String position = rs.getString(1);
        Timestamp commitTime = rs.getTimestamp(2);
        return new Snapshot(position == null ? null : SourcePosition.parse(position),
                commitTime == null ? null : commitTime.toInstant());
    }
}

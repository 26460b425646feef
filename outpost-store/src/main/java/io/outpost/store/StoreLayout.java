package io.outpost.store;

import java.util.Locale;

/**
 * Where things live in a region's store database. Replica tables of source {@code shop} are in
 * schema {@code replica_shop}, named like the source table ({@code public.orders} → {@code orders}),
 * so a view's SQL reads them by their source names. View documents are in schema {@code views},
 * one table per view. Outpost's own bookkeeping is in {@code public}: {@code outpost_watermark},
 * {@code outpost_views}, {@code outpost_errors}.
 */
public final class StoreLayout {

    /** The schema of the view tables. */
    public static final String VIEWS_SCHEMA = "views";
    /** The column of a view table holding the full-text vector of its {@code search} fields. */
    public static final String SEARCH_COLUMN = "search";
    /** The channel on which the projector announces a new watermark: payload {@code <source> <position>}. */
    public static final String WATERMARK_CHANNEL = "outpost_watermark";

    private StoreLayout() {
    }

    /** {@code replica_<source>}. */
    public static String replicaSchema(String source) {
        return "replica_" + source;
    }

    /** The replica table's name (in {@link #replicaSchema}) of a captured {@code schema.table}. */
    public static String replicaTable(String sourceTable) {
        int dot = sourceTable.indexOf('.');
        return dot < 0 ? sourceTable : sourceTable.substring(dot + 1);
    }

    /** {@code views."orders"}: the table serving a view's documents. */
    public static String viewTable(String view) {
        return VIEWS_SCHEMA + "." + quote(view);
    }

    /**
     * The generated column of a view table that holds a filterable field: {@code customer.id} →
     * {@code f_customer_id}. Its type is {@code jsonb}, so numbers sort as numbers and text as text.
     */
    public static String fieldColumn(String fieldPath) {
        return "f_" + fieldPath.replace('.', '_').toLowerCase(Locale.ROOT);
    }

    /**
     * {@code customer.name} → the JSON at that path of a document, JSON {@code null} where the
     * document has none — never SQL NULL, so that every document has a place in a sort by the
     * field and keyset pagination needs no special case.
     */
    public static String fieldExpression(String fieldPath) {
        return "(coalesce(doc #> '{" + fieldPath.replace('.', ',') + "}', 'null'::jsonb))";
    }

    /**
     * The version of the view tables' layout (their columns and indexes). It is part of every
     * view's hash, so a store whose view tables an older layout made rebuilds them at start.
     */
    public static final int VIEW_LAYOUT_VERSION = 2;

    /** An SQL identifier, quoted. */
    public static String quote(String identifier) {
        return "\"" + identifier.replace("\"", "\"\"") + "\"";
    }
}

package io.outpost.projector.internal;

import static io.outpost.store.StoreLayout.quote;

import io.outpost.core.config.ChangeMapping;
import io.outpost.core.config.ViewDefinition;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The SQL text that maintains a view table, built from its definition and its key's SQL type.
 * Everything that becomes SQL text here comes from the configuration and the store's catalog;
 * positions, keys and row values are always bind parameters ({@code ?}).
 */
final class ViewSql {

    private ViewSql() {
    }

    /** The view's SQL without surrounding blanks and trailing semicolons, to be nested in another statement. */
    static String body(String sql) {
        String s = sql.strip();
        while (s.endsWith(";")) {
            s = s.substring(0, s.length() - 1).strip();
        }
        return s;
    }

    /** The view's columns and key type, reading no rows. */
    static String probe(ViewDefinition view) {
        return "SELECT * FROM (" + body(view.sql()) + ") v LIMIT 0";
    }

    /** The plan of the view's SQL, whose JSON names every relation it reads. */
    static String explain(ViewDefinition view) {
        return "EXPLAIN (VERBOSE, FORMAT JSON) " + body(view.sql());
    }

    /**
     * Each key's document: {@code (key, doc)} rows; with {@code someKeys}, only the keys of a text
     * array parameter.
     */
    static String computed(ViewDefinition view, String keyType, boolean someKeys) {
        String key = quote(view.key());
        return "SELECT v." + key + "::" + keyType + " AS key, to_jsonb(v) AS doc FROM (" + body(view.sql()) + ") v"
                + (someKeys ? " WHERE v." + key + " = ANY (?::text[]::" + keyType + "[])" : "");
    }

    /**
     * Recomputes documents in {@code table}: upserts each computed one that changed and deletes those
     * whose key no longer yields a row. Parameters, in order: with {@code someKeys} the keys (a text
     * array), the position, and the keys again; without, the position alone.
     */
    static String upsertAndDelete(ViewDefinition view, String keyType, String table, boolean someKeys) {
        return "WITH computed AS (" + computed(view, keyType, someKeys) + "), upserted AS (INSERT INTO " + table
                + " AS t (key, doc, position, updated_at) SELECT key, doc, ?::pg_lsn, now() FROM computed "
                + "ON CONFLICT (key) DO UPDATE SET doc = EXCLUDED.doc, position = EXCLUDED.position, "
                + "updated_at = EXCLUDED.updated_at WHERE t.doc IS DISTINCT FROM EXCLUDED.doc) "
                + "DELETE FROM " + table + " t WHERE " + (someKeys ? "t.key = ANY (?::text[]::" + keyType + "[]) AND " : "")
                + "NOT EXISTS (SELECT 1 FROM computed c WHERE c.key = t.key)";
    }

    /**
     * Fills a table being built ({@code table}) with the computed documents. Parameters: the
     * position, then (with {@code someKeys}) the keys as a text array.
     */
    static String insertComputed(ViewDefinition view, String keyType, String table, boolean someKeys) {
        return "INSERT INTO " + table + " (key, doc, position, updated_at) SELECT key, doc, ?::pg_lsn, now() FROM ("
                + computed(view, keyType, someKeys) + ") computed";
    }

    /** Every key the view's SQL yields, as text. */
    static String distinctKeys(ViewDefinition view) {
        return "SELECT DISTINCT v." + quote(view.key()) + "::text FROM (" + body(view.sql()) + ") v";
    }

    /**
     * The keys a key query yields for a set of changed rows, given as one JSON array parameter of
     * objects holding the rows' parameter values; {@code declaredTypes} gives each parameter's type
     * in that record definition (a column absent from it is text).
     */
    static String keyQuery(ChangeMapping.KeyQuery query, Map<String, String> declaredTypes) {
        List<String> definitions = new ArrayList<>();
        for (String parameter : query.parameters()) {
            definitions.add(quote(parameter) + " " + declaredTypes.getOrDefault(parameter, "text"));
        }
        return "SELECT DISTINCT m.k::text FROM jsonb_to_recordset(?::jsonb) AS p(" + String.join(", ", definitions)
                + ") CROSS JOIN LATERAL (" + body(query.render(p -> "p." + quote(p))) + ") AS m(k)";
    }

    /** The keys an every-change mapping yields. */
    static String everyChangeQuery(ChangeMapping.EveryChange mapping) {
        return "SELECT DISTINCT m.k::text FROM (" + body(mapping.sql()) + ") AS m(k)";
    }
}

package io.outpost.source;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.List;

/**
 * Announces the captured tables' shapes through the WAL, so that consumers can create every
 * replica table, also of a table that has no rows yet (the snapshot and the stream only carry a
 * table's shape before one of its rows). The announcement is a transactional logical message
 * (prefix {@link LogicalMessages#SCHEMA_PREFIX}) whose content is a JSON array of
 * {@code {"table", "columns": [{"name", "type", "nullable"}], "primary_key"}}, with the type
 * names capture uses (the catalog's, with length or precision and scale: {@code numeric(12,2)},
 * {@code varchar(64)}, {@code int4[]}). Being in the WAL, it is ordered with the transactions
 * around it.
 */
public final class SourceSchemas {

    private static final String SIZED = """
            CASE WHEN %1$s IN ('numeric', 'decimal') AND a.atttypmod > 4
                   THEN %1$s || '(' || ((a.atttypmod - 4) >> 16) || ',' || ((a.atttypmod - 4) & 65535) || ')'
                 WHEN %1$s IN ('varchar', 'bpchar') AND a.atttypmod > 4 THEN %1$s || '(' || (a.atttypmod - 4) || ')'
                 WHEN %1$s IN ('bit', 'varbit') AND a.atttypmod > 0 THEN %1$s || '(' || a.atttypmod || ')'
                 ELSE %1$s::text END""";

    static final String ANNOUNCE = """
            SELECT pg_logical_emit_message(true, '%s', coalesce(json_agg(t ORDER BY t.table)::text, '[]'))::text
            FROM (
              SELECT n.nspname || '.' || c.relname AS table,
                     (SELECT json_agg(json_build_object('name', a.attname,
                                 'type', CASE WHEN el.oid IS NOT NULL THEN (%s) || '[]' ELSE (%s) END,
                                 'nullable', NOT a.attnotnull) ORDER BY a.attnum)
                      FROM pg_attribute a JOIN pg_type ty ON ty.oid = a.atttypid
                      LEFT JOIN pg_type el ON el.oid = ty.typelem AND ty.typcategory = 'A'
                      WHERE a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped) AS columns,
                     coalesce((SELECT json_agg(a.attname ORDER BY k.ord)
                               FROM pg_index i CROSS JOIN LATERAL unnest(i.indkey) WITH ORDINALITY AS k(attnum, ord)
                               JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k.attnum
                               WHERE i.indrelid = c.oid AND i.indisprimary), '[]') AS primary_key
              FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
              WHERE n.nspname || '.' || c.relname = ANY (?) AND c.relkind IN ('r', 'p')
            ) t""".formatted(LogicalMessages.SCHEMA_PREFIX, SIZED.formatted("el.typname"), SIZED.formatted("ty.typname"));

    private SourceSchemas() {
    }

    /**
     * Writes the announcement of {@code tables} ({@code schema.table}) and returns its LSN (as
     * {@code X/Y}). Runs as its own transaction on {@code connection}, which must be in auto-commit.
     */
    public static String announce(Connection connection, List<String> tables) throws SQLException {
        try (PreparedStatement s = connection.prepareStatement(ANNOUNCE)) {
            s.setArray(1, connection.createArrayOf("text", tables.toArray()));
            try (ResultSet rs = s.executeQuery()) {
                rs.next();
                return rs.getString(1);
            }
        }
    }
}

package io.outpost.it.harness;

import io.outpost.core.SourcePosition;
import io.outpost.core.config.ViewDefinition;
import io.outpost.store.StoreLayout;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;

/**
 * Guarantee 2's check: each view computed directly on the source database, compared document by
 * document with a region's view tables. Both sides run the view's own SQL (the replicas have the
 * source's table names, columns and types) in UTC, and documents are compared as canonical
 * {@code jsonb} text.
 *
 * <p>PostgreSQL cannot query the past, so "at a position" means: the caller quiesced the source (no
 * writes to the captured tables) and waited until the region's watermark passed the source's
 * current position (a fence). {@link #compare} reads both sides in one snapshot each.
 */
public final class ConsistencyChecker {

    /** One document that differs: missing on one side (null) or with other content. */
    public record Difference(String view, String key, String inSource, String inRegion) {
    }

    /**
     * What a comparison found.
     *
     * @param documents documents per view in the source's computation
     */
    public record Report(String region, SourcePosition position, Map<String, Integer> documents,
                         List<Difference> differences) {

        public boolean consistent() {
            return differences.isEmpty();
        }

        /** A readable summary: counts, and the first differences. */
        @Override
        public String toString() {
            StringBuilder text = new StringBuilder("region " + region + " at " + position + ": " + documents + " documents, "
                    + differences.size() + " differences");
            differences.stream().limit(10).forEach(d -> text.append("\n  ").append(d.view()).append('/').append(d.key())
                    .append(": source ").append(d.inSource()).append("\n  ").append(" ".repeat(d.view().length() + d.key().length() + 3))
                    .append("region ").append(d.inRegion()));
            return text.toString();
        }
    }

    private ConsistencyChecker() {
    }

    /**
     * Compares every view of {@code region}'s store with the same view computed on the source.
     *
     * @param source         a connection to the source database (its tables on the search path)
     * @param store          a connection to the region's store
     * @param sourcePosition the position the region is compared at, for the report
     */
    public static Report compare(Connection source, Connection store, Collection<ViewDefinition> views, String region,
                                 SourcePosition sourcePosition) throws SQLException {
        Map<String, Integer> counts = new TreeMap<>();
        List<Difference> differences = new ArrayList<>();
        for (ViewDefinition view : views) {
            Map<String, String> expected = documents(source, "SELECT v." + StoreLayout.quote(view.key()) + "::text, "
                    + "to_jsonb(v)::text FROM (" + body(view.sql()) + ") v");
            Map<String, String> actual = documents(store, "SELECT key::text, doc::text FROM " + StoreLayout.viewTable(view.name()));
            counts.put(view.name(), expected.size());
            for (var entry : expected.entrySet()) {
                String other = actual.get(entry.getKey());
                if (!entry.getValue().equals(other)) {
                    differences.add(new Difference(view.name(), entry.getKey(), entry.getValue(), other));
                }
            }
            for (var entry : actual.entrySet()) {
                if (!expected.containsKey(entry.getKey())) {
                    differences.add(new Difference(view.name(), entry.getKey(), null, entry.getValue()));
                }
            }
        }
        return new Report(region, sourcePosition, counts, differences);
    }

    /** key → document, read in one snapshot in UTC. */
    private static Map<String, String> documents(Connection c, String sql) throws SQLException {
        Map<String, String> docs = new TreeMap<>();
        boolean autoCommit = c.getAutoCommit();
        c.setAutoCommit(false);
        try (Statement s = c.createStatement()) {
            s.execute("SET LOCAL TIME ZONE 'UTC'");
            try (ResultSet rs = s.executeQuery(sql)) {
                while (rs.next()) {
                    String previous = docs.put(rs.getString(1), rs.getString(2));
                    if (previous != null) {
                        docs.put(rs.getString(1), "DUPLICATE KEY: " + previous + " AND " + rs.getString(2));
                    }
                }
            }
        } finally {
            c.rollback();
            c.setAutoCommit(autoCommit);
        }
        return docs;
    }

    /** The source's current WAL position (call it after the last write of a quiet source). */
    public static SourcePosition currentPosition(Connection source) throws SQLException {
        try (PreparedStatement s = source.prepareStatement("SELECT pg_current_wal_lsn()::text");
             ResultSet rs = s.executeQuery()) {
            rs.next();
            return SourcePosition.parse(rs.getString(1));
        }
    }

    private static String body(String sql) {
        String s = Objects.requireNonNull(sql).strip();
        while (s.endsWith(";")) {
            s = s.substring(0, s.length() - 1).strip();
        }
        return s;
    }
}

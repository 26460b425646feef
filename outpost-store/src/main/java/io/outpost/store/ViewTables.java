package io.outpost.store;

import static io.outpost.store.StoreLayout.quote;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.outpost.core.config.ViewDefinition;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * View tables and their registry. A view table is {@code views."<view>"}: {@code key} (the type of
 * the view SQL's key column), {@code doc jsonb}, {@code position pg_lsn} (the source position of
 * the document's last change), {@code updated_at}, one generated {@code jsonb} column with a
 * b-tree index per declared field ({@link StoreLayout#fieldColumn}), and a generated
 * {@code tsvector} with a GIN index over the search fields. {@code outpost_views} records each
 * view's definition hash, key type and state.
 */
public final class ViewTables {

    /** A view's state in the registry. */
    public enum State {
        /** Documents are maintained and may be served. */
        READY,
        /** Not built yet: a table its SQL reads has not appeared in the change log. */
        WAITING,
        /** The definition failed validation; {@code detail} says why. */
        INVALID
    }

    /** What the registry says about a view. */
    public record Registered(String name, String hash, String keyType, State state, String detail) {
    }

    private static final ObjectMapper JSON = new ObjectMapper();

    private ViewTables() {
    }

    /** A short hash of what a view's table depends on: key, SQL, fields, search and the table layout's version. */
    public static String hash(ViewDefinition view) {
        try {
            MessageDigest digest = MessageDigest.getInstance("SHA-256");
            for (String part : List.of(view.key(), view.sql().strip(), String.join(",", view.fields()),
                    String.join(",", view.search()), "layout " + StoreLayout.VIEW_LAYOUT_VERSION)) {
                digest.update(part.getBytes(StandardCharsets.UTF_8));
                digest.update((byte) 0);
            }
            return HexFormat.of().formatHex(digest.digest(), 0, 6);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Every registered view. */
    public static Map<String, Registered> registered(Connection c) throws SQLException {
        Map<String, Registered> views = new LinkedHashMap<>();
        try (Statement s = c.createStatement();
             ResultSet rs = s.executeQuery("SELECT name, hash, key_type, state, detail FROM public.outpost_views ORDER BY name")) {
            while (rs.next()) {
                views.put(rs.getString(1), new Registered(rs.getString(1), rs.getString(2), rs.getString(3),
                        State.valueOf(rs.getString(4)), rs.getString(5)));
            }
        }
        return views;
    }

    /** Records a view's hash, key type, state and detail. */
    public static void register(Connection c, ViewDefinition view, String keyType, State state, String detail)
            throws SQLException {
        try (PreparedStatement s = c.prepareStatement("""
                INSERT INTO public.outpost_views (name, hash, key_type, state, detail, fields, search, updated_at)
                VALUES (?, ?, ?, ?, ?, ?::jsonb, ?::jsonb, now())
                ON CONFLICT (name) DO UPDATE SET hash = EXCLUDED.hash, key_type = EXCLUDED.key_type,
                    state = EXCLUDED.state, detail = EXCLUDED.detail, fields = EXCLUDED.fields,
                    search = EXCLUDED.search, updated_at = EXCLUDED.updated_at""")) {
            s.setString(1, view.name());
            s.setString(2, hash(view));
            s.setString(3, keyType);
            s.setString(4, state.name());
            s.setString(5, detail);
            s.setString(6, json(view.fields()));
            s.setString(7, json(view.search()));
            s.executeUpdate();
        }
    }

    /** Removes a view from the registry (it is no longer configured). */
    public static void unregister(Connection c, String view) throws SQLException {
        try (PreparedStatement s = c.prepareStatement("DELETE FROM public.outpost_views WHERE name = ?")) {
            s.setString(1, view);
            s.executeUpdate();
        }
    }

    /**
     * Creates the table {@code views."<name>"} for {@code view}'s documents (not yet holding any).
     *
     * @param name    the table's name in schema {@code views}: the view's own, or a build's
     * @param keyType the SQL type of the view's key column
     */
    public static void create(Connection c, String name, ViewDefinition view, String keyType) throws SQLException {
        String table = StoreLayout.VIEWS_SCHEMA + "." + quote(name);
        List<String> columns = new ArrayList<>(List.of("key " + keyType + " PRIMARY KEY", "doc jsonb NOT NULL",
                "position pg_lsn NOT NULL", "updated_at timestamptz NOT NULL"));
        for (String field : view.fields()) {
            columns.add(quote(StoreLayout.fieldColumn(field)) + " jsonb GENERATED ALWAYS AS "
                    + StoreLayout.fieldExpression(field) + " STORED");
        }
        if (!view.search().isEmpty()) {
            List<String> texts = view.search().stream()
                    .map(f -> "coalesce(doc #>> '{" + f.replace('.', ',') + "}', '')").toList();
            columns.add(StoreLayout.SEARCH_COLUMN + " tsvector GENERATED ALWAYS AS (to_tsvector('simple'::regconfig, "
                    + String.join(" || ' ' || ", texts) + ")) STORED");
        }
        try (Statement s = c.createStatement()) {
            s.execute("CREATE SCHEMA IF NOT EXISTS " + StoreLayout.VIEWS_SCHEMA);
            s.execute("CREATE TABLE " + table + " (" + String.join(", ", columns) + ")");
            for (String field : view.fields()) {
                String column = StoreLayout.fieldColumn(field);
                s.execute("CREATE INDEX " + quote(name + "_" + column) + " ON " + table + " (" + quote(column) + ", key)");
            }
            if (!view.search().isEmpty()) {
                s.execute("CREATE INDEX " + quote(name + "_search") + " ON " + table + " USING gin (" + StoreLayout.SEARCH_COLUMN + ")");
            }
        }
    }

    /** Whether {@code views."<name>"} exists. */
    public static boolean exists(Connection c, String name) throws SQLException {
        try (PreparedStatement s = c.prepareStatement("SELECT to_regclass(?) IS NOT NULL")) {
            s.setString(1, StoreLayout.VIEWS_SCHEMA + "." + quote(name));
            try (ResultSet rs = s.executeQuery()) {
                rs.next();
                return rs.getBoolean(1);
            }
        }
    }

    /**
     * Replaces the view's table with the one built as {@code built}, in the caller's transaction:
     * readers see the old documents until it commits and the new ones after.
     */
    public static void swap(Connection c, String view, String built) throws SQLException {
        List<String> indexes = new ArrayList<>();
        try (PreparedStatement s = c.prepareStatement(
                "SELECT indexname FROM pg_indexes WHERE schemaname = ? AND tablename = ? ORDER BY indexname")) {
            s.setString(1, StoreLayout.VIEWS_SCHEMA);
            s.setString(2, built);
            try (ResultSet rs = s.executeQuery()) {
                while (rs.next()) {
                    indexes.add(rs.getString(1));
                }
            }
        }
        try (Statement s = c.createStatement()) {
            s.execute("DROP TABLE IF EXISTS " + StoreLayout.viewTable(view));
            s.execute("ALTER TABLE " + StoreLayout.VIEWS_SCHEMA + "." + quote(built) + " RENAME TO " + quote(view));
            // the indexes (and the key's constraint) take the view's name, so the next build can use the build's again
            for (String index : indexes) {
                if (index.startsWith(built + "_")) {
                    String renamed = view + index.substring(built.length());
                    if (index.equals(built + "_pkey")) {
                        s.execute("ALTER TABLE " + StoreLayout.viewTable(view) + " RENAME CONSTRAINT " + quote(index)
                                + " TO " + quote(renamed));
                    } else {
                        s.execute("ALTER INDEX " + StoreLayout.VIEWS_SCHEMA + "." + quote(index) + " RENAME TO " + quote(renamed));
                    }
                }
            }
        }
    }

    /** Drops {@code views."<name>"} if it exists. */
    public static void drop(Connection c, String name) throws SQLException {
        try (Statement s = c.createStatement()) {
            s.execute("DROP TABLE IF EXISTS " + StoreLayout.VIEWS_SCHEMA + "." + quote(name));
        }
    }

    private static String json(List<String> values) {
        try {
            return JSON.writeValueAsString(values);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }
}

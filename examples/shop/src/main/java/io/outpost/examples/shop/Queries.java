package io.outpost.examples.shop;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;

/**
 * The shop's own read side: documents built by PostgreSQL's JSON functions, so their shape (field
 * names, number and timestamp formats) is the one clients of the shop know.
 */
final class Queries {

    /** An order with its customer, lines and total. */
    static final String ORDER_DOCUMENT = """
            json_build_object(
                'id', o.id, 'status', o.status, 'placed_at', o.placed_at,
                'customer', json_build_object('id', c.id, 'name', c.name),
                'lines', coalesce((SELECT json_agg(json_build_object('sku', l.sku, 'qty', l.qty, 'unit_price', l.unit_price)
                                                   ORDER BY l.line_no)
                                   FROM order_lines l WHERE l.order_id = o.id), '[]'),
                'total', coalesce((SELECT sum(l.qty * l.unit_price) FROM order_lines l WHERE l.order_id = o.id), 0)
            )::text""";
    static final String PRODUCT_DOCUMENT =
            "json_build_object('id', p.id, 'sku', p.sku, 'name', p.name, 'price', p.price, 'stock', p.stock)::text";
    static final String CUSTOMER_DOCUMENT =
            "json_build_object('id', c.id, 'name', c.name, 'email', c.email)::text";

    private Queries() {
    }

    static String order(Connection c, long id) throws SQLException {
        return one(c, "SELECT " + ORDER_DOCUMENT + " FROM orders o JOIN customers c ON c.id = o.customer_id WHERE o.id = ?",
                id, "order");
    }

    static String product(Connection c, long id) throws SQLException {
        return one(c, "SELECT " + PRODUCT_DOCUMENT + " FROM products p WHERE p.id = ?", id, "product");
    }

    static String customer(Connection c, long id) throws SQLException {
        return one(c, "SELECT " + CUSTOMER_DOCUMENT + " FROM customers c WHERE c.id = ?", id, "customer");
    }

    /** A page of orders, oldest first, optionally of one customer and/or in one status. */
    static Page orders(Connection c, Long customerId, String status, long after, int limit) throws SQLException {
        var sql = new StringBuilder("SELECT o.id, " + ORDER_DOCUMENT
                + " FROM orders o JOIN customers c ON c.id = o.customer_id WHERE o.id > ?");
        List<Object> args = new ArrayList<>(List.of(after));
        if (customerId != null) {
            sql.append(" AND o.customer_id = ?");
            args.add(customerId);
        }
        if (status != null) {
            sql.append(" AND o.status = ?");
            args.add(status);
        }
        sql.append(" ORDER BY o.id LIMIT ?");
        args.add(limit + 1);
        return page(c, sql.toString(), args, limit);
    }

    /** A page of products whose name contains {@code text} (case-insensitive). */
    static Page searchProducts(Connection c, String text, long after, int limit) throws SQLException {
        String pattern = "%" + text.toLowerCase(java.util.Locale.ROOT)
                .replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%";
        return page(c, "SELECT p.id, " + PRODUCT_DOCUMENT + " FROM products p WHERE lower(p.name) LIKE ? AND p.id > ?"
                + " ORDER BY p.id LIMIT ?", List.of(pattern, after, limit + 1), limit);
    }

    /** Documents in key order; {@code nextAfter} is the key to continue from, or null at the end. */
    record Page(List<String> documents, Long nextAfter) {

        String json(String nextPath) {
            var out = new StringBuilder("{\"items\":[");
            for (int i = 0; i < documents.size(); i++) {
                out.append(i == 0 ? "" : ",").append(documents.get(i));
            }
            out.append("],\"next\":");
            out.append(nextAfter == null ? "null" : "\"" + nextPath + nextAfter + "\"");
            return out.append('}').toString();
        }
    }

    private static Page page(Connection c, String sql, List<Object> args, int limit) throws SQLException {
        try (PreparedStatement s = c.prepareStatement(sql)) {
            for (int i = 0; i < args.size(); i++) {
                s.setObject(i + 1, args.get(i));
            }
            List<String> documents = new ArrayList<>();
            Long last = null;
            boolean more = false;
            try (ResultSet rs = s.executeQuery()) {
                while (rs.next()) {
                    if (documents.size() == limit) {
                        more = true;
                        break;
                    }
                    last = rs.getLong(1);
                    documents.add(rs.getString(2));
                }
            }
            return new Page(documents, more ? last : null);
        }
    }

    private static String one(Connection c, String sql, long id, String what) throws SQLException {
        try (PreparedStatement s = c.prepareStatement(sql)) {
            s.setLong(1, id);
            try (ResultSet rs = s.executeQuery()) {
                if (!rs.next()) {
                    throw Problem.notFound(what, id);
                }
                return rs.getString(1);
            }
        }
    }
}

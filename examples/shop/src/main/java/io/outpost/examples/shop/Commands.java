package io.outpost.examples.shop;

import java.math.BigDecimal;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * The shop's commands. Each runs inside the caller's transaction on {@code c}; a {@link Problem}
 * thrown here rolls back whatever the command did.
 */
final class Commands {

    private static final Pattern EMAIL = Pattern.compile("[^@\\s]+@[^@\\s]+");
    private static final Pattern SKU = Pattern.compile("[A-Za-z0-9][A-Za-z0-9_-]{0,63}");
    private static final String UNIQUE_VIOLATION = "23505";

    private Commands() {
    }

    static Reply createCustomer(Connection c, Body body) throws SQLException {
        String name = body.text("name", 200);
        String email = email(body.text("email", 200));
        try (PreparedStatement s = c.prepareStatement(
                "INSERT INTO customers (name, email) VALUES (?, ?) RETURNING id")) {
            s.setString(1, name);
            s.setString(2, email);
            long id = returnedId(s);
            return Reply.created(Queries.customer(c, id), "/customers/" + id);
        } catch (SQLException e) {
            throw emailTaken(e, email);
        }
    }

    static Reply updateCustomer(Connection c, long id, Body body) throws SQLException {
        var name = body.optionalText("name", 200);
        var email = body.optionalText("email", 200).map(Commands::email);
        if (name.isEmpty() && email.isEmpty()) {
            throw Problem.badRequest("give at least one of 'name' and 'email'");
        }
        try (PreparedStatement s = c.prepareStatement("UPDATE customers SET name = coalesce(?, name), "
                + "email = coalesce(?, email), updated_at = now() WHERE id = ?")) {
            s.setString(1, name.orElse(null));
            s.setString(2, email.orElse(null));
            s.setLong(3, id);
            if (s.executeUpdate() == 0) {
                throw Problem.notFound("customer", id);
            }
        } catch (SQLException e) {
            throw emailTaken(e, email.orElse(""));
        }
        return Reply.ok(Queries.customer(c, id));
    }

    static Reply createProduct(Connection c, Body body) throws SQLException {
        String sku = body.text("sku", 64);
        if (!SKU.matcher(sku).matches()) {
            throw Problem.badRequest("'sku' must be letters, digits, '-' and '_', starting with a letter or digit, but was \"" + sku + "\"");
        }
        String name = body.text("name", 200);
        BigDecimal price = body.money("price");
        int stock = body.has("stock") ? body.integer("stock", 0, 1_000_000_000) : 0;
        try (PreparedStatement s = c.prepareStatement(
                "INSERT INTO products (sku, name, price, stock) VALUES (?, ?, ?, ?) RETURNING id")) {
            s.setString(1, sku);
            s.setString(2, name);
            s.setBigDecimal(3, price);
            s.setInt(4, stock);
            long id = returnedId(s);
            return Reply.created(Queries.product(c, id), "/products/" + id);
        } catch (SQLException e) {
            if (UNIQUE_VIOLATION.equals(e.getSQLState())) {
                throw Problem.conflict("sku-taken", "The SKU is taken", "a product with sku \"" + sku + "\" exists");
            }
            throw e;
        }
    }

    static Reply changePrice(Connection c, long id, Body body) throws SQLException {
        BigDecimal price = body.money("price");
        updateProduct(c, id, "UPDATE products SET price = ?, updated_at = now() WHERE id = ?", price);
        return Reply.ok(Queries.product(c, id));
    }

    static Reply restock(Connection c, long id, Body body) throws SQLException {
        int quantity = body.integer("quantity", 1, 1_000_000);
        updateProduct(c, id, "UPDATE products SET stock = stock + ?, updated_at = now() WHERE id = ?", quantity);
        return Reply.ok(Queries.product(c, id));
    }

    private record Line(int lineNo, long productId, int qty) {
    }

    /**
     * Places an order: checks the customer, takes each line's quantity from stock and records the
     * price of the moment, all in one transaction. Stock is taken by a conditional UPDATE, so
     * concurrent orders can never oversell; products are updated in id order so that concurrent
     * orders lock them in the same order and cannot deadlock.
     */
    static Reply placeOrder(Connection c, Body body) throws SQLException {
        long customerId = body.id("customer_id");
        List<Line> lines = new ArrayList<>();
        List<Body> items = body.objects("lines", 1, 100, Set.of("product_id", "qty"));
        for (int i = 0; i < items.size(); i++) {
            lines.add(new Line(i + 1, items.get(i).id("product_id"), items.get(i).integer("qty", 1, 10_000)));
        }
        if (!exists(c, "SELECT 1 FROM customers WHERE id = ?", customerId)) {
            throw Problem.unknownReference("customer " + customerId + " does not exist");
        }
        long orderId;
        try (PreparedStatement s = c.prepareStatement(
                "INSERT INTO orders (customer_id, status) VALUES (?, 'PLACED') RETURNING id")) {
            s.setLong(1, customerId);
            orderId = returnedId(s);
        }
        try (PreparedStatement take = c.prepareStatement("UPDATE products SET stock = stock - ?, updated_at = now() "
                + "WHERE id = ? AND stock >= ? RETURNING sku, price");
             PreparedStatement insert = c.prepareStatement("INSERT INTO order_lines "
                     + "(order_id, line_no, product_id, sku, qty, unit_price) VALUES (?, ?, ?, ?, ?, ?)")) {
            for (Line line : lines.stream().sorted(Comparator.comparingLong(Line::productId)).toList()) {
                take.setInt(1, line.qty());
                take.setLong(2, line.productId());
                take.setInt(3, line.qty());
                try (ResultSet rs = take.executeQuery()) {
                    if (!rs.next()) {
                        throw stockProblem(c, line);
                    }
                    insert.setLong(1, orderId);
                    insert.setInt(2, line.lineNo());
                    insert.setLong(3, line.productId());
                    insert.setString(4, rs.getString(1));
                    insert.setInt(5, line.qty());
                    insert.setBigDecimal(6, rs.getBigDecimal(2));
                    insert.addBatch();
                }
            }
            insert.executeBatch();
        }
        return Reply.created(Queries.order(c, orderId), "/orders/" + orderId);
    }

    static Reply pay(Connection c, long id) throws SQLException {
        return transition(c, id, Set.of("PLACED"), "PAID", "paid");
    }

    static Reply ship(Connection c, long id) throws SQLException {
        return transition(c, id, Set.of("PAID"), "SHIPPED", "shipped");
    }

    /** Cancels a placed or paid order and puts its quantities back in stock. */
    static Reply cancel(Connection c, long id) throws SQLException {
        transition(c, id, Set.of("PLACED", "PAID"), "CANCELLED", "cancelled");
        try (PreparedStatement s = c.prepareStatement("UPDATE products p SET stock = p.stock + l.qty, updated_at = now() "
                + "FROM (SELECT product_id, sum(qty) AS qty FROM order_lines WHERE order_id = ? GROUP BY product_id) l "
                + "WHERE p.id = l.product_id")) {
            s.setLong(1, id);
            s.executeUpdate();
        }
        return Reply.ok(Queries.order(c, id));
    }

    private static Reply transition(Connection c, long id, Set<String> from, String to, String verb) throws SQLException {
        String status;
        try (PreparedStatement s = c.prepareStatement("SELECT status FROM orders WHERE id = ? FOR UPDATE")) {
            s.setLong(1, id);
            try (ResultSet rs = s.executeQuery()) {
                if (!rs.next()) {
                    throw Problem.notFound("order", id);
                }
                status = rs.getString(1);
            }
        }
        if (!from.contains(status)) {
            throw Problem.conflict("invalid-transition", "The order is not in a state that allows this",
                    "order " + id + " is " + status + "; only " + String.join(" or ", from.stream().sorted().toList())
                            + " orders can be " + verb);
        }
        try (PreparedStatement s = c.prepareStatement("UPDATE orders SET status = ?, updated_at = now() WHERE id = ?")) {
            s.setString(1, to);
            s.setLong(2, id);
            s.executeUpdate();
        }
        return Reply.ok(Queries.order(c, id));
    }

    private static Problem stockProblem(Connection c, Line line) throws SQLException {
        try (PreparedStatement s = c.prepareStatement("SELECT sku, stock FROM products WHERE id = ?")) {
            s.setLong(1, line.productId());
            try (ResultSet rs = s.executeQuery()) {
                if (!rs.next()) {
                    return Problem.unknownReference("line " + line.lineNo() + ": product " + line.productId()
                            + " does not exist");
                }
                return Problem.conflict("insufficient-stock", "Not enough stock",
                        "line " + line.lineNo() + ": product " + line.productId() + " (" + rs.getString(1) + ") has "
                                + rs.getInt(2) + " in stock, " + line.qty() + " requested");
            }
        }
    }

    private static void updateProduct(Connection c, long id, String sql, Object value) throws SQLException {
        try (PreparedStatement s = c.prepareStatement(sql)) {
            s.setObject(1, value);
            s.setLong(2, id);
            if (s.executeUpdate() == 0) {
                throw Problem.notFound("product", id);
            }
        }
    }

    private static String email(String email) {
        if (!EMAIL.matcher(email).matches()) {
            throw Problem.badRequest("'email' must be an address like ada@example.com, but was \"" + email + "\"");
        }
        return email.toLowerCase(java.util.Locale.ROOT);
    }

    /** A duplicate email becomes a 409; any other failure stays what it is. */
    private static SQLException emailTaken(SQLException e, String email) {
        if (UNIQUE_VIOLATION.equals(e.getSQLState())) {
            throw Problem.conflict("email-taken", "The email address is taken",
                    "a customer with email \"" + email + "\" exists");
        }
        return e;
    }

    private static boolean exists(Connection c, String sql, long id) throws SQLException {
        try (PreparedStatement s = c.prepareStatement(sql)) {
            s.setLong(1, id);
            try (ResultSet rs = s.executeQuery()) {
                return rs.next();
            }
        }
    }

    private static long returnedId(PreparedStatement s) throws SQLException {
        try (ResultSet rs = s.executeQuery()) {
            rs.next();
            return rs.getLong(1);
        }
    }
}

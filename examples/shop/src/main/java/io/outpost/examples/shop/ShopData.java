package io.outpost.examples.shop;

import java.math.BigDecimal;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Random;
import java.util.Set;
import javax.sql.DataSource;

/**
 * A plausible, deterministic dataset for demos and benchmarks: customers, products and orders in
 * every status, with stock that agrees with the orders (cancelled orders gave theirs back).
 */
public final class ShopData {

    private static final String[] FIRST = {"Ada", "Grace", "Alan", "Edsger", "Barbara", "Donald", "Margaret", "Ken",
        "Frances", "Dennis", "Radia", "Linus", "Hedy", "John", "Katherine", "Tim", "Sophie", "Niklaus", "Lynn", "Guido"};
    private static final String[] LAST = {"Lovelace", "Hopper", "Turing", "Dijkstra", "Liskov", "Knuth", "Hamilton",
        "Thompson", "Allen", "Ritchie", "Perlman", "Torvalds", "Lamarr", "Backus", "Johnson", "Berners-Lee", "Wilson",
        "Wirth", "Conway", "van Rossum"};
    private static final String[] ADJECTIVE = {"Blue", "Sturdy", "Compact", "Vintage", "Quiet", "Bright", "Smart",
        "Classic", "Rugged", "Tiny", "Golden", "Silver", "Electric", "Wooden", "Folding", "Travel", "Deluxe", "Eco",
        "Heavy-duty", "Portable"};
    private static final String[] NOUN = {"Kettle", "Lamp", "Backpack", "Notebook", "Headphones", "Mug", "Chair",
        "Keyboard", "Umbrella", "Bicycle Bell", "Teapot", "Blanket", "Desk", "Speaker", "Camera", "Watch", "Scarf",
        "Toolbox", "Clock", "Pen"};
    private static final String[] STATUSES = {"PLACED", "PLACED", "PLACED", "PLACED", "PAID", "PAID", "PAID",
        "SHIPPED", "SHIPPED", "CANCELLED"};

    private ShopData() {
    }

    /** What {@link #seed} wrote. */
    public record Counts(int customers, int products, int orders, int lines) {
    }

    /**
     * Fills an empty shop in one transaction; does nothing (and returns zeros) when it has customers.
     *
     * @param seed makes the dataset repeatable
     */
    public static Counts seed(DataSource dataSource, int customers, int products, int orders, long seed)
            throws SQLException {
        Random random = new Random(seed);
        try (Connection c = dataSource.getConnection()) {
            c.setAutoCommit(false);
            try (Statement s = c.createStatement(); ResultSet rs = s.executeQuery("SELECT count(*) FROM customers")) {
                rs.next();
                if (rs.getLong(1) > 0) {
                    c.rollback();
                    return new Counts(0, 0, 0, 0);
                }
            }
            List<Long> customerIds = new ArrayList<>();
            try (PreparedStatement s = c.prepareStatement("INSERT INTO customers (name, email) VALUES (?, ?) RETURNING id")) {
                for (int i = 0; i < customers; i++) {
                    String first = FIRST[random.nextInt(FIRST.length)];
                    String last = LAST[random.nextInt(LAST.length)];
                    s.setString(1, first + " " + last);
                    s.setString(2, (first + "." + last).toLowerCase(java.util.Locale.ROOT).replace(' ', '-') + "." + (i + 1)
                            + "@example.com");
                    customerIds.add(returnedId(s));
                }
            }
            List<long[]> productRows = new ArrayList<>(); // id, stock, price in cents
            List<String> skus = new ArrayList<>();
            try (PreparedStatement s = c.prepareStatement(
                    "INSERT INTO products (sku, name, price, stock) VALUES (?, ?, ?, ?) RETURNING id")) {
                for (int i = 0; i < products; i++) {
                    String sku = String.format("SKU-%04d", i + 1);
                    long cents = 100 + random.nextInt(19_900);
                    int stock = 50 + random.nextInt(451);
                    s.setString(1, sku);
                    s.setString(2, ADJECTIVE[random.nextInt(ADJECTIVE.length)] + " " + NOUN[random.nextInt(NOUN.length)]);
                    s.setBigDecimal(3, BigDecimal.valueOf(cents, 2));
                    s.setInt(4, stock);
                    productRows.add(new long[] {returnedId(s), stock, cents});
                    skus.add(sku);
                }
            }
            int lines = 0;
            try (PreparedStatement order = c.prepareStatement("INSERT INTO orders (customer_id, status, placed_at) "
                    + "VALUES (?, ?, now() - make_interval(secs => ?)) RETURNING id");
                 PreparedStatement line = c.prepareStatement("INSERT INTO order_lines "
                         + "(order_id, line_no, product_id, sku, qty, unit_price) VALUES (?, ?, ?, ?, ?, ?)")) {
                for (int i = 0; i < orders; i++) {
                    String status = STATUSES[random.nextInt(STATUSES.length)];
                    order.setLong(1, customerIds.get(random.nextInt(customerIds.size())));
                    order.setString(2, status);
                    order.setInt(3, random.nextInt(90 * 24 * 3600));
                    long orderId = returnedId(order);
                    Set<Integer> picked = new LinkedHashSet<>();
                    int wanted = 1 + random.nextInt(Math.min(4, productRows.size())); // never more lines than products
                    while (picked.size() < wanted) {
                        picked.add(random.nextInt(productRows.size()));
                    }
                    int lineNo = 0;
                    for (int p : picked) {
                        long[] product = productRows.get(p);
                        int qty = 1 + random.nextInt(3);
                        if (!status.equals("CANCELLED")) {
                            if (product[1] < qty) {
                                continue;
                            }
                            product[1] -= qty;
                        }
                        line.setLong(1, orderId);
                        line.setInt(2, ++lineNo);
                        line.setLong(3, product[0]);
                        line.setString(4, skus.get(p));
                        line.setInt(5, qty);
                        line.setBigDecimal(6, BigDecimal.valueOf(product[2], 2));
                        line.addBatch();
                        lines++;
                    }
                }
                line.executeBatch();
            }
            try (PreparedStatement s = c.prepareStatement("UPDATE products SET stock = ? WHERE id = ?")) {
                for (long[] product : productRows) {
                    s.setLong(1, product[1]);
                    s.setLong(2, product[0]);
                    s.addBatch();
                }
                s.executeBatch();
            }
            c.commit();
            return new Counts(customers, products, orders, lines);
        }
    }

    private static long returnedId(PreparedStatement s) throws SQLException {
        try (ResultSet rs = s.executeQuery()) {
            rs.next();
            return rs.getLong(1);
        }
    }
}

package io.outpost.it.harness;

import java.math.BigDecimal;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.TreeSet;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A randomized shop workload, straight on the shop's database, one source transaction per
 * operation: orders placed (an order, its lines and the stock they take), paid, cancelled (stock
 * given back), price changes, customer renames, and stock moved between products. Stock plus the
 * quantities of orders that are not cancelled stays constant, so a reader can tell a partly
 * applied transaction from a whole one.
 */
public final class ShopWorkload {

    /** How many transactions of each kind committed. */
    public record Counts(long placed, long paid, long cancelled, long repriced, long renamed, long moved) {

        public long total() {
            return placed + paid + cancelled + repriced + renamed + moved;
        }
    }

    private final String jdbcUrl;
    private final long seed;
    private final AtomicLong placed = new AtomicLong();
    private final AtomicLong paid = new AtomicLong();
    private final AtomicLong cancelled = new AtomicLong();
    private final AtomicLong repriced = new AtomicLong();
    private final AtomicLong renamed = new AtomicLong();
    private final AtomicLong moved = new AtomicLong();
    private volatile String extraCustomerColumn;

    /** @param jdbcUrl the shop's database, with credentials in the URL */
    public ShopWorkload(String jdbcUrl, long seed) {
        this.jdbcUrl = jdbcUrl;
        this.seed = seed;
    }

    /** From now on, renames also set this (text) column of customers. */
    public void alsoSet(String customerColumn) {
        this.extraCustomerColumn = customerColumn;
    }

    public Counts counts() {
        return new Counts(placed.get(), paid.get(), cancelled.get(), repriced.get(), renamed.get(), moved.get());
    }

    /** The invariant: stock plus quantities of orders that are not cancelled. */
    public static final String STOCK_INVARIANT = "SELECT (SELECT coalesce(sum(stock), 0) FROM products) + "
            + "(SELECT coalesce(sum(l.qty), 0) FROM order_lines l JOIN orders o ON o.id = l.order_id "
            + "WHERE o.status <> 'CANCELLED')";

    /**
     * Runs {@code transactions} transactions on {@code threads} connections, then returns.
     *
     * @param afterEach called with the number committed so far, after each commit (for chaos at given points)
     */
    public void run(int threads, long transactions, java.util.function.LongConsumer afterEach) throws InterruptedException {
        AtomicLong committed = new AtomicLong();
        List<Thread> workers = new ArrayList<>();
        List<Throwable> failures = java.util.Collections.synchronizedList(new ArrayList<>());
        for (int t = 0; t < threads; t++) {
            Random random = new Random(seed * 31 + t);
            Thread worker = new Thread(() -> {
                try (Connection c = DriverManager.getConnection(jdbcUrl)) {
                    c.setAutoCommit(false);
                    long[] bounds = bounds(c);
                    while (committed.get() < transactions) {
                        if (one(c, random, bounds)) {
                            afterEach.accept(committed.incrementAndGet());
                        }
                    }
                } catch (SQLException | RuntimeException e) {
                    failures.add(e);
                }
            }, "shop-workload-" + t);
            worker.start();
            workers.add(worker);
        }
        for (Thread worker : workers) {
            worker.join();
        }
        if (!failures.isEmpty()) {
            throw new IllegalStateException("the workload failed: " + failures.getFirst(), failures.getFirst());
        }
    }

    /** min/max of customer and product ids. */
    private static long[] bounds(Connection c) throws SQLException {
        try (PreparedStatement s = c.prepareStatement(
                "SELECT (SELECT min(id) FROM customers), (SELECT max(id) FROM customers), "
                        + "(SELECT min(id) FROM products), (SELECT max(id) FROM products)");
             ResultSet rs = s.executeQuery()) {
            rs.next();
            long[] bounds = {rs.getLong(1), rs.getLong(2), rs.getLong(3), rs.getLong(4)};
            c.commit();
            return bounds;
        }
    }

    /** One transaction; false when it had nothing to do or lost a deadlock (rolled back, not counted). */
    private boolean one(Connection c, Random random, long[] bounds) throws SQLException {
        int dice = random.nextInt(100);
        try {
            boolean done;
            if (dice < 40) {
                done = place(c, random, bounds);
            } else if (dice < 55) {
                done = setStatus(c, random, "PLACED", "PAID", paid);
            } else if (dice < 65) {
                done = cancel(c, random);
            } else if (dice < 78) {
                done = reprice(c, random, bounds);
            } else if (dice < 90) {
                done = rename(c, random, bounds);
            } else {
                done = move(c, random, bounds);
            }
            if (done) {
                c.commit();
            } else {
                c.rollback();
            }
            return done;
        } catch (SQLException e) {
            c.rollback();
            if ("40P01".equals(e.getSQLState()) || "40001".equals(e.getSQLState())) {
                return false; // a deadlock between workers: the loser's transaction never happened
            }
            throw e;
        }
    }

    private static long between(Random random, long min, long max) {
        return min + (long) (random.nextDouble() * (max - min + 1));
    }

    private boolean place(Connection c, Random random, long[] bounds) throws SQLException {
        TreeSet<Long> products = new TreeSet<>(); // in id order: fewer deadlocks between workers
        int wanted = 1 + random.nextInt(3);
        while (products.size() < wanted) {
            products.add(between(random, bounds[2], bounds[3]));
        }
        long orderId;
        try (PreparedStatement s = c.prepareStatement(
                "INSERT INTO orders (customer_id, status) VALUES (?, 'PLACED') RETURNING id")) {
            s.setLong(1, between(random, bounds[0], bounds[1]));
            try (ResultSet rs = s.executeQuery()) {
                rs.next();
                orderId = rs.getLong(1);
            }
        }
        int line = 0;
        try (PreparedStatement take = c.prepareStatement(
                "UPDATE products SET stock = stock - ? WHERE id = ? AND stock >= ? RETURNING sku, price");
             PreparedStatement insert = c.prepareStatement("INSERT INTO order_lines "
                     + "(order_id, line_no, product_id, sku, qty, unit_price) VALUES (?, ?, ?, ?, ?, ?)")) {
            for (long product : products) {
                int qty = 1 + random.nextInt(3);
                take.setInt(1, qty);
                take.setLong(2, product);
                take.setInt(3, qty);
                try (ResultSet rs = take.executeQuery()) {
                    if (!rs.next()) {
                        continue; // out of stock
                    }
                    insert.setLong(1, orderId);
                    insert.setInt(2, ++line);
                    insert.setLong(3, product);
                    insert.setString(4, rs.getString(1));
                    insert.setInt(5, qty);
                    insert.setBigDecimal(6, rs.getBigDecimal(2));
                    insert.executeUpdate();
                }
            }
        }
        if (line == 0) {
            return false;
        }
        placed.incrementAndGet();
        return true;
    }

    private static Long someOrder(Connection c, Random random, String statuses) throws SQLException {
        try (PreparedStatement s = c.prepareStatement("SELECT id FROM orders WHERE status IN (" + statuses
                + ") AND id >= (SELECT min(id) + (max(id) - min(id)) * ? FROM orders) ORDER BY id LIMIT 1 FOR UPDATE")) {
            s.setDouble(1, random.nextDouble());
            try (ResultSet rs = s.executeQuery()) {
                return rs.next() ? rs.getLong(1) : null;
            }
        }
    }

    private boolean setStatus(Connection c, Random random, String from, String to, AtomicLong counter) throws SQLException {
        Long order = someOrder(c, random, "'" + from + "'");
        if (order == null) {
            return false;
        }
        try (PreparedStatement s = c.prepareStatement("UPDATE orders SET status = ?, updated_at = now() WHERE id = ?")) {
            s.setString(1, to);
            s.setLong(2, order);
            s.executeUpdate();
        }
        counter.incrementAndGet();
        return true;
    }

    private boolean cancel(Connection c, Random random) throws SQLException {
        Long order = someOrder(c, random, "'PLACED', 'PAID'");
        if (order == null) {
            return false;
        }
        try (PreparedStatement give = c.prepareStatement("UPDATE products p SET stock = p.stock + l.qty "
                + "FROM order_lines l WHERE l.order_id = ? AND p.id = l.product_id");
             PreparedStatement s = c.prepareStatement(
                     "UPDATE orders SET status = 'CANCELLED', updated_at = now() WHERE id = ?")) {
            give.setLong(1, order);
            give.executeUpdate();
            s.setLong(1, order);
            s.executeUpdate();
        }
        cancelled.incrementAndGet();
        return true;
    }

    private boolean reprice(Connection c, Random random, long[] bounds) throws SQLException {
        try (PreparedStatement s = c.prepareStatement("UPDATE products SET price = ?, updated_at = now() WHERE id = ?")) {
            s.setBigDecimal(1, BigDecimal.valueOf(100 + random.nextInt(19_900), 2));
            s.setLong(2, between(random, bounds[2], bounds[3]));
            if (s.executeUpdate() == 0) {
                return false;
            }
        }
        repriced.incrementAndGet();
        return true;
    }

    private boolean rename(Connection c, Random random, long[] bounds) throws SQLException {
        String column = extraCustomerColumn;
        String sql = "UPDATE customers SET name = ?, updated_at = now()"
                + (column == null ? "" : ", " + column + " = ?") + " WHERE id = ?";
        try (PreparedStatement s = c.prepareStatement(sql)) {
            s.setString(1, "Customer " + Long.toHexString(random.nextLong()));
            int i = 2;
            if (column != null) {
                s.setString(i++, random.nextBoolean() ? "gold" : "silver");
            }
            s.setLong(i, between(random, bounds[0], bounds[1]));
            if (s.executeUpdate() == 0) {
                return false;
            }
        }
        renamed.incrementAndGet();
        return true;
    }

    private boolean move(Connection c, Random random, long[] bounds) throws SQLException {
        long from = between(random, bounds[2], bounds[3]);
        long to = between(random, bounds[2], bounds[3]);
        if (from == to) {
            return false;
        }
        // lower id first: the same lock order as placements
        long first = Math.min(from, to);
        long second = Math.max(from, to);
        try (PreparedStatement s = c.prepareStatement(
                "UPDATE products SET stock = stock + CASE WHEN id = ? THEN -1 ELSE 1 END WHERE id = ? AND (id <> ? OR stock >= 1)")) {
            for (long id : new long[] {first, second}) {
                s.setLong(1, from);
                s.setLong(2, id);
                s.setLong(3, from);
                if (s.executeUpdate() == 0) {
                    return false;
                }
            }
        }
        moved.incrementAndGet();
        return true;
    }
}

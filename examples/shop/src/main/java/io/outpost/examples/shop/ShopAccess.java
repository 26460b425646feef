package io.outpost.examples.shop;

import io.javalin.http.Context;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;

/**
 * Who may do what in the shop, by the caller {@link ShopAuth} verified: staff everything; a customer
 * its own record and orders, and orders placed for itself; what a caller may not see is answered as
 * if it did not exist (404). Without a {@link ShopAuth} everyone may do everything.
 */
final class ShopAccess {

    /** null: the shop checks nobody. */
    private final ShopAuth auth;

    ShopAccess(ShopAuth auth) {
        this.auth = auth;
    }

    /**
     * The verified caller; null when the shop checks nobody.
     *
     * @throws Problem 401 without a valid token
     */
    ShopAuth.Caller caller(Context ctx) {
        return auth == null ? null : auth.caller(ctx.header("Authorization"));
    }

    /** Refuses a caller that is not staff (403). */
    void staff(Context ctx) {
        ShopAuth.Caller caller = caller(ctx);
        if (caller != null && !caller.staff()) {
            throw new Problem(403, "forbidden", "Not allowed", "only staff may do this");
        }
    }

    /** Refuses a caller that is neither staff nor customer {@code id}: as if there were no such customer. */
    void customer(Context ctx, long id) {
        ShopAuth.Caller caller = caller(ctx);
        if (caller != null && !caller.staff() && !caller.isCustomer(id)) {
            throw Problem.notFound("customer", id);
        }
    }

    /** Refuses a customer placing an order for another (403). */
    void placing(Context ctx, long customerId) {
        ShopAuth.Caller caller = caller(ctx);
        if (caller != null && !caller.staff() && !caller.isCustomer(customerId)) {
            throw new Problem(403, "forbidden", "Not allowed", "a customer places orders for itself only");
        }
    }

    /** Refuses a caller that is neither staff nor the order's customer: as if there were no such order. */
    void order(Context ctx, Connection c, long id) throws SQLException {
        ShopAuth.Caller caller = caller(ctx);
        if (caller == null || caller.staff()) {
            return;
        }
        try (PreparedStatement s = c.prepareStatement("SELECT customer_id FROM orders WHERE id = ?")) {
            s.setLong(1, id);
            try (ResultSet rs = s.executeQuery()) {
                if (!rs.next() || !caller.isCustomer(rs.getLong(1))) {
                    throw Problem.notFound("order", id);
                }
            }
        }
    }

    /**
     * The customer whose orders a listing shows: the one asked for ({@code null}: all) for staff; for
     * a customer its own, and 403 when it asked for another's.
     */
    Long listing(Context ctx, Long asked) {
        ShopAuth.Caller caller = caller(ctx);
        if (caller == null || caller.staff()) {
            return asked;
        }
        long own;
        try {
            own = Long.parseLong(caller.subject());
        } catch (NumberFormatException e) {
            throw new Problem(403, "forbidden", "Not allowed", "the caller is neither staff nor a customer");
        }
        if (asked != null && asked != own) {
            throw new Problem(403, "forbidden", "Not allowed", "a customer lists its own orders only");
        }
        return own;
    }
}

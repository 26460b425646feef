package io.outpost.examples.shop;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import io.javalin.Javalin;
import io.javalin.config.RoutesConfig;
import io.javalin.http.Context;
import io.javalin.http.HttpResponseException;
import io.outpost.examples.shop.CommandTransactions.Command;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.Locale;
import java.util.Objects;
import java.util.Set;
import javax.sql.DataSource;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The example shop: a small transactional monolith with an HTTP API over PostgreSQL. It knows
 * nothing of Outpost; Outpost puts regions in front of it.
 *
 * <p>Commands (POST, PATCH) run in one database transaction each and honour {@code Idempotency-Key}:
 * the same key with the same request returns the first response and has no second effect; the
 * same key with a different request is a 422. Keys are the caller's own (by its token's subject).
 *
 * <p>With {@link ShopAuth} (as the demo runs it) every request but products and health needs a bearer
 * token: customers read and change their own orders and record, staff everything; what a caller
 * may not see is a 404, as if it did not exist. Errors are {@code application/problem+json}.
 */
public final class ShopServer implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(ShopServer.class);
    /** Largest accepted request body. */
    public static final int MAX_BODY_BYTES = 64 * 1024;
    private static final Set<String> STATUSES = Set.of("PLACED", "PAID", "SHIPPED", "CANCELLED");
    private static final int MAX_ATTEMPTS = 3;

    private final HikariDataSource dataSource;
    private final Javalin app;
    private final ShopAccess access;
    private final boolean witnessingKeys;
    private final CommandTransactions transactions;

    /**
     * Where the shop's database is and where it listens.
     *
     * @param port 0 picks a free port
     */
    public record Settings(String jdbcUrl, String user, String password, String host, int port, ShopAuth auth,
                           boolean witnessingKeys) {

        public Settings {
            Objects.requireNonNull(jdbcUrl, "jdbcUrl");
            Objects.requireNonNull(host, "host");
            if (port < 0 || port > 65535) {
                throw new IllegalArgumentException("port must be from 0 to 65535, but was " + port);
            }
        }

        /** A shop that lets anyone do anything (no {@link ShopAuth}). */
        public Settings(String jdbcUrl, String user, String password, String host, int port) {
            this(jdbcUrl, user, password, host, port, null, false);
        }

        /** The same shop, checking every caller with {@code auth}. */
        public Settings withAuth(ShopAuth auth) {
            return new Settings(jdbcUrl, user, password, host, port, auth, witnessingKeys);
        }

        /**
         * The same shop, witnessing {@code Idempotency-Key}s instead of honouring them: every command runs,
         * a repeated key included, and leaves a row in {@code commands_witnessed} (key, method and path,
         * status) in its own transaction — for chaos tests that count how often Outpost let a key through,
         * so that they test Outpost's idempotency ledger rather than the shop's.
         */
        public Settings withKeysWitnessed() {
            return new Settings(jdbcUrl, user, password, host, port, auth, true);
        }
    }

    private ShopServer(HikariDataSource dataSource, Settings settings) {
        this.dataSource = dataSource;
        this.access = new ShopAccess(settings.auth());
        this.witnessingKeys = settings.witnessingKeys();
        this.transactions = new CommandTransactions(dataSource);
        this.app = Javalin.create(config -> {
            config.startup.showJavalinBanner = false;
            config.startup.showOldJavalinVersionWarning = false;
            config.concurrency.useVirtualThreads = true;
            config.http.maxRequestSize = MAX_BODY_BYTES;
            config.http.prefer405over404 = true;
            config.jetty.host = settings.host();
            config.jetty.port = settings.port();
            routes(config.routes);
        });
    }

    /** Migrates the database's schema, then starts serving. */
    public static ShopServer start(Settings settings) {
        HikariConfig pool = new HikariConfig();
        pool.setJdbcUrl(settings.jdbcUrl());
        pool.setUsername(settings.user());
        pool.setPassword(settings.password());
        pool.setMaximumPoolSize(16);
        pool.setPoolName("shop");
        pool.setInitializationFailTimeout(10_000);
        HikariDataSource dataSource;
        try {
            dataSource = new HikariDataSource(pool);
        } catch (RuntimeException e) {
            throw new IllegalStateException("the shop cannot reach its database at " + settings.jdbcUrl() + ": "
                    + rootMessage(e) + "; check --db, --user and --password", e);
        }
        try {
            Migrations.apply(dataSource);
            ShopServer shop = new ShopServer(dataSource, settings);
            shop.app.start();
            LOG.info("shop listening on http://{}:{}", settings.host(), shop.app.port());
            return shop;
        } catch (SQLException | RuntimeException e) {
            dataSource.close();
            throw new IllegalStateException("the shop did not start: " + rootMessage(e), e);
        }
    }

    /** The base URL, e.g. {@code http://localhost:8080}. */
    public String url() {
        return "http://localhost:" + app.port();
    }

    public int port() {
        return app.port();
    }

    /** The shop's connection pool (for seeding and for tests that look at the database). */
    public DataSource dataSource() {
        return dataSource;
    }

    @Override
    public void close() {
        app.stop();
        dataSource.close();
    }

    private void routes(RoutesConfig routes) {
        routes.get("/health", ctx -> ctx.json(java.util.Map.of("status", "UP")));
        // who the caller is, for Outpost's auth.mode: forward (401 without a valid credential)
        routes.get("/me", ctx -> {
            ShopAuth.Caller caller = access.caller(ctx);
            if (caller == null) {
                throw new Problem(404, "not-found", "Not found", "the shop checks no credentials, so nobody is signed in");
            }
            ctx.header("Cache-Control", "private, max-age=30");
            ctx.json(java.util.Map.of("sub", caller.subject(), "scope", String.join(" ", caller.scopes())));
        });

        routes.post("/customers", ctx -> command(ctx, Set.of("name", "email"), staffOnly(ctx, Commands::createCustomer)));
        routes.patch("/customers/{id}", ctx -> command(ctx, Set.of("name", "email"), (c, body) -> {
            access.customer(ctx, id(ctx));
            return Commands.updateCustomer(c, id(ctx), body);
        }));
        routes.get("/customers/{id}", ctx -> {
            access.customer(ctx, id(ctx));
            query(ctx, c -> Queries.customer(c, id(ctx)));
        });

        routes.post("/products", ctx -> command(ctx, Set.of("sku", "name", "price", "stock"),
                staffOnly(ctx, Commands::createProduct)));
        routes.post("/products/{id}/price", ctx -> command(ctx, Set.of("price"),
                staffOnly(ctx, (c, body) -> Commands.changePrice(c, id(ctx), body))));
        routes.post("/products/{id}/restock", ctx -> command(ctx, Set.of("quantity"),
                staffOnly(ctx, (c, body) -> Commands.restock(c, id(ctx), body))));
        routes.get("/products/{id}", ctx -> query(ctx, c -> Queries.product(c, id(ctx))));
        routes.get("/products", ctx -> {
            String q = ctx.queryParam("q");
            if (q == null || q.isBlank()) {
                throw Problem.badRequest("give the text to search for in product names as ?q=");
            }
            long after = longParam(ctx, "after", 0);
            int limit = limit(ctx);
            query(ctx, c -> Queries.searchProducts(c, q.strip(), after, limit)
                    .json("/products?q=" + java.net.URLEncoder.encode(q.strip(), StandardCharsets.UTF_8)
                            + "&limit=" + limit + "&after="));
        });

        routes.post("/orders", ctx -> command(ctx, Set.of("customer_id", "lines"), (c, body) -> {
            access.placing(ctx, body.id("customer_id"));
            return Commands.placeOrder(c, body);
        }));
        routes.post("/orders/{id}/pay", ctx -> command(ctx, Set.of(), (c, body) -> {
            access.order(ctx, c, id(ctx));
            return Commands.pay(c, id(ctx));
        }));
        routes.post("/orders/{id}/ship", ctx -> command(ctx, Set.of(), staffOnly(ctx, (c, body) -> Commands.ship(c, id(ctx)))));
        routes.post("/orders/{id}/cancel", ctx -> command(ctx, Set.of(), (c, body) -> {
            access.order(ctx, c, id(ctx));
            return Commands.cancel(c, id(ctx));
        }));
        routes.get("/orders/{id}", ctx -> query(ctx, c -> {
            access.order(ctx, c, id(ctx));
            return Queries.order(c, id(ctx));
        }));
        routes.get("/orders", ctx -> {
            Long forCustomer = access.listing(ctx, ctx.queryParam("customer_id") == null ? null
                    : longParam(ctx, "customer_id", 0));
            String status = ctx.queryParam("status");
            if (status != null && !STATUSES.contains(status.toUpperCase(Locale.ROOT))) {
                throw Problem.badRequest("'status' must be one of " + STATUSES.stream().sorted().toList()
                        + ", but was \"" + status + "\"");
            }
            String normalized = status == null ? null : status.toUpperCase(Locale.ROOT);
            long after = longParam(ctx, "after", 0);
            int limit = limit(ctx);
            String next = "/orders?" + (forCustomer == null ? "" : "customer_id=" + forCustomer + "&")
                    + (normalized == null ? "" : "status=" + normalized + "&") + "limit=" + limit + "&after=";
            query(ctx, c -> Queries.orders(c, forCustomer, normalized, after, limit).json(next));
        });

        routes.exception(Problem.class, (e, ctx) -> problem(ctx, e));
        routes.exception(HttpResponseException.class, (e, ctx) -> problem(ctx, fromHttp(e)));
        routes.exception(Exception.class, (e, ctx) -> {
            LOG.error("{} {} failed", ctx.method(), ctx.path(), e);
            problem(ctx, new Problem(500, "internal-error", "Internal error",
                    "the shop could not complete the request; it was not applied. Try again"));
        });
    }

    /** {@code command}, run only for staff. */
    private Command staffOnly(Context ctx, Command command) {
        return (c, body) -> {
            access.staff(ctx);
            return command.run(c, body);
        };
    }

    @FunctionalInterface
    private interface Query {
        String run(Connection c) throws SQLException;
    }

    private void query(Context ctx, Query query) throws SQLException {
        try (Connection c = dataSource.getConnection()) {
            ctx.contentType("application/json").result(query.run(c));
        }
    }

    /**
     * The key as the shop stores it: the caller's own, so that another caller sending the same key
     * never receives this one's answer. The caller is the subject of its verified token, so a retry
     * with a refreshed token is still the same caller's; where the shop checks no tokens, its
     * {@code Authorization} header as sent (a hash of it, never the credential); without either, the
     * key alone.
     */
    private String callersKey(Context ctx, String key) {
        ShopAuth.Caller caller = access.caller(ctx);
        if (caller != null) {
            return "subject:" + CommandTransactions.hash(caller.subject() + "\n", key.getBytes(StandardCharsets.UTF_8));
        }
        String authorization = ctx.header("Authorization");
        return authorization == null ? key
                : "caller:" + CommandTransactions.hash(authorization + "\n", key.getBytes(StandardCharsets.UTF_8));
    }

    /** Runs a command in one transaction, honouring Idempotency-Key, retrying on deadlock or serialization failure. */
    private void command(Context ctx, Set<String> fields, Command command) throws SQLException {
        byte[] raw = ctx.bodyAsBytes();
        if (raw.length > 0 || !fields.isEmpty()) {
            String type = ctx.contentType() == null ? "" : ctx.contentType().toLowerCase(Locale.ROOT);
            if (!type.startsWith("application/json")) {
                throw new Problem(415, "unsupported-media-type", "Unsupported media type",
                        "send the body as application/json, not " + (type.isEmpty() ? "without a Content-Type" : type));
            }
        }
        Body body = raw.length == 0 && fields.isEmpty() ? Body.parse("{}".getBytes(StandardCharsets.UTF_8), fields)
                : Body.parse(raw, fields);
        String key = ctx.header("Idempotency-Key");
        if (key != null && (key.isBlank() || key.length() > 255)) {
            throw Problem.badRequest("the Idempotency-Key header must be 1 to 255 characters long");
        }
        Reply reply = null;
        for (int attempt = 1; reply == null; attempt++) {
            try {
                reply = key == null ? transactions.once(command, body)
                        : witnessingKeys ? transactions.witnessed(ctx, key, command, body)
                        : transactions.idempotent(ctx, callersKey(ctx, key), raw, command, body);
            } catch (SQLException e) {
                boolean transientFailure = "40001".equals(e.getSQLState()) || "40P01".equals(e.getSQLState());
                if (!transientFailure || attempt == MAX_ATTEMPTS) {
                    throw e;
                }
                LOG.info("{} {}: {} (attempt {} of {}), trying again", ctx.method(), ctx.path(), e.getMessage(),
                        attempt, MAX_ATTEMPTS);
            }
        }
        send(ctx, reply);
    }

    private static void send(Context ctx, Reply reply) {
        if (reply.location() != null) {
            ctx.header("Location", reply.location());
        }
        ctx.status(reply.status()).contentType(reply.contentType()).result(reply.body());
    }

    private static void problem(Context ctx, Problem problem) {
        ctx.status(problem.status()).contentType(Problem.CONTENT_TYPE).result(problem.json(ctx.path()));
    }

    private static Problem fromHttp(HttpResponseException e) {
        return switch (e.getStatus()) {
            case 404 -> new Problem(404, "not-found", "Not found", e.getMessage());
            case 405 -> new Problem(405, "method-not-allowed", "Method not allowed", "this path does not take that method");
            case 413 -> new Problem(413, "body-too-large", "The body is too large",
                    "request bodies may be at most " + MAX_BODY_BYTES + " bytes");
            default -> new Problem(e.getStatus(), "http-" + e.getStatus(), e.getMessage(), e.getMessage());
        };
    }

    private static long id(Context ctx) {
        String raw = ctx.pathParam("id");
        try {
            long id = Long.parseLong(raw);
            if (id > 0) {
                return id;
            }
        } catch (NumberFormatException e) {
            // the problem below says what is wrong
        }
        throw Problem.badRequest("the id in the path must be a positive whole number, but was \"" + raw + "\"");
    }

    private static long longParam(Context ctx, String name, long fallback) {
        String raw = ctx.queryParam(name);
        if (raw == null) {
            return fallback;
        }
        try {
            long value = Long.parseLong(raw);
            if (value >= 0) {
                return value;
            }
        } catch (NumberFormatException e) {
            // the problem below says what is wrong
        }
        throw Problem.badRequest("'" + name + "' must be a whole number of 0 or more, but was \"" + raw + "\"");
    }

    private static int limit(Context ctx) {
        long limit = longParam(ctx, "limit", 20);
        if (limit < 1 || limit > 100) {
            throw Problem.badRequest("'limit' must be from 1 to 100, but was " + limit);
        }
        return (int) limit;
    }

    private static String rootMessage(Throwable e) {
        Throwable root = e;
        while (root.getCause() != null && root.getCause() != root) {
            root = root.getCause();
        }
        return root.getMessage() == null ? root.toString() : root.getMessage();
    }
}

package io.outpost.examples.shop;

import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** Runs the shop on its own: {@code java -jar shop.jar --db jdbc:postgresql://localhost/shop --port 8080}. */
@Command(name = "shop", mixinStandardHelpOptions = true, version = "shop 0.1",
        description = "The example shop monolith: an HTTP API over a PostgreSQL database.")
public final class ShopMain implements Callable<Integer> {

    @Option(names = "--db", required = true, paramLabel = "JDBC_URL",
            description = "The shop's database, e.g. jdbc:postgresql://localhost:5432/shop")
    String db;

    @Option(names = "--user", defaultValue = "${env:SHOP_DB_USER:-postgres}", description = "Database user (default: ${DEFAULT-VALUE}).")
    String user;

    @Option(names = "--password", defaultValue = "${env:SHOP_DB_PASSWORD:-}", description = "Database password (default: $SHOP_DB_PASSWORD).")
    String password;

    @Option(names = "--host", defaultValue = "localhost", description = "Interface to listen on (default: ${DEFAULT-VALUE}).")
    String host;

    @Option(names = "--port", defaultValue = "8080", description = "Port to listen on (default: ${DEFAULT-VALUE}).")
    int port;

    @Option(names = "--seed", description = "Fill an empty database with demo data (100 customers, 200 products, 1000 orders).")
    boolean seed;

    @Option(names = "--witness-keys", description = "Run every command, a repeated Idempotency-Key included, and record each "
            + "key in commands_witnessed (for chaos tests that count what Outpost let through).")
    boolean witnessKeys;

    @Override
    public Integer call() throws Exception {
        ShopServer.Settings settings = new ShopServer.Settings(db, user, password, host, port);
        try (ShopServer shop = ShopServer.start(witnessKeys ? settings.withKeysWitnessed() : settings)) {
            if (seed) {
                ShopData.Counts counts = ShopData.seed(shop.dataSource(), 100, 200, 1000, 42);
                System.out.println(counts.customers() == 0 ? "the database has data already; not seeding"
                        : "seeded " + counts);
            }
            System.out.println("shop ready on http://" + host + ":" + shop.port() + " (Ctrl-C stops it)");
            CountDownLatch stop = new CountDownLatch(1);
            Runtime.getRuntime().addShutdownHook(new Thread(stop::countDown));
            stop.await();
        } catch (IllegalStateException e) {
            System.err.println("shop: " + e.getMessage());
            return 1;
        }
        return 0;
    }

    public static void main(String[] args) {
        if (System.getProperty("logback.configurationFile") == null) {
            System.setProperty("logback.configurationFile", "shop-logback.xml");
        }
        System.exit(new CommandLine(new ShopMain()).execute(args));
    }
}

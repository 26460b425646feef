package io.outpost.server;

import io.outpost.runtime.Supervisor;
import io.outpost.capture.Capture;
import io.outpost.capture.CaptureSettings;
import io.outpost.control.RegionWatch;
import io.outpost.core.SourcePosition;
import io.outpost.gateway.Gateway;
import io.outpost.projector.Projector;
import io.outpost.projector.ProjectorSettings;
import io.outpost.core.config.OutpostConfig;
import io.outpost.embedded.EmbeddedKafka;
import io.outpost.embedded.EmbeddedPostgres;
import io.outpost.embedded.Ports;
import io.outpost.examples.shop.ShopData;
import io.outpost.examples.shop.ShopServer;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Everything {@code outpost demo} runs in one JVM: an embedded PostgreSQL (the monolith's database
 * and one store database per region), an in-process Kafka broker (the change log), the example
 * shop with a seeded dataset, capture of the shop's database into the change log, and three regions
 * (each a store database and a projector keeping its replicas and views). The demo
 * runs the example configuration ({@code examples/outpost-shop.yml}) with its own addresses filled
 * in, written to {@code <data-dir>/outpost.yml} so other commands can use it. Parts start in
 * dependency order and stop in reverse.
 *
 * <p>Design for what comes next: each part is an {@link AutoCloseable} pushed on {@link #parts};
 * capture, projectors, gateways and monitors join the same way, and the banner lists whatever
 * {@link #addresses()} holds.
 */
public final class Demo implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(Demo.class);

    /** What the demo starts with. */
    public record Options(Path dataDirectory, int shopPort, int customers, int products, int orders) {

        public static Options defaults(Path dataDirectory) {
            return new Options(dataDirectory, 8080, 100, 200, 1000);
        }

        public Options withShopPort(int port) {
            return new Options(dataDirectory, port, customers, products, orders);
        }
    }

    /** One line of the banner: what, and where. */
    public record Address(String what, String where) {
    }

    private final Parts parts = new Parts();
    private final Options options;
    private EmbeddedPostgres postgres;
    private EmbeddedKafka kafka;
    private ShopServer shop;
    private String shopJdbcUrl;
    private ExampleIds exampleIds;
    private Path configFile;
    private OutpostConfig config;
    private Capture capture;
    private final List<Projector> projectors = new java.util.ArrayList<>();
    private final Map<String, Gateway> gateways = new java.util.LinkedHashMap<>();
    private final Map<String, RegionWatch> watches = new LinkedHashMap<>();

    private Demo(Options options) {
        this.options = options;
    }

    /** Starts every part; on failure, stops what had started and rethrows. */
    public static Demo start(Options options) {
        Demo demo = new Demo(options);
        try {
            demo.startParts();
            return demo;
        } catch (RuntimeException e) {
            demo.close();
            throw e;
        }
    }

    private void startParts() {
        long started = System.nanoTime();
        // PostgreSQL and Kafka do not depend on each other: start both at once.
        var pg = CompletableFuture.supplyAsync(() -> EmbeddedPostgres.builder()
                .directory(options.dataDirectory().resolve("postgres")).start());
        var broker = CompletableFuture.supplyAsync(() -> EmbeddedKafka.builder()
                .directory(options.dataDirectory().resolve("kafka")).start());
        postgres = join(pg, broker);
        parts.push(postgres);
        kafka = join(broker, pg);
        parts.push(kafka);
        // the demo stops everything at exit itself, in reverse order: capture before the broker it writes to
        postgres.stopOnlyWhenClosed();
        kafka.stopOnlyWhenClosed();

        shopJdbcUrl = postgres.createDatabase("shop");
        int port = options.shopPort() == 0 || !portFree(options.shopPort()) ? 0 : options.shopPort();
        if (port != options.shopPort()) {
            LOG.info("port {} is taken; the shop takes a free port instead", options.shopPort());
        }
        shop = ShopServer.start(new ShopServer.Settings(shopJdbcUrl, EmbeddedPostgres.SUPERUSER, "", "localhost", port));
        parts.push(shop);
        try {
            ShopData.Counts counts = ShopData.seed(shop.dataSource(), options.customers(), options.products(),
                    options.orders(), 42);
            LOG.info("seeded the shop: {} customers, {} products, {} orders", counts.customers(), counts.products(),
                    counts.orders());
            exampleIds = ExampleIds.of(shop);
        } catch (SQLException e) {
            throw new IllegalStateException("could not seed the shop's database: " + e.getMessage(), e);
        }
        config = writeConfig();
        capture = Capture.start(CaptureSettings.of(config).withSpillDirectory(options.dataDirectory().resolve("spill")));
        parts.push(capture);
        awaitSnapshot();
        for (String region : config.regions().keySet()) {
            Projector projector = Projector.start(ProjectorSettings.of(config, region));
            parts.push(projector);
            projectors.add(projector);
        }
        awaitRegions();
        // each region's gateway (following its region's watch) and monitor, as `outpost run` starts them
        for (String region : config.regions().keySet()) {
            Deployment deployment = parts.push(Deployment.start(config, region,
                    EnumSet.of(Deployment.Role.GATEWAY, Deployment.Role.MONITOR)));
            gateways.put(region, deployment.gateway());
            watches.put(region, deployment.watch());
        }
        LOG.info("demo started in {} ms", (System.nanoTime() - started) / 1_000_000);
    }

    private static final Pattern REFERENCE = Pattern.compile("\\$\\{([A-Z_]+)(:-[^}]*)?}");

    /** The example configuration with this demo's addresses in place of its ${VAR:-default} references. */
    private OutpostConfig writeConfig() {
        Map<String, String> addresses = new java.util.HashMap<>(Map.of(
                "SHOP_DB_URL", shopJdbcUrl,
                "SHOP_URL", shop.url(),
                "KAFKA_BOOTSTRAP", kafka.bootstrapServers()));
        int preferredPort = 7001;
        for (String region : List.of("us_east", "eu_west", "ap_south")) {
            addresses.put("STORE_" + region.toUpperCase(java.util.Locale.ROOT) + "_URL",
                    postgres.createDatabase("store_" + region));
            // the configuration names every gateway's address (regions forward to each other): pick the ports now
            int port = portFree(preferredPort) ? preferredPort : Ports.free();
            addresses.put("GATEWAY_" + region.toUpperCase(java.util.Locale.ROOT) + "_URL", "http://localhost:" + port);
            preferredPort++;
        }
        String template;
        try (InputStream in = Demo.class.getResourceAsStream("outpost-shop.yml")) {
            template = new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException("the example configuration is missing from the jar", e);
        }
        Matcher m = REFERENCE.matcher(template);
        StringBuilder text = new StringBuilder();
        while (m.find()) {
            m.appendReplacement(text, Matcher.quoteReplacement(addresses.getOrDefault(m.group(1), m.group())));
        }
        m.appendTail(text);
        configFile = options.dataDirectory().resolve("outpost.yml");
        try {
            Files.writeString(configFile, text);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + configFile + ": " + e.getMessage(), e);
        }
        return OutpostConfig.parse(text.toString(), name -> null);
    }

    /** The seeded data is in the change log once capture has published its initial snapshot. */
    private void awaitSnapshot() {
        long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        while (capture.status().transactions() < 1) {
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException("capture did not publish the shop's initial snapshot within 60 s; "
                        + "see the log file for why");
            }
            try {
                Thread.sleep(50);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted while waiting for the initial snapshot", e);
            }
        }
        LOG.info("captured the shop's initial snapshot: {} rows in {}", capture.status().rows(), config.changesTopic());
    }

    /** Every region has applied the initial snapshot and built its views. */
    private void awaitRegions() {
        SourcePosition snapshot = capture.status().lastPosition();
        long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        for (Projector projector : projectors) {
            while (snapshot.isAfter(projector.status().watermark())) {
                if (projector.status().state() == Supervisor.State.FAILED || System.nanoTime() > deadline) {
                    throw new IllegalStateException("region " + projector.region() + " did not apply the initial snapshot"
                            + (projector.status().problem() == null ? " within 60 s" : ": " + projector.status().problem())
                            + "; see the log file for why");
                }
                try {
                    Thread.sleep(20);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new IllegalStateException("interrupted while waiting for the regions", e);
                }
            }
        }
        LOG.info("every region applied the initial snapshot at {}", snapshot);
    }

    /** One line: each region's effective state (as us-east's watch sees it), watermark, staleness and distance from the source. */
    public String statusLine() {
        List<RegionStatus> regions = RegionStatus.of(config, RegionStatus.sourcePosition(config), java.time.Instant.now());
        RegionWatch watch = watches.values().iterator().next();
        return "regions: " + String.join(" · ", regions.stream()
                .map(r -> r.compact(watch.state(r.region()))).toList());
    }

    /** Every address a user of the demo may want, in banner order. */
    public List<Address> addresses() {
        return List.of(
                new Address("monolith (example shop)", shop.url()),
                new Address("monolith's database", shopJdbcUrl),
                new Address("change log (Kafka)", kafka.bootstrapServers() + ", topic " + config.changesTopic()),
                new Address("region gateways", String.join(", ", gateways.entrySet().stream()
                        .map(g -> g.getKey() + " " + g.getValue().url()).toList())),
                new Address("region stores", String.join(", ", config.regions().values().stream()
                        .map(r -> r.name() + " " + r.store().url()).toList())),
                new Address("configuration", configFile.toString()),
                new Address("data directory", options.dataDirectory().toString()),
                new Address("log file", System.getProperty("outpost.log.file", "(console only)")));
    }

    /**
     * Requests that work against the seeded data: a query and a command at the monolith, watching
     * the change log and the regions, then read-your-writes across regions — an order placed through
     * eu-west's gateway (its headers kept in the data directory), read through ap-south's with the
     * token the command returned.
     */
    public List<String> exampleCommands() {
        String order = "-H 'Content-Type: application/json' -d '{\"customer_id\": " + exampleIds.customerId()
                + ", \"lines\": [{\"product_id\": " + exampleIds.productId() + ", \"qty\": 1}]}'";
        Path headers = options.dataDirectory().resolve("eu-west.headers");
        return List.of(
                "curl -s " + shop.url() + "/orders/" + exampleIds.orderId(),
                "curl -s -X POST " + shop.url() + "/orders " + order,
                "./outpost tail --config " + configFile + " --from-beginning",
                "./outpost status --config " + configFile,
                "curl -s -D " + headers + " -X POST " + gateways.get("eu-west").url() + "/orders " + order,
                "curl -s " + gateways.get("ap-south").url() + "/customers/" + exampleIds.customerId() + "/orders "
                        + "-H \"Outpost-Min-Token: $(awk 'tolower($1)==\"outpost-token:\" {print $2}' " + headers
                        + " | tr -d '\\r')\" -i");
    }

    /** The banner {@code outpost demo} prints once everything runs. */
    public String banner() {
        var text = new StringBuilder("\nOutpost demo is running\n\n");
        int width = addresses().stream().mapToInt(a -> a.what().length()).max().orElse(10) + 2;
        for (Address address : addresses()) {
            text.append("  ").append(String.format("%-" + width + "s", address.what())).append(address.where()).append('\n');
        }
        List<String> commands = exampleCommands();
        text.append("\nTry:\n");
        for (String command : commands.subList(0, 4)) {
            text.append("  ").append(command).append('\n');
        }
        text.append("\nRead your writes in another region: place an order through eu-west's gateway, then read the customer's\n"
                + "latest orders through ap-south's with the Outpost-Token it returned:\n");
        for (String command : commands.subList(4, commands.size())) {
            text.append("  ").append(command).append('\n');
        }
        text.append("\nPress Ctrl-C to stop everything.\n");
        return text.toString();
    }

    public ShopServer shop() {
        return shop;
    }

    public EmbeddedPostgres postgres() {
        return postgres;
    }

    public EmbeddedKafka kafka() {
        return kafka;
    }

    public Capture capture() {
        return capture;
    }

    public Map<String, Gateway> gateways() {
        return java.util.Collections.unmodifiableMap(gateways);
    }

    public List<Projector> projectors() {
        return List.copyOf(projectors);
    }

    public OutpostConfig config() {
        return config;
    }

    public Path configFile() {
        return configFile;
    }

    /** Stops every part, last started first. */
    @Override
    public void close() {
        parts.close();
    }

    /** Ids the example commands use: an order that exists, a customer and a product with stock. */
    private record ExampleIds(long orderId, long customerId, long productId) {

        static ExampleIds of(ShopServer shop) throws SQLException {
            try (Connection c = shop.dataSource().getConnection(); Statement s = c.createStatement();
                 ResultSet rs = s.executeQuery("SELECT (SELECT min(id) FROM orders), (SELECT min(id) FROM customers),"
                         + " (SELECT id FROM products ORDER BY stock DESC, id LIMIT 1)")) {
                rs.next();
                return new ExampleIds(rs.getLong(1), rs.getLong(2), rs.getLong(3));
            }
        }
    }

    /** Waits for {@code first}; when it failed, still waits for {@code other} and closes what it started. */
    private static <T> T join(CompletableFuture<T> first, CompletableFuture<? extends AutoCloseable> other) {
        try {
            return first.join();
        } catch (CompletionException e) {
            try {
                other.join().close();
            } catch (Exception ignored) {
                // the first failure is the one to report
            }
            throw e.getCause() instanceof RuntimeException r ? r : new IllegalStateException(e.getCause());
        }
    }

    private static boolean portFree(int port) {
        try (ServerSocket socket = new ServerSocket(port)) {
            socket.setReuseAddress(true);
            return true;
        } catch (IOException e) {
            return false;
        }
    }
}

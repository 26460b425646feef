package io.outpost.it.topology;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.outpost.core.config.OutpostConfig;
import io.outpost.embedded.EmbeddedKafka;
import io.outpost.embedded.EmbeddedPostgres;
import io.outpost.embedded.KafkaCluster;
import io.outpost.embedded.Ports;
import io.outpost.examples.shop.ShopData;
import io.outpost.it.fault.FaultProxy;
import io.outpost.it.harness.ExampleConfig;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The example deployment as separate OS processes on loopback, for chaos tests and benchmarks: the
 * example shop (the monolith) as a process of its own ({@code shop}) on its database, capture as an
 * {@code outpost run} process (and a standby in another process when asked), and each region of the example
 * configuration as one {@code outpost run} process with all its roles — as most deployments run a
 * region — or as one process per role. PostgreSQL (the source and the stores) is the shared
 * embedded server, Kafka the shared in-process broker or, when asked, a cluster of broker JVMs.
 *
 * <p>Every region's {@code gateway.url} — what monitors probe and other regions send commands and
 * forwarded queries to — is a {@link FaultProxy} in front of the gateway's port, so a test can
 * delay, cut or refuse a region's traffic; clients of the topology reach a gateway directly
 * ({@link #gatewayUrl}). Processes get small heaps and, unless a benchmark asks for full
 * compilation, C1 only: on two cores a handful of JVMs starve each other otherwise.
 */
public final class Topology implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(Topology.class);
    private static final ObjectMapper JSON = new ObjectMapper();
    /** How long a process may take to say it runs: on two cores a dozen JVMs start side by side. */
    private static final Duration START_TIMEOUT = Duration.ofSeconds(120);
    /** The roles of a region. */
    public static final List<String> REGION_ROLES = List.of("projector", "gateway", "monitor");

    /** How a region's roles are laid out in processes. */
    public enum Shape {
        /** One process per region with all its roles (named after the region). */
        REGION_PER_PROCESS,
        /** One process per role of a region (named {@code <region>-<role>}). */
        PROCESS_PER_ROLE
    }

    /** What a topology is made of; {@link #start} starts it. */
    public static final class Builder {

        private final String name;
        private Shape shape = Shape.REGION_PER_PROCESS;
        private String captureStandbyRegion;
        private boolean witnessingKeys = true;
        private String health = """
                health:
                  probe-interval: 500ms
                  probe-timeout: 500ms
                  failures-to-down: 3
                  successes-to-up: 2
                  observation-ttl: 5s
                """;
        private String heap = "320m";
        private boolean fullCompilation;
        private Duration commandTimeout = Duration.ofSeconds(10);
        private final List<String> webhooks = new ArrayList<>();
        private final java.util.Set<String> ownStoreServers = new java.util.HashSet<>();
        private int kafkaNodes;
        private boolean ownSourceServer;
        private boolean classDataArchives;
        private boolean jsonLogs;

        private Builder(String name) {
            this.name = name;
        }

        public Builder shape(Shape shape) {
            this.shape = shape;
            return this;
        }

        /** A second capture process, standing by for the first (process {@code capture-standby}). */
        public Builder captureStandby(String region) {
            this.captureStandbyRegion = region;
            return this;
        }

        /**
         * Whether the shop witnesses {@code Idempotency-Key}s instead of honouring them (default: it
         * witnesses, so a test counts what Outpost's own ledger let through).
         */
        public Builder witnessingKeys(boolean witnessing) {
            this.witnessingKeys = witnessing;
            return this;
        }

        /**
         * The {@code health:} section, as YAML; the default probes every 500 ms, each waiting up to
         * 500 ms, and counts a region DOWN after 3 failures in a row, UP after 2 successes.
         */
        public Builder health(String section) {
            this.health = section;
            return this;
        }

        /**
         * Gives {@code region}'s store a PostgreSQL server of its own ({@link Topology#storeServer}), as a
         * region has in a deployment, so a test can restart it without touching the source.
         */
        public Builder ownStoreServer(String region) {
            ownStoreServers.add(region);
            return this;
        }

        /**
         * Puts the change log on a Kafka cluster of {@code nodes} nodes, each a JVM of its own
         * ({@link Topology#kafkaCluster}), instead of the shared in-process broker; Outpost's topics
         * then keep one copy per node ({@code log.replication-factor}) and need all but one of them in
         * sync ({@code min-insync-replicas}'s default).
         */
        public Builder kafkaCluster(int nodes) {
            this.kafkaNodes = nodes;
            return this;
        }

        /**
         * Gives the monolith's database a PostgreSQL server of its own ({@link Topology#sourceServer}), as
         * it has in a deployment, so a test can crash and restart the source without the stores.
         */
        public Builder ownSourceServer() {
            this.ownSourceServer = true;
            return this;
        }

        /** An alarm webhook every gateway posts region-state changes to. */
        public Builder webhook(String url) {
            webhooks.add(url);
            return this;
        }

        /** Each process's largest heap ({@code -Xmx}), e.g. {@code 320m}. */
        public Builder heap(String heap) {
            this.heap = heap;
            return this;
        }

        /** Every {@code outpost run} process writes its log file as JSON lines ({@code --log-format json}). */
        public Builder jsonLogs() {
            this.jsonLogs = true;
            return this;
        }

        /**
         * Whether processes compile hot code fully (C2), as in production, instead of C1 only: a
         * benchmark wants the steady state a deployment has; a test wants quick starts on two cores.
         */
        public Builder fullCompilation(boolean full) {
            this.fullCompilation = full;
            return this;
        }

        /**
         * Gives each process a class-data archive of its own ({@code -XX:+AutoCreateSharedArchive}, as
         * {@code ./outpost run} keeps one): written when it stops cleanly, it spares its next start
         * about half its class loading.
         */
        public Builder classDataArchives(boolean archives) {
            this.classDataArchives = archives;
            return this;
        }

        /** {@code commands.timeout}. */
        public Builder commandTimeout(Duration timeout) {
            this.commandTimeout = timeout;
            return this;
        }

        /** Starts the shop, capture and every region, and waits until every gateway sees every region UP. */
        public Topology start() {
            Topology topology = new Topology(this);
            try {
                topology.startAll();
                return topology;
            } catch (RuntimeException e) {
                topology.close();
                throw e;
            }
        }
    }

    private final Builder options;
    private final Path directory;
    private final Map<String, FaultProxy> proxies = new LinkedHashMap<>();
    private final Map<String, Integer> gatewayPorts = new LinkedHashMap<>();
    private final Map<String, OutpostProcess> processes = new LinkedHashMap<>();
    private final Map<String, EmbeddedPostgres> storeServers = new LinkedHashMap<>();
    private KafkaCluster kafkaCluster;
    private EmbeddedPostgres sourceServer;
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
    private String shopDb;
    private String shopUrl;
    private OutpostConfig config;
    private Path configFile;

    private Topology(Builder options) {
        this.options = options;
        try {
            this.directory = Files.createDirectories(Path.of("target", "topology", options.name)).toAbsolutePath();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public static Builder builder(String name) {
        return new Builder(name);
    }

    private void startAll() {
        String name = options.name;
        EmbeddedPostgres postgres = EmbeddedPostgres.shared();
        if (options.ownSourceServer) {
            sourceServer = EmbeddedPostgres.start();
        }
        shopDb = (sourceServer != null ? sourceServer : postgres).createDatabase(name);
        int shopPort = Ports.free();
        shopUrl = "http://127.0.0.1:" + shopPort;
        List<String> shopArguments = new ArrayList<>(List.of("--db", shopDb, "--user", EmbeddedPostgres.SUPERUSER,
                "--host", "127.0.0.1", "--port", Integer.toString(shopPort)));
        if (options.witnessingKeys) {
            shopArguments.add("--witness-keys");
        }
        OutpostProcess shop = new OutpostProcess("shop", jvmOptions("shop"), "io.outpost.examples.shop.ShopMain", shopArguments,
                Pattern.compile("(?m)^shop ready on .*$"), directory, START_TIMEOUT);
        add(shop);
        shop.start(); // it migrates its schema: seeded next, captured after
        try {
            javax.sql.DataSource database = shopDatabase();
            ShopData.seed(database, 50, 40, 100, 11);
            try (var c = database.getConnection(); var s = c.createStatement()) {
                s.executeUpdate("UPDATE products SET stock = stock + 1000000"); // clients may order for minutes
            }
        } catch (SQLException e) {
            throw new IllegalStateException("cannot seed the shop: " + e.getMessage(), e);
        }

        Map<String, String> variables = new LinkedHashMap<>();
        variables.put("SHOP_DB_URL", shopDb);
        variables.put("SHOP_URL", shopUrl);
        if (options.kafkaNodes > 0) {
            kafkaCluster = KafkaCluster.start(options.kafkaNodes, directory,
                    List.of("-Xms64m", "-Xmx384m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1"));
        }
        variables.put("KAFKA_BOOTSTRAP", kafkaCluster != null ? kafkaCluster.bootstrapServers()
                : EmbeddedKafka.shared().bootstrapServers());
        OutpostConfig example = ExampleConfig.of(name, Map.of());
        for (String region : example.regions().keySet()) {
            String upper = region.replace('-', '_').toUpperCase(Locale.ROOT);
            EmbeddedPostgres storeServer = postgres;
            if (options.ownStoreServers.contains(region)) {
                storeServer = EmbeddedPostgres.start();
                storeServers.put(region, storeServer);
            }
            variables.put("STORE_" + upper + "_URL", storeServer.createDatabase(name + "_store_" + upper.toLowerCase(Locale.ROOT)));
            int port = Ports.free();
            gatewayPorts.put(region, port);
            FaultProxy proxy = FaultProxy.start(region + "'s gateway",
                    new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 0);
            proxies.put(region, proxy);
            variables.put("GATEWAY_" + upper + "_URL", proxy.url());
        }
        String text = ExampleConfig.render(name, variables);
        for (String region : gatewayPorts.keySet()) {
            String url = proxies.get(region).url();
            text = text.replace("gateway: { url: \"" + url + "\" }",
                    "gateway: { url: \"" + url + "\", port: " + gatewayPorts.get(region) + " }");
        }
        if (kafkaCluster != null) {
            String single = "  replication-factor: 1\n";
            if (!text.contains(single)) {
                throw new IllegalStateException("the example configuration's log section changed shape; adjust Topology's kafkaCluster");
            }
            text = text.replace(single, "  replication-factor: " + options.kafkaNodes + "\n");
        }
        text = text.replaceAll("(?m)^  timeout: 10s$", "  timeout: " + options.commandTimeout.toMillis() + "ms");
        int health = text.indexOf("\nhealth:\n");
        StringBuilder section = new StringBuilder(options.health.strip()).append('\n');
        if (!options.webhooks.isEmpty()) {
            section.append("  webhooks: [").append(String.join(", ", options.webhooks.stream().map(w -> "\"" + w + "\"").toList()))
                    .append("]\n");
        }
        text = text.substring(0, health + 1) + section;
        config = OutpostConfig.parse(text, n -> null);
        try {
            configFile = directory.resolve("outpost.yml");
            Files.writeString(configFile, text);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }

        addRun("capture", "--roles", "capture");
        if (options.captureStandbyRegion != null) {
            addRun("capture-standby", "--roles", "capture");
        }
        for (String region : gatewayPorts.keySet()) {
            if (options.shape == Shape.REGION_PER_PROCESS) {
                addRun(region, "--region", region, "--roles", String.join(",", REGION_ROLES));
            } else {
                for (String role : REGION_ROLES) {
                    addRun(region + "-" + role, "--region", region, "--roles", role);
                }
            }
        }
        // the active capture first (it takes the lock), then the rest side by side
        processes.get("capture").start();
        List<Thread> starting = new ArrayList<>();
        List<RuntimeException> failed = new java.util.concurrent.CopyOnWriteArrayList<>();
        for (OutpostProcess process : processes.values()) {
            if (!process.alive()) {
                starting.add(Thread.ofVirtual().start(() -> {
                    try {
                        process.start();
                    } catch (RuntimeException e) {
                        failed.add(e);
                    }
                }));
            }
        }
        for (Thread thread : starting) {
            try {
                thread.join();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted while the topology started", e);
            }
        }
        if (!failed.isEmpty()) {
            throw failed.getFirst();
        }
        awaitEveryRegionUp(Duration.ofSeconds(120));
        LOG.info("topology {} runs: {}", name, processes.values());
    }

    private List<String> jvmOptions(String process) {
        List<String> jvm = new ArrayList<>(List.of("-Xms64m", "-Xmx" + options.heap, "-XX:+UseSerialGC", "-Xss512k"));
        if (options.classDataArchives) {
            // written when the process exits cleanly, used by its next start (not after a kill -9)
            jvm.addAll(List.of("-XX:+AutoCreateSharedArchive", "-XX:SharedArchiveFile=" + directory.resolve(process + ".jsa"),
                    "-Xlog:cds=off", "-Xlog:cds+dynamic=off"));
        }
        if (!options.fullCompilation) {
            jvm.add("-XX:TieredStopAtLevel=1");
        }
        if (Runtime.version().feature() >= 24) {
            jvm.addAll(List.of("--sun-misc-unsafe-memory-access=allow", "--enable-native-access=ALL-UNNAMED"));
        }
        return jvm;
    }

    /** An {@code outpost run --config <the file> ARGUMENTS} process named {@code name}. */
    private void addRun(String name, String... arguments) {
        List<String> run = new ArrayList<>(List.of("--config", configFile.toString()));
        run.addAll(List.of(arguments));
        if (options.jsonLogs) {
            run.addAll(List.of("--log-format", "json"));
        }
        add(new OutpostProcess(name, jvmOptions(name), run, directory, START_TIMEOUT));
    }

    private void add(OutpostProcess process) {
        processes.put(process.name(), process);
    }

    /**
     * The monolith's PostgreSQL server, when the builder gave it one of its own ({@link Builder#ownSourceServer}).
     *
     * @throws IllegalStateException when the source shares the stores' server
     */
    public EmbeddedPostgres sourceServer() {
        if (sourceServer == null) {
            throw new IllegalStateException("the source shares the stores' PostgreSQL server; ask for ownSourceServer() "
                    + "to restart it alone");
        }
        return sourceServer;
    }

    /** Whether the monolith's database has a PostgreSQL server of its own. */
    public boolean hasOwnSourceServer() {
        return sourceServer != null;
    }

    /** The regions whose store has a PostgreSQL server of its own ({@link Builder#ownStoreServer}). */
    public List<String> regionsWithOwnStore() {
        return List.copyOf(storeServers.keySet());
    }

    /**
     * The PostgreSQL server of {@code region}'s store, when the builder gave it one of its own
     * ({@link Builder#ownStoreServer}).
     */
    public EmbeddedPostgres storeServer(String region) {
        EmbeddedPostgres server = storeServers.get(region);
        if (server == null) {
            throw new IllegalArgumentException(region + "'s store shares the source's server; ask for ownStoreServer(\""
                    + region + "\") to restart it alone");
        }
        return server;
    }

    /**
     * The Kafka cluster under the change log ({@link Builder#kafkaCluster}).
     *
     * @throws IllegalStateException when the topology runs on the shared in-process broker
     */
    public KafkaCluster kafkaCluster() {
        if (kafkaCluster == null) {
            throw new IllegalStateException("this topology runs on the shared in-process broker; ask for kafkaCluster(3)");
        }
        return kafkaCluster;
    }

    /** Whether the change log is on a {@link Builder#kafkaCluster} of separate JVMs. */
    public boolean onKafkaCluster() {
        return kafkaCluster != null;
    }

    /** The configuration every process runs. */
    public OutpostConfig config() {
        return config;
    }

    /** Its file. */
    public Path configFile() {
        return configFile;
    }

    /** The directory that holds the configuration, each process's console and log. */
    public Path directory() {
        return directory;
    }

    /** The regions, in the configuration's order. */
    public List<String> regions() {
        return List.copyOf(gatewayPorts.keySet());
    }

    /** A process by name: {@code shop}, {@code capture}, {@code capture-standby}, a region, or {@code <region>-<role>}. */
    public OutpostProcess process(String name) {
        OutpostProcess process = processes.get(name);
        if (process == null) {
            throw new IllegalArgumentException("no process " + name + " in this topology (" + processes.keySet() + ")");
        }
        return process;
    }

    /** Every process, the shop and capture first. */
    public List<OutpostProcess> processes() {
        return List.copyOf(processes.values());
    }

    /** The processes that run {@code region}'s roles. */
    public List<OutpostProcess> regionProcesses(String region) {
        return processes.values().stream().filter(p -> p.name().equals(region) || p.name().startsWith(region + "-")).toList();
    }

    /** The fault proxy every other party reaches {@code region}'s gateway through. */
    public FaultProxy proxy(String region) {
        return proxies.get(region);
    }

    /** {@code region}'s gateway as a client in that region reaches it: directly, not through its proxy. */
    public String gatewayUrl(String region) {
        return "http://127.0.0.1:" + gatewayPorts.get(region);
    }

    /** The monolith's database, also while the monolith is stopped ({@link #stopShop}). */
    public javax.sql.DataSource shopDatabase() {
        org.postgresql.ds.PGSimpleDataSource database = new org.postgresql.ds.PGSimpleDataSource();
        database.setURL(shopDb);
        database.setUser(EmbeddedPostgres.SUPERUSER);
        return database;
    }

    /** Stops the monolith (its port refuses connections) until {@link #startShop}. */
    public void stopShop() {
        process("shop").stop();
        LOG.info("the shop (the monolith) stopped");
    }

    /** Starts the monolith again, on its port. */
    public void startShop() {
        process("shop").start();
        LOG.info("the shop (the monolith) runs again");
    }

    /**
     * Every region's state as {@code region}'s gateway shows it ({@code /outpost/v1/regions}), empty when
     * that gateway does not answer.
     */
    public Map<String, String> statesSeenBy(String region) {
        Map<String, String> states = new LinkedHashMap<>();
        try {
            HttpResponse<String> response = http.send(HttpRequest.newBuilder(URI.create(gatewayUrl(region) + "/outpost/v1/regions"))
                    .timeout(Duration.ofSeconds(2)).build(), HttpResponse.BodyHandlers.ofString());
            if (response.statusCode() == 200) {
                for (JsonNode entry : JSON.readTree(response.body()).path("regions")) {
                    states.put(entry.path("name").asText(), entry.path("state").asText());
                }
            }
        } catch (IOException e) {
            return Map.of();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        return states;
    }

    /** Waits until every running gateway shows every region UP. */
    public void awaitEveryRegionUp(Duration atMost) {
        awaitStates(atMost, "every region UP", regions().stream().collect(
                java.util.stream.Collectors.toMap(r -> r, r -> "UP", (a, b) -> a, LinkedHashMap::new)), regions());
    }

    /** Waits until each gateway of {@code observers} shows {@code expected} (region → state) for each region named. */
    public void awaitStates(Duration atMost, String what, Map<String, String> expected, List<String> observers) {
        long deadline = System.nanoTime() + atMost.toNanos();
        Map<String, Map<String, String>> seen = new LinkedHashMap<>();
        while (true) {
            boolean all = true;
            for (String observer : observers) {
                Map<String, String> states = statesSeenBy(observer);
                seen.put(observer, states);
                for (Map.Entry<String, String> e : expected.entrySet()) {
                    all &= e.getValue().equals(states.get(e.getKey()));
                }
            }
            if (all) {
                return;
            }
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException("not " + what + " within " + atMost.toSeconds() + " s; the gateways saw " + seen
                        + "; logs in " + directory);
            }
            try {
                Thread.sleep(100);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted while waiting for " + what, e);
            }
        }
    }

    /** Stops every process (SIGTERM, after SIGCONT where hung), the shop among them, and the proxies. */
    @Override
    public void close() {
        List<OutpostProcess> reversed = new ArrayList<>(processes.values());
        java.util.Collections.reverse(reversed);
        List<Thread> stopping = new ArrayList<>();
        for (OutpostProcess process : reversed) {
            stopping.add(Thread.ofVirtual().start(process::stop));
        }
        for (Thread thread : stopping) {
            try {
                thread.join();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        proxies.values().forEach(FaultProxy::close);
        storeServers.values().forEach(EmbeddedPostgres::close);
        if (sourceServer != null) {
            sourceServer.close();
        }
        if (kafkaCluster != null) {
            kafkaCluster.close();
        }
    }
}

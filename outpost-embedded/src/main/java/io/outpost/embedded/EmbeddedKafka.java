package io.outpost.embedded;

import io.outpost.embedded.internal.Lifecycle;
import io.outpost.embedded.internal.OwnedDirectory;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import kafka.server.KafkaConfig;
import kafka.server.KafkaRaftServer;
import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.utils.Time;
import org.apache.kafka.metadata.storage.Formatter;
import org.apache.kafka.server.common.MetadataVersion;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A single-node Kafka broker (KRaft, combined broker and controller) running in this JVM, from the
 * production jars: the storage is formatted as {@code kafka-storage format} does, then a
 * {@link KafkaRaftServer} starts. Ports are free ones on localhost; thread counts and buffers are
 * trimmed for a small footprint. The broker stops on {@link #close()} and on JVM exit; a start
 * deletes the directories that {@code kill -9}'d earlier processes left.
 */
public final class EmbeddedKafka implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(EmbeddedKafka.class);

    private final OwnedDirectory home;
    private final KafkaConfig config;
    /** Replaced by {@link #restart}; guarded by this. */
    private KafkaRaftServer server;
    private final int port;
    private final int sslPort;
    private final Lifecycle lifecycle;

    private EmbeddedKafka(OwnedDirectory home, KafkaConfig config, KafkaRaftServer server, int port, int sslPort) {
        this.home = home;
        this.config = config;
        this.server = server;
        this.port = port;
        this.sslPort = sslPort;
        this.lifecycle = new Lifecycle("embedded-kafka", home, this::stop);
    }

    private static EmbeddedKafka shared;

    /**
     * One broker for the whole JVM, started on first use and stopped at JVM exit: what test suites
     * share so that each test JVM starts Kafka once. Tests isolate themselves by topic.
     */
    public static synchronized EmbeddedKafka shared() {
        if (shared == null) {
            shared = start();
        }
        return shared;
    }

    /**
     * Leaves stopping to {@link #close()} alone: no JVM shutdown hook stops this server on its own.
     * For owners that stop their parts in order at exit (the demo), so that what uses the server
     * stops first.
     */
    public void stopOnlyWhenClosed() {
        lifecycle.stopOnlyWhenClosed();
    }

    /** Starts a broker in a fresh directory under the system's temporary directory. */
    public static EmbeddedKafka start() {
        return builder().start();
    }

    public static Builder builder() {
        return new Builder();
    }

    /** Options for a broker; {@link #start()} starts it. */
    public static final class Builder {

        private Path directory;
        private Path sslKeyStore;
        private String sslKeyStorePassword;
        private final Map<String, String> overrides = new LinkedHashMap<>();
        private int nodeId = 1;
        private String clusterId;
        private String voters;
        private int brokerPort;
        private int controllerPort;
        private boolean keepData;

        private Builder() {
        }

        /**
         * Makes this broker node {@code nodeId} of a cluster (each node a broker and a controller):
         * {@code voters} names every node's controller, {@code id@localhost:port,…}, and every node
         * is formatted with the same {@code clusterId}. The ports are fixed, as the voters name them.
         */
        public Builder clusterNode(int nodeId, String clusterId, String voters, int brokerPort, int controllerPort) {
            this.nodeId = nodeId;
            this.clusterId = clusterId;
            this.voters = voters;
            this.brokerPort = brokerPort;
            this.controllerPort = controllerPort;
            return this;
        }

        /**
         * Keeps what {@link #directory} holds: a broker formatted there before starts on its data, as
         * a broker restarted after a crash does (default: a leftover directory is emptied).
         */
        public Builder keepData() {
            this.keepData = true;
            return this;
        }

        /**
         * The directory the broker owns; what an earlier, dead process left there is deleted.
         * Default: a fresh directory under {@code <tmp>/outpost-embedded/kafka/}.
         */
        public Builder directory(Path directory) {
            this.directory = directory;
            return this;
        }

        /** A broker setting, added to or overriding the defaults. */
        public Builder setting(String name, String value) {
            overrides.put(name, value);
            return this;
        }

        /**
         * A second listener for clients, over TLS with the key and certificate of a PKCS#12 store
         * ({@link #sslBootstrapServers()}); the broker's own traffic stays on the plain one.
         */
        public Builder sslListener(Path keyStore, String password) {
            this.sslKeyStore = keyStore;
            this.sslKeyStorePassword = password;
            return this;
        }

        public EmbeddedKafka start() {
            Path tmp = Path.of(System.getProperty("java.io.tmpdir"), "outpost-embedded");
            OwnedDirectory home = directory == null ? OwnedDirectory.claimFresh(tmp.resolve("kafka"), dir -> { })
                    : keepData ? OwnedDirectory.claimKeeping(directory)
                    : OwnedDirectory.claim(directory, dir -> { });
            try {
                int brokerPort = this.brokerPort > 0 ? this.brokerPort : Ports.free();
                int controllerPort = this.controllerPort > 0 ? this.controllerPort : Ports.free();
                int sslPort = sslKeyStore == null ? -1 : Ports.free();
                Properties properties = properties(home.path(), nodeId, brokerPort, controllerPort,
                        voters != null ? voters : nodeId + "@localhost:" + controllerPort, overrides);
                if (sslKeyStore != null) {
                    properties.put("listeners", properties.get("listeners") + ",SSL://localhost:" + sslPort);
                    properties.put("advertised.listeners", properties.get("advertised.listeners") + ",SSL://localhost:" + sslPort);
                    properties.put("listener.security.protocol.map", properties.get("listener.security.protocol.map") + ",SSL:SSL");
                    properties.put("listener.name.ssl.ssl.keystore.type", "PKCS12");
                    properties.put("listener.name.ssl.ssl.keystore.location", sslKeyStore.toString());
                    properties.put("listener.name.ssl.ssl.keystore.password", sslKeyStorePassword);
                    properties.put("listener.name.ssl.ssl.key.password", sslKeyStorePassword);
                }
                KafkaConfig config = new KafkaConfig(properties, false);
                if (!(keepData && Files.exists(Path.of(config.metadataLogDir(), "meta.properties")))) {
                    format(config, clusterId != null ? clusterId : Uuid.randomUuid().toString());
                }
                KafkaRaftServer server = new KafkaRaftServer(config, Time.SYSTEM);
                server.startup();
                LOG.info("embedded Kafka started on localhost:{}{} (data in {})", brokerPort,
                        sslPort < 0 ? "" : " and, over TLS, localhost:" + sslPort, home.path());
                return new EmbeddedKafka(home, config, server, brokerPort, sslPort);
            } catch (Exception e) {
                home.closeAndDelete();
                throw new IllegalStateException("embedded Kafka did not start: " + e.getMessage(), e);
            }
        }

        private static Properties properties(Path home, int nodeId, int brokerPort, int controllerPort, String voters,
                                             Map<String, String> overrides) {
            Properties p = new Properties();
            p.put("process.roles", "broker,controller");
            p.put("node.id", Integer.toString(nodeId));
            p.put("controller.quorum.voters", voters);
            p.put("listeners", "PLAINTEXT://localhost:" + brokerPort + ",CONTROLLER://localhost:" + controllerPort);
            p.put("advertised.listeners", "PLAINTEXT://localhost:" + brokerPort);
            p.put("listener.security.protocol.map", "PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT");
            p.put("controller.listener.names", "CONTROLLER");
            p.put("inter.broker.listener.name", "PLAINTEXT");
            p.put("log.dirs", home.resolve("logs").toString());
            // one node: every internal topic has one replica (a cluster overrides these)
            p.put("offsets.topic.replication.factor", "1");
            p.put("offsets.topic.num.partitions", "5");
            p.put("transaction.state.log.replication.factor", "1");
            p.put("transaction.state.log.min.isr", "1");
            p.put("transaction.state.log.num.partitions", "5");
            p.put("share.coordinator.state.topic.replication.factor", "1");
            p.put("share.coordinator.state.topic.min.isr", "1");
            p.put("group.initial.rebalance.delay.ms", "0");
            p.put("num.partitions", "1");
            p.put("auto.create.topics.enable", "true");
            // small footprint
            p.put("num.network.threads", "2");
            p.put("num.io.threads", "2");
            p.put("background.threads", "2");
            p.put("num.recovery.threads.per.data.dir", "1");
            p.put("num.replica.fetchers", "1");
            p.put("log.cleaner.threads", "1");
            p.put("log.cleaner.dedupe.buffer.size", "2097152");
            p.put("log.segment.bytes", Integer.toString(64 * 1024 * 1024));
            p.put("log.index.size.max.bytes", Integer.toString(1024 * 1024));
            p.putAll(overrides);
            return p;
        }

        private static void format(KafkaConfig config, String clusterId) throws Exception {
            new Formatter()
                    .setPrintStream(new PrintStream(OutputStream.nullOutputStream()))
                    .setNodeId(config.nodeId())
                    .setClusterId(clusterId)
                    .setDirectories(List.of(config.logDirs().getFirst()))
                    .setMetadataLogDirectory(config.metadataLogDir())
                    .setControllerListenerName("CONTROLLER")
                    .setReleaseVersion(MetadataVersion.LATEST_PRODUCTION)
                    .run();
        }
    }

    /** {@code localhost:<port>}, for {@code bootstrap.servers}. */
    public String bootstrapServers() {
        return "localhost:" + port;
    }

    /**
     * {@code localhost:<port>} of the TLS listener.
     *
     * @throws IllegalStateException when the broker was started without {@link Builder#sslListener}
     */
    public String sslBootstrapServers() {
        if (sslPort < 0) {
            throw new IllegalStateException("this broker has no TLS listener; start it with builder().sslListener(…)");
        }
        return "localhost:" + sslPort;
    }

    /** The directory this broker owns. */
    public Path directory() {
        return home.path();
    }

    /** Stops the broker and deletes its directory. */
    @Override
    public void close() {
        lifecycle.close();
    }

    /**
     * Stops the broker as a broker's restart does (a clean shutdown), waits {@code down}, and starts
     * it again on the same ports with the same data: what clients see of a broker restarted under them.
     */
    public synchronized void restart(java.time.Duration down) throws InterruptedException {
        stop();
        Thread.sleep(down.toMillis());
        server = new KafkaRaftServer(config, Time.SYSTEM);
        server.startup();
        LOG.info("embedded Kafka on localhost:{} started again after {} ms down", port, down.toMillis());
    }

    private synchronized void stop() {
        try {
            server.shutdown();
            server.awaitShutdown();
            LOG.info("embedded Kafka on localhost:{} stopped", port);
        } catch (RuntimeException e) {
            LOG.warn("embedded Kafka on localhost:{} did not stop cleanly: {}", port, e.toString());
        }
    }
}

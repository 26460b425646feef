package io.outpost.embedded;

import io.outpost.embedded.internal.KafkaNodeMain;
import io.outpost.embedded.internal.OwnedDirectory;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.common.Uuid;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A Kafka cluster of a few nodes (KRaft, each a broker and a controller), each node a JVM of its
 * own so that a test can {@code kill -9} one and start it again on its data, as a broker crashes and
 * comes back in a deployment. Internal topics get one replica per node and
 * {@code min.insync.replicas} one less; a killed broker is fenced within 3 s. The nodes die with
 * the JVM that started them; {@link #close()} kills them and deletes their data.
 */
public final class KafkaCluster implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(KafkaCluster.class);

    private final OwnedDirectory home;
    private final List<Node> nodes;
    private final List<String> jvmOptions;

    private static final class Node {
        final int id;
        final int brokerPort;
        final List<String> arguments;
        final Path log;
        volatile ChildJvm jvm;

        Node(int id, int brokerPort, List<String> arguments, Path log) {
            this.id = id;
            this.brokerPort = brokerPort;
            this.arguments = arguments;
            this.log = log;
        }
    }

    private KafkaCluster(OwnedDirectory home, List<Node> nodes, List<String> jvmOptions) {
        this.home = home;
        this.nodes = nodes;
        this.jvmOptions = jvmOptions;
    }

    /**
     * Starts {@code size} nodes side by side (a broker waits for a majority of controllers) and
     * returns once every one has started.
     *
     * @param logs       where each node's output goes ({@code kafka-<id>.log}); {@code null}: in its directory
     * @param jvmOptions each node's JVM options, e.g. {@code -Xmx384m}
     */
    public static KafkaCluster start(int size, Path logs, List<String> jvmOptions) {
        if (size < 1) {
            throw new IllegalArgumentException("a cluster has at least one node, not " + size);
        }
        Path tmp = Path.of(System.getProperty("java.io.tmpdir"), "outpost-embedded");
        OwnedDirectory home = OwnedDirectory.claimFresh(tmp.resolve("kafka-cluster"), dir -> { });
        String clusterId = Uuid.randomUuid().toString();
        List<int[]> ports = new ArrayList<>();
        StringBuilder voters = new StringBuilder();
        for (int id = 1; id <= size; id++) {
            int[] p = {Ports.free(), Ports.free()};
            ports.add(p);
            voters.append(voters.isEmpty() ? "" : ",").append(id).append("@localhost:").append(p[1]);
        }
        List<Node> nodes = new ArrayList<>();
        for (int id = 1; id <= size; id++) {
            int[] p = ports.get(id - 1);
            Path dir = home.path().resolve("node-" + id);
            nodes.add(new Node(id, p[0], List.of(Integer.toString(id), clusterId, voters.toString(), Integer.toString(p[0]),
                    Integer.toString(p[1]), dir.toString(), Integer.toString(size)),
                    (logs != null ? logs : home.path()).resolve("kafka-" + id + ".log")));
        }
        KafkaCluster cluster = new KafkaCluster(home, nodes, List.copyOf(jvmOptions));
        try {
            CompletableFuture.allOf(nodes.stream()
                    .map(node -> CompletableFuture.runAsync(() -> cluster.launch(node), Thread::startVirtualThread))
                    .toArray(CompletableFuture[]::new)).join();
        } catch (CompletionException e) {
            cluster.close();
            throw e.getCause() instanceof RuntimeException r ? r : new IllegalStateException(e.getCause());
        }
        LOG.info("Kafka cluster of {} nodes runs: {} (data in {})", size, cluster.bootstrapServers(), home.path());
        return cluster;
    }

    private void launch(Node node) {
        try {
            node.jvm = ChildJvm.start(KafkaNodeMain.class, node.log, jvmOptions, node.arguments.toArray(String[]::new));
        } catch (IOException e) {
            throw new UncheckedIOException("Kafka node " + node.id + " did not start (its output is in " + node.log + ")", e);
        }
    }

    /** Every node's broker, {@code localhost:<port>,…}, for {@code bootstrap.servers}. */
    public String bootstrapServers() {
        return String.join(",", nodes.stream().map(n -> "localhost:" + n.brokerPort).toList());
    }

    /** The node ids, from 1. */
    public List<Integer> nodeIds() {
        return nodes.stream().map(n -> n.id).toList();
    }

    /** Whether node {@code id} runs. */
    public boolean running(int id) {
        ChildJvm jvm = node(id).jvm;
        return jvm != null && jvm.alive();
    }

    /** {@code kill -9} of node {@code id}: its broker and controller vanish mid-write. */
    public void kill(int id) {
        Node node = node(id);
        if (node.jvm != null) {
            node.jvm.killHard();
            LOG.info("Kafka node {} (localhost:{}) killed (kill -9)", id, node.brokerPort);
        }
    }

    /** Starts node {@code id} again on the same ports and its data, and waits until it has started. */
    public void restart(int id) {
        Node node = node(id);
        if (running(id)) {
            throw new IllegalStateException("Kafka node " + id + " runs already");
        }
        launch(node);
        LOG.info("Kafka node {} (localhost:{}) started again", id, node.brokerPort);
    }

    /** The node that leads partition 0 of {@code topic} now, asked of the running brokers. */
    public int leaderOf(String topic) {
        try (Admin admin = Admin.create(Map.of("bootstrap.servers", bootstrapServers(), "request.timeout.ms", 10_000,
                "default.api.timeout.ms", 20_000))) {
            TopicDescription description = admin.describeTopics(List.of(topic)).allTopicNames()
                    .get(30, TimeUnit.SECONDS).get(topic);
            return description.partitions().getFirst().leader().id();
        } catch (Exception e) {
            throw new IllegalStateException("cannot tell which node leads " + topic + ": " + e.getMessage(), e);
        }
    }

    /**
     * Waits until partition 0 of {@code topic} has every node in sync again (after a node came back).
     */
    public void awaitInSync(String topic, Duration atMost) throws InterruptedException {
        long deadline = System.nanoTime() + atMost.toNanos();
        String seen = "";
        try (Admin admin = Admin.create(Map.of("bootstrap.servers", bootstrapServers(), "request.timeout.ms", 5_000,
                "default.api.timeout.ms", 10_000))) {
            while (System.nanoTime() < deadline) {
                try {
                    var partition = admin.describeTopics(List.of(topic)).allTopicNames().get(10, TimeUnit.SECONDS)
                            .get(topic).partitions().getFirst();
                    seen = "in sync " + partition.isr().stream().map(n -> n.id()).toList();
                    if (partition.isr().size() == nodes.size()) {
                        return;
                    }
                } catch (java.util.concurrent.ExecutionException | java.util.concurrent.TimeoutException e) {
                    seen = e.toString();
                }
                Thread.sleep(200);
            }
        }
        throw new IllegalStateException(topic + " not in sync on all " + nodes.size() + " nodes within " + atMost.toSeconds()
                + " s (last seen: " + seen + ")");
    }

    private Node node(int id) {
        if (id < 1 || id > nodes.size()) {
            throw new IllegalArgumentException("no Kafka node " + id + "; the nodes are " + nodeIds());
        }
        return nodes.get(id - 1);
    }

    /** The directory that holds every node's data. */
    public Path directory() {
        return home.path();
    }

    /** Kills every node and deletes their data. */
    @Override
    public void close() {
        nodes.parallelStream().forEach(n -> {
            if (n.jvm != null) {
                n.jvm.killHard();
            }
        });
        home.closeAndDelete();
    }
}

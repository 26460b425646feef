package io.outpost.it;

import static org.assertj.core.api.Assertions.assertThat;

import io.outpost.embedded.KafkaCluster;
import io.outpost.it.topology.Topology;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.Config;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.common.config.ConfigResource;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/**
 * The example deployment as OS processes on a Kafka cluster of three brokers, each a JVM of its own:
 * Outpost's topics keep three copies by default, and the broker that leads the change log is killed
 * (kill -9) under load and started again.
 */
class KafkaClusterIT {

    @Test
    @DisplayName("one broker of three killed under load (the change log's leader) and restarted: capture and every "
            + "projector go on, no acknowledged command lost, none applied twice, every region equals the source")
    void oneBrokerOfThreeKilledUnderLoadAndRestarted() throws Exception {
        try (Topology topology = Topology.builder("kafka_cluster_it").kafkaCluster(3).start()) {
            KafkaCluster cluster = topology.kafkaCluster();
            String changes = topology.config().changesTopic();
            assertThreeCopies(cluster, topology.config().log().topicPrefix());

            int leader = cluster.leaderOf(changes);
            UnderLoad.survives(topology, 19, () -> {
                cluster.kill(leader);
                // the controller elects another leader once the dead broker's session expires (9 s by default): the
                // load goes on meanwhile and after
                long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
                while (cluster.leaderOf(changes) == leader) {
                    assertThat(System.nanoTime()).as("a new leader of the change log within 60 s").isLessThan(deadline);
                    Thread.sleep(500);
                }
                Thread.sleep(3000);
                cluster.restart(leader);
            });
            cluster.awaitInSync(changes, Duration.ofSeconds(60));
        }
    }

    /** Every topic Outpost made (the change log, capture's offsets, the region-state topic): 3 replicas, 2 in sync. */
    private static void assertThreeCopies(KafkaCluster cluster, String prefix) throws Exception {
        try (Admin admin = Admin.create(Map.of("bootstrap.servers", cluster.bootstrapServers()))) {
            List<String> topics = admin.listTopics().names().get(30, TimeUnit.SECONDS).stream()
                    .filter(t -> t.startsWith(prefix + ".")).sorted().toList();
            assertThat(topics).as("Outpost's topics").hasSizeGreaterThanOrEqualTo(3);
            Map<String, TopicDescription> described = admin.describeTopics(topics).allTopicNames().get(30, TimeUnit.SECONDS);
            Map<ConfigResource, Config> configs = admin.describeConfigs(topics.stream()
                    .map(t -> new ConfigResource(ConfigResource.Type.TOPIC, t)).toList()).all().get(30, TimeUnit.SECONDS);
            for (String topic : topics) {
                assertThat(described.get(topic).partitions().getFirst().replicas()).as(topic + "'s replicas").hasSize(3);
                assertThat(configs.get(new ConfigResource(ConfigResource.Type.TOPIC, topic)).get("min.insync.replicas").value())
                        .as(topic + "'s min.insync.replicas").isEqualTo("2");
            }
        }
    }
}

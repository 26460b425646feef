package io.outpost.embedded;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Test;

class KafkaClusterIT {

    private static final List<String> NODE_JVM = List.of("-Xmx256m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1");

    @Test
    void theLeaderKilledUnderWritesLosesNothingAcknowledgedAndComesBackInSync() throws Exception {
        try (KafkaCluster cluster = KafkaCluster.start(3, null, NODE_JVM)) {
            assertThat(cluster.nodeIds()).containsExactly(1, 2, 3);
            try (Admin admin = Admin.create(Map.of("bootstrap.servers", cluster.bootstrapServers()))) {
                admin.createTopics(List.of(new NewTopic("ledger", 1, (short) 3).configs(Map.of("min.insync.replicas", "2"))))
                        .all().get(60, TimeUnit.SECONDS);
            }
            int leader = cluster.leaderOf("ledger");

            Properties props = new Properties();
            props.put("bootstrap.servers", cluster.bootstrapServers());
            props.put("acks", "all");
            props.put("enable.idempotence", "true");
            props.put("delivery.timeout.ms", "60000");
            ConcurrentLinkedQueue<String> acknowledged = new ConcurrentLinkedQueue<>();
            AtomicBoolean writing = new AtomicBoolean(true);
            Thread writer;
            try (var producer = new KafkaProducer<>(props, new StringSerializer(), new StringSerializer())) {
                writer = Thread.ofPlatform().start(() -> {
                    for (int i = 0; writing.get(); i++) {
                        String value = "v" + i;
                        producer.send(new ProducerRecord<>("ledger", value), (metadata, error) -> {
                            if (error == null) {
                                acknowledged.add(value);
                            }
                        });
                        try {
                            Thread.sleep(2);
                        } catch (InterruptedException e) {
                            return;
                        }
                    }
                });
                awaitAcknowledged(acknowledged, 500);
                cluster.kill(leader);
                assertThat(cluster.running(leader)).isFalse();
                int before = acknowledged.size();
                awaitAcknowledged(acknowledged, before + 500); // the others go on without it
                assertThat(cluster.leaderOf("ledger")).isNotEqualTo(leader);

                cluster.restart(leader);
                cluster.awaitInSync("ledger", Duration.ofSeconds(60));
                awaitAcknowledged(acknowledged, acknowledged.size() + 200);
                writing.set(false);
                writer.join();
                producer.flush();
            }

            List<String> read = new ArrayList<>();
            Properties consumerProps = new Properties();
            consumerProps.put("bootstrap.servers", cluster.bootstrapServers());
            try (var consumer = new KafkaConsumer<>(consumerProps, new StringDeserializer(), new StringDeserializer())) {
                TopicPartition partition = new TopicPartition("ledger", 0);
                consumer.assign(List.of(partition));
                consumer.seekToBeginning(List.of(partition));
                long end = consumer.endOffsets(List.of(partition)).get(partition);
                long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
                while (consumer.position(partition) < end && System.nanoTime() < deadline) {
                    for (ConsumerRecord<String, String> record : consumer.poll(Duration.ofMillis(200))) {
                        read.add(record.value());
                    }
                }
            }
            assertThat(read).as("every acknowledged record is there").containsAll(acknowledged);
            assertThat(read).as("none twice").doesNotHaveDuplicates();
            for (int i = 1; i < read.size(); i++) {
                assertThat(Integer.parseInt(read.get(i).substring(1))).as("in the order sent")
                        .isGreaterThan(Integer.parseInt(read.get(i - 1).substring(1)));
            }
        }
    }

    private static void awaitAcknowledged(ConcurrentLinkedQueue<String> acknowledged, int count) throws InterruptedException {
        long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        while (acknowledged.size() < count) {
            assertThat(System.nanoTime()).as("%d records acknowledged within 60 s (%d are)", count, acknowledged.size())
                    .isLessThan(deadline);
            Thread.sleep(50);
        }
    }
}

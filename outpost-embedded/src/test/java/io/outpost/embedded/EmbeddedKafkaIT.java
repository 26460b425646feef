package io.outpost.embedded;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
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

class EmbeddedKafkaIT {

    @Test
    void producesAndConsumesInOrder() throws Exception {
        EmbeddedKafka kafka = EmbeddedKafka.shared();
        try (Admin admin = Admin.create(Map.of("bootstrap.servers", kafka.bootstrapServers()))) {
            admin.createTopics(List.of(new NewTopic("orders", 1, (short) 1))).all().get();
        }

        Properties producerProps = new Properties();
        producerProps.put("bootstrap.servers", kafka.bootstrapServers());
        producerProps.put("acks", "all");
        producerProps.put("enable.idempotence", "true");
        try (var producer = new KafkaProducer<>(producerProps, new StringSerializer(), new StringSerializer())) {
            for (int i = 0; i < 1000; i++) {
                producer.send(new ProducerRecord<>("orders", "k" + i, "v" + i));
            }
            producer.flush();
        }

        Properties consumerProps = new Properties();
        consumerProps.put("bootstrap.servers", kafka.bootstrapServers());
        consumerProps.put("auto.offset.reset", "earliest");
        List<String> values = new ArrayList<>();
        try (var consumer = new KafkaConsumer<>(consumerProps, new StringDeserializer(), new StringDeserializer())) {
            consumer.assign(List.of(new TopicPartition("orders", 0)));
            consumer.seekToBeginning(consumer.assignment());
            long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
            while (values.size() < 1000 && System.nanoTime() < deadline) {
                for (ConsumerRecord<String, String> record : consumer.poll(Duration.ofMillis(200))) {
                    values.add(record.value());
                }
            }
        }
        assertThat(values).hasSize(1000);
        assertThat(values.getFirst()).isEqualTo("v0");
        assertThat(values.getLast()).isEqualTo("v999");
        for (int i = 0; i < values.size(); i++) {
            assertThat(values.get(i)).isEqualTo("v" + i);
        }
    }

    @Test
    void startDeletesWhatAProcessThatWasKilledHardLeftBehind() throws Exception {
        Path leftover;
        try (ChildJvm child = ChildJvm.start(ChildMain.class, null, java.util.List.of(), "kafka")) {
            leftover = Path.of(child.readyLine());
            assertThat(leftover.resolve("logs")).isDirectory();
            child.killHard();
        }
        assertThat(leftover).exists();

        try (EmbeddedKafka kafka = EmbeddedKafka.start()) {
            assertThat(leftover).doesNotExist();
            assertThat(Files.isDirectory(kafka.directory())).isTrue();
        }
    }

    @Test
    void aRestartedBrokerKeepsItsRecordsAndPortsAndClientsCarryOn() throws Exception {
        try (EmbeddedKafka kafka = EmbeddedKafka.start()) {
            Properties producerProps = new Properties();
            producerProps.put("bootstrap.servers", kafka.bootstrapServers());
            producerProps.put("acks", "all");
            producerProps.put("enable.idempotence", "true");
            producerProps.put("delivery.timeout.ms", "60000");
            try (var producer = new KafkaProducer<>(producerProps, new StringSerializer(), new StringSerializer())) {
                producer.send(new ProducerRecord<>("restarts", "k", "before")).get();
                kafka.restart(Duration.ofSeconds(1));
                // the same producer, the same address: sent once the broker is back
                producer.send(new ProducerRecord<>("restarts", "k", "after")).get();
            }
            Properties consumerProps = new Properties();
            consumerProps.put("bootstrap.servers", kafka.bootstrapServers());
            List<String> values = new ArrayList<>();
            try (var consumer = new KafkaConsumer<>(consumerProps, new StringDeserializer(), new StringDeserializer())) {
                consumer.assign(List.of(new TopicPartition("restarts", 0)));
                consumer.seekToBeginning(consumer.assignment());
                long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
                while (values.size() < 2 && System.nanoTime() < deadline) {
                    for (ConsumerRecord<String, String> record : consumer.poll(Duration.ofMillis(200))) {
                        values.add(record.value());
                    }
                }
            }
            assertThat(values).containsExactly("before", "after");
        }
    }
}

package io.outpost.control;

import io.outpost.control.internal.ObservationCodec;
import io.outpost.core.OutpostException;
import io.outpost.core.config.KafkaAccess;
import io.outpost.core.region.Observation;
import io.outpost.core.region.RegionHealth;
import java.time.Duration;
import java.time.InstantSource;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Consumer;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.TopicExistsException;
import org.apache.kafka.common.errors.WakeupException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The region-state topic, {@code outpost.regions}: compacted, one partition, key
 * {@code <region>/<monitor>}, value an {@link ObservationCodec observation}. Compaction keeps each
 * monitor's latest observation of each region, so a reader starting from the beginning learns the
 * current picture without replaying history.
 */
public final class RegionStateTopic {

    /** The topic's name. */
    public static final String NAME = "outpost.regions";

    private static final Logger LOG = LoggerFactory.getLogger(RegionStateTopic.class);
    private static final Duration ADMIN_TIMEOUT = Duration.ofSeconds(15);

    private RegionStateTopic() {
    }

    /**
     * Creates the topic when missing.
     *
     * @throws OutpostException.Retriable when Kafka cannot be reached
     */
    public static void ensure(KafkaAccess kafka) {
        Map<String, Object> adminConfig = kafka.clientConfig();
        adminConfig.put("request.timeout.ms", (int) ADMIN_TIMEOUT.toMillis());
        adminConfig.put("default.api.timeout.ms", (int) ADMIN_TIMEOUT.toMillis());
        try (Admin admin = Admin.create(adminConfig)) {
            // compacted: the latest observation per key stays; a segment rolls every 10 minutes so
            // that old ones go instead of piling up in the active segment (which is never compacted)
            Map<String, String> configs = Map.of("cleanup.policy", "compact", "segment.ms", "600000",
                    "min.cleanable.dirty.ratio", "0.5");
            admin.createTopics(List.of(new NewTopic(NAME, Optional.of(1), Optional.empty()).configs(configs)))
                    .all().get(ADMIN_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
            LOG.info("created the region-state topic {} on {}", NAME, kafka);
        } catch (ExecutionException e) {
            if (!(e.getCause() instanceof TopicExistsException)) {
                throw unreachable(kafka, e.getCause());
            }
        } catch (TimeoutException e) {
            throw unreachable(kafka, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new OutpostException("interrupted while preparing the region-state topic " + NAME, e);
        }
    }

    private static OutpostException unreachable(KafkaAccess kafka, Throwable cause) {
        return new OutpostException.Retriable("cannot prepare the region-state topic " + NAME + " on Kafka at "
                + kafka + " within " + ADMIN_TIMEOUT.toSeconds() + " s"
                + (cause.getMessage() == null ? "" : ": " + cause.getMessage()), cause);
    }

    /**
     * Every region's effective state now, from what the topic holds (read to its end once): what
     * {@code outpost status} shows.
     *
     * @throws OutpostException.Retriable when Kafka cannot be reached within {@code timeout}
     */
    public static Map<String, RegionHealth> current(KafkaAccess kafka, Collection<String> regions,
                                                    Duration observationTtl, Duration timeout, InstantSource clock) {
        RegionStates states = new RegionStates(regions, observationTtl);
        long deadline = System.nanoTime() + timeout.toNanos();
        try (KafkaConsumer<String, byte[]> consumer = fromBeginning(kafka, "outpost-status")) {
            long end = consumer.endOffsets(List.of(PARTITION), timeout).getOrDefault(PARTITION, 0L);
            while (consumer.position(PARTITION, timeout) < end) {
                if (System.nanoTime() > deadline) {
                    throw new org.apache.kafka.common.errors.TimeoutException("read only up to offset "
                            + consumer.position(PARTITION) + " of " + end);
                }
                for (ConsumerRecord<String, byte[]> record : consumer.poll(Duration.ofMillis(200))) {
                    Observation observation = observation(record);
                    if (observation != null) {
                        states.record(observation);
                    }
                }
            }
        } catch (KafkaException e) {
            throw new OutpostException.Retriable("cannot read the region-state topic " + NAME + " on Kafka at "
                    + kafka + ": " + e.getMessage(), e);
        }
        states.evaluate(clock.instant());
        return states.effective();
    }

    private static final TopicPartition PARTITION = new TopicPartition(NAME, 0);

    /** A consumer of the topic's one partition, placed at its beginning. */
    private static KafkaConsumer<String, byte[]> fromBeginning(KafkaAccess kafka, String clientId) {
        Map<String, Object> config = kafka.clientConfig();
        config.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        config.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        config.put(ConsumerConfig.CLIENT_ID_CONFIG, clientId);
        config.put(ConsumerConfig.FETCH_MAX_WAIT_MS_CONFIG, 100);
        KafkaConsumer<String, byte[]> consumer = new KafkaConsumer<>(config, new StringDeserializer(),
                new ByteArrayDeserializer());
        consumer.assign(List.of(PARTITION));
        consumer.seekToBeginning(List.of(PARTITION));
        return consumer;
    }

    /**
     * The observation in {@code record}; null for a tombstone (a monitor that was removed) or a
     * record that is not an observation, which is logged and skipped.
     */
    private static Observation observation(ConsumerRecord<String, byte[]> record) {
        if (record.value() == null) {
            return null;
        }
        try {
            return ObservationCodec.decode(record.value());
        } catch (IllegalArgumentException e) {
            LOG.warn("skipped record {} at offset {} of {}: it is not an observation ({})", record.key(), record.offset(),
                    NAME, e.getMessage());
            return null;
        }
    }

    /** Publishes observations; a send that fails is logged and dropped (the next probe publishes afresh). */
    public static final class Publisher implements AutoCloseable {

        private final KafkaProducer<String, byte[]> producer;
        private final KafkaAccess kafka;

        private Publisher(KafkaAccess kafka, String clientId) {
            this.kafka = kafka;
            Map<String, Object> config = kafka.clientConfig();
            config.put(ProducerConfig.ACKS_CONFIG, "all");
            config.put(ProducerConfig.LINGER_MS_CONFIG, 0);
            // an observation older than a few probe intervals is worthless: do not retry for minutes
            config.put(ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, 10_000);
            config.put(ProducerConfig.REQUEST_TIMEOUT_MS_CONFIG, 5_000);
            config.put(ProducerConfig.MAX_BLOCK_MS_CONFIG, 5_000);
            config.put(ProducerConfig.CLIENT_ID_CONFIG, clientId);
            this.producer = new KafkaProducer<>(config, new StringSerializer(), new ByteArraySerializer());
        }

        public static Publisher open(KafkaAccess kafka, String clientId) {
            return new Publisher(kafka, clientId);
        }

        /** Sends {@code observation}; failures are logged, once per failed send. */
        public void publish(Observation observation) {
            try {
                producer.send(new ProducerRecord<>(NAME, observation.key(), ObservationCodec.encode(observation)),
                        (metadata, e) -> {
                            if (e != null) {
                                LOG.warn("could not publish the observation {} = {} to {} on {}: {}; the next probe "
                                        + "publishes a fresh one", observation.key(), observation.health(), NAME,
                                        kafka, e.getMessage());
                            }
                        });
            } catch (KafkaException e) {
                LOG.warn("could not publish the observation {} = {} to {} on {}: {}; the next probe publishes a "
                        + "fresh one", observation.key(), observation.health(), NAME, kafka, e.getMessage());
            }
        }

        @Override
        public void close() {
            producer.close(Duration.ofSeconds(2));
        }
    }

    /**
     * Reads the topic from its beginning on a thread of its own and hands every observation to
     * {@code sink}, until closed. Kafka being unreachable is retried by the consumer itself; a
     * record that is not an observation is logged and skipped.
     */
    public static final class Reader implements AutoCloseable {

        private final KafkaConsumer<String, byte[]> consumer;
        private final Thread thread;
        private volatile boolean closing;

        private Reader(KafkaAccess kafka, String clientId, Consumer<Observation> sink) {
            this.consumer = fromBeginning(kafka, clientId);
            this.thread = Thread.ofPlatform().daemon().name(clientId).unstarted(() -> run(sink));
        }

        public static Reader start(KafkaAccess kafka, String clientId, Consumer<Observation> sink) {
            Reader reader = new Reader(kafka, clientId, sink);
            reader.thread.start();
            return reader;
        }

        private void run(Consumer<Observation> sink) {
            try {
                while (!closing) {
                    ConsumerRecords<String, byte[]> records;
                    try {
                        records = consumer.poll(Duration.ofMillis(500));
                    } catch (WakeupException e) {
                        break;
                    } catch (KafkaException e) {
                        LOG.warn("cannot read the region-state topic {}: {}; retrying in 1 s", NAME, e.getMessage());
                        pause();
                        continue;
                    }
                    for (ConsumerRecord<String, byte[]> record : records) {
                        Observation observation = observation(record);
                        if (observation == null) {
                            continue;
                        }
                        try {
                            sink.accept(observation);
                        } catch (RuntimeException e) {
                            LOG.error("the observation {} at offset {} of {} could not be taken in; skipped", record.key(),
                                    record.offset(), NAME, e);
                        }
                    }
                }
            } finally {
                consumer.close();
            }
        }

        private void pause() {
            try {
                Thread.sleep(1_000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                closing = true;
            }
        }

        @Override
        public void close() {
            closing = true;
            consumer.wakeup();
            try {
                thread.join(5_000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }
}

package io.outpost.control;

import io.outpost.control.internal.ObservationCodec;
import io.outpost.core.OutpostException;
import io.outpost.core.config.KafkaAccess;
import io.outpost.core.region.Drain;
import io.outpost.core.region.Observation;
import io.outpost.core.region.RegionHealth;
import io.outpost.log.Topics;
import java.time.Duration;
import java.time.InstantSource;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.WakeupException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The region-state topic, {@code <log.topic-prefix>.regions} ({@code outpost.regions} by default):
 * compacted, one partition, key
 * {@code <region>/<monitor>}, value an {@link ObservationCodec observation}. Compaction keeps each
 * monitor's latest observation of each region, so a reader starting from the beginning learns the
 * current picture without replaying history.
 */
public final class RegionStateTopic {

    private static final Logger LOG = LoggerFactory.getLogger(RegionStateTopic.class);

    private RegionStateTopic() {
    }

    /** The topic's name on {@code kafka}: {@code <log.topic-prefix>.regions}. */
    public static String name(KafkaAccess kafka) {
        return kafka.topicPrefix() + ".regions";
    }

    /**
     * Creates the topic when missing (replicated as {@code log.replication-factor} says), or checks it.
     *
     * @throws OutpostException.Retriable when Kafka cannot be reached
     */
    public static void ensure(KafkaAccess kafka) {
        // compacted: the latest observation per key stays; a segment rolls every 10 minutes so
        // that old ones go instead of piling up in the active segment (which is never compacted)
        Topics.ensure(kafka, name(kafka), Map.of("cleanup.policy", "compact", "segment.ms", "600000",
                "min.cleanable.dirty.ratio", "0.5"), "the region-state topic");
    }

    /**
     * Every region's effective state now, from what the topic holds (read to its end once).
     *
     * @throws OutpostException.Retriable when Kafka cannot be reached within {@code timeout}
     */
    public static Map<String, RegionHealth> current(KafkaAccess kafka, Collection<String> regions,
                                                    Duration observationTtl, Duration timeout, InstantSource clock) {
        return snapshot(kafka, regions, observationTtl, timeout, clock).states();
    }

    /**
     * What the topic holds now (read to its end once): every region's effective state and the
     * operators' drains, by region, and the canary figures on each region by the monitor that
     * measured them — what {@code outpost status} shows.
     */
    public record Snapshot(Map<String, RegionHealth> states, Map<String, Drain> drains,
                           Map<String, Map<String, io.outpost.core.region.Canary>> canaries) {
    }

    /**
     * Reads the topic to its end once.
     *
     * @throws OutpostException.Retriable when Kafka cannot be reached within {@code timeout}
     */
    public static Snapshot snapshot(KafkaAccess kafka, Collection<String> regions, Duration observationTtl,
                                    Duration timeout, InstantSource clock) {
        RegionStates states = new RegionStates(regions, observationTtl);
        Map<String, Drain> drains = new java.util.TreeMap<>();
        long deadline = System.nanoTime() + timeout.toNanos();
        TopicPartition partition = partition(kafka);
        try (KafkaConsumer<String, byte[]> consumer = fromBeginning(kafka, "outpost-status")) {
            long end = consumer.endOffsets(List.of(partition), timeout).getOrDefault(partition, 0L);
            while (consumer.position(partition, timeout) < end) {
                if (System.nanoTime() > deadline) {
                    throw new org.apache.kafka.common.errors.TimeoutException("read only up to offset "
                            + consumer.position(partition) + " of " + end);
                }
                for (ConsumerRecord<String, byte[]> record : consumer.poll(Duration.ofMillis(200))) {
                    take(record, states::record, drain -> drains.put(drain.region(), drain));
                }
            }
        } catch (KafkaException e) {
            throw new OutpostException.Retriable("cannot read the region-state topic " + name(kafka) + " on Kafka at "
                    + kafka + ": " + e.getMessage(), e);
        }
        states.evaluate(clock.instant());
        return new Snapshot(states.effective(), drains, states.canaries(clock.instant()));
    }


    /** A consumer of the topic's one partition, placed at its beginning. */
    private static KafkaConsumer<String, byte[]> fromBeginning(KafkaAccess kafka, String clientId) {
        Map<String, Object> config = kafka.clientConfig();
        config.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        config.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        config.put(ConsumerConfig.CLIENT_ID_CONFIG, clientId);
        config.put(ConsumerConfig.FETCH_MAX_WAIT_MS_CONFIG, 100);
        KafkaConsumer<String, byte[]> consumer = new KafkaConsumer<>(config, new StringDeserializer(),
                new ByteArrayDeserializer());
        consumer.assign(List.of(partition(kafka)));
        consumer.seekToBeginning(List.of(partition(kafka)));
        return consumer;
    }

    /** The topic's one partition. */
    private static TopicPartition partition(KafkaAccess kafka) {
        return new TopicPartition(name(kafka), 0);
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
                    record.topic(), e.getMessage());
            return null;
        }
    }

    /**
     * Hands {@code record} to {@code observations} or {@code drains}, by its key; a record that
     * decodes as neither is logged and skipped.
     */
    private static void take(ConsumerRecord<String, byte[]> record, Consumer<Observation> observations,
                             Consumer<Drain> drains) {
        if (record.key() != null && record.key().startsWith(Drain.KEY_PREFIX)) {
            Drain drain = drain(record);
            if (drain != null) {
                drains.accept(drain);
            }
        } else {
            Observation observation = observation(record);
            if (observation != null) {
                observations.accept(observation);
            }
        }
    }

    /** The drain in {@code record}; null for one that does not decode, which is logged and skipped. */
    private static Drain drain(ConsumerRecord<String, byte[]> record) {
        if (record.value() == null) {
            return null;
        }
        try {
            return ObservationCodec.decodeDrain(record.value());
        } catch (IllegalArgumentException e) {
            LOG.warn("skipped record {} at offset {} of {}: it is not a drain ({})", record.key(), record.offset(),
                    record.topic(), e.getMessage());
            return null;
        }
    }

    /**
     * Publishes observations — a send that fails is logged and dropped (the next probe publishes
     * afresh) — and drains, which are waited for.
     */
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
                producer.send(new ProducerRecord<>(name(kafka), observation.key(), ObservationCodec.encode(observation)),
                        (metadata, e) -> {
                            if (e != null) {
                                LOG.warn("could not publish the observation {} = {} to {} on {}: {}; the next probe "
                                        + "publishes a fresh one", observation.key(), observation.health(), name(kafka),
                                        kafka, e.getMessage());
                            }
                        });
            } catch (KafkaException e) {
                LOG.warn("could not publish the observation {} = {} to {} on {}: {}; the next probe publishes a "
                        + "fresh one", observation.key(), observation.health(), name(kafka), kafka, e.getMessage());
            }
        }

        /**
         * Publishes {@code drain} and waits until the cluster has it.
         *
         * @throws OutpostException.Retriable when it is not acknowledged within 10 s
         */
        public void publish(Drain drain) {
            try {
                producer.send(new ProducerRecord<>(name(kafka), drain.key(), ObservationCodec.encode(drain)))
                        .get(10, java.util.concurrent.TimeUnit.SECONDS);
            } catch (java.util.concurrent.ExecutionException | java.util.concurrent.TimeoutException | KafkaException e) {
                Throwable cause = e instanceof java.util.concurrent.ExecutionException ? e.getCause() : e;
                throw new OutpostException.Retriable("the " + (drain.drained() ? "drain" : "undrain") + " of region "
                        + drain.region() + " could not be published to " + name(kafka) + " on Kafka at " + kafka + ": "
                        + cause.getMessage() + "; nothing changed, try again", cause);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new OutpostException("interrupted while publishing the drain of region " + drain.region(), e);
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
        private final String topic;
        private final Thread thread;
        private volatile boolean closing;

        private Reader(KafkaAccess kafka, String clientId, Consumer<Observation> sink, Consumer<Drain> drains) {
            this.consumer = fromBeginning(kafka, clientId);
            this.topic = name(kafka);
            this.thread = Thread.ofPlatform().daemon().name(clientId).unstarted(() -> run(sink, drains));
        }

        /** Starts reading observations; drains are skipped. */
        public static Reader start(KafkaAccess kafka, String clientId, Consumer<Observation> sink) {
            return start(kafka, clientId, sink, drain -> { });
        }

        /** Starts reading observations into {@code sink} and drains into {@code drains}. */
        public static Reader start(KafkaAccess kafka, String clientId, Consumer<Observation> sink, Consumer<Drain> drains) {
            Reader reader = new Reader(kafka, clientId, sink, drains);
            reader.thread.start();
            return reader;
        }

        private void run(Consumer<Observation> sink, Consumer<Drain> drains) {
            try {
                while (!closing) {
                    ConsumerRecords<String, byte[]> records;
                    try {
                        records = consumer.poll(Duration.ofMillis(500));
                    } catch (WakeupException e) {
                        break;
                    } catch (KafkaException e) {
                        LOG.warn("cannot read the region-state topic {}: {}; retrying in 1 s", topic, e.getMessage());
                        pause();
                        continue;
                    }
                    for (ConsumerRecord<String, byte[]> record : records) {
                        try {
                            take(record, sink, drains);
                        } catch (RuntimeException e) {
                            LOG.error("the record {} at offset {} of {} could not be taken in; skipped", record.key(),
                                    record.offset(), topic, e);
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

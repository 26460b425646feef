package io.outpost.log;

import io.outpost.core.SourcePosition;
import io.outpost.core.change.ChangeRecord;
import io.outpost.core.config.KafkaAccess;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;

/**
 * Reads a change log in order, from its start or from its end, without a consumer group (readers
 * keep their own place: a projector's is its watermark). Only the polling thread may use it.
 */
public final class ChangeLogReader implements AutoCloseable {

    /**
     * A record, its offset in the log, and its timestamp there (epoch milliseconds: when capture
     * sent it, unless the topic stamps the broker's append time).
     */
    public record Entry(long offset, long timestamp, ChangeRecord record) {
    }

    /** The most records one {@link #poll} returns: fewer means the reader has caught up with what it fetched. */
    public static final int MAX_POLL_RECORDS = 5000;

    private final KafkaConsumer<String, byte[]> consumer;

    private ChangeLogReader(KafkaConsumer<String, byte[]> consumer) {
        this.consumer = consumer;
    }

    /**
     * Opens a reader at {@code offset}; an offset below the log's start (retention removed it)
     * reads from the start.
     */
    public static ChangeLogReader openAt(KafkaAccess kafka, String topic, long offset) {
        ChangeLogReader reader = open(kafka, topic, true);
        reader.consumer.seek(new TopicPartition(topic, 0), offset);
        return reader;
    }

    /** The offset after the log's last record: how far the log reaches now. */
    public long endOffset(String topic) {
        TopicPartition partition = new TopicPartition(topic, 0);
        return consumer.endOffsets(List.of(partition)).get(partition);
    }

    /** Opens a reader at the log's start ({@code fromBeginning}) or at its current end. */
    public static ChangeLogReader open(KafkaAccess kafka, String topic, boolean fromBeginning) {
        Map<String, Object> config = kafka.clientConfig();
        config.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        config.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        config.put(ConsumerConfig.MAX_POLL_RECORDS_CONFIG, MAX_POLL_RECORDS);
        // a seek below the log's start (retention deleted it) goes to the start, never past data
        config.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        KafkaConsumer<String, byte[]> consumer = new KafkaConsumer<>(config, new StringDeserializer(),
                new ByteArrayDeserializer());
        TopicPartition partition = new TopicPartition(topic, 0);
        consumer.assign(List.of(partition));
        if (fromBeginning) {
            consumer.seekToBeginning(List.of(partition));
        } else {
            consumer.seekToEnd(List.of(partition));
        }
        return new ChangeLogReader(consumer);
    }

    /**
     * The position up to which the log is complete: that of its last transaction end, fence or
     * heartbeat. Row and schema records after it belong to a transaction whose end never made it
     * into the log (its writer died); they will be written again, whole. {@link SourcePosition#ZERO}
     * for an empty log.
     */
    public static SourcePosition completeUpTo(KafkaAccess kafka, String topic) {
        try (ChangeLogReader reader = open(kafka, topic, false)) {
            TopicPartition partition = new TopicPartition(topic, 0);
            long end = reader.consumer.position(partition);
            long window = 1000;
            while (true) {
                long from = Math.max(0, end - window);
                reader.consumer.seek(partition, from);
                SourcePosition complete = null;
                long next = from;
                while (next < end) {
                    for (ConsumerRecord<String, byte[]> record : reader.consumer.poll(Duration.ofMillis(500))) {
                        ChangeRecord decoded = ChangeCodec.decode(record.value());
                        if (!(decoded instanceof io.outpost.core.change.RowChange)
                                && !(decoded instanceof io.outpost.core.change.TableSchema)) {
                            complete = decoded.position();
                        }
                    }
                    // the consumer's position, not the last record's offset: it also moves past gaps
                    next = reader.consumer.position(partition);
                }
                if (complete != null) {
                    return complete;
                }
                if (from == 0) {
                    return SourcePosition.ZERO;
                }
                window *= 4;
            }
        }
    }

    /** The next records, waiting up to {@code timeout} for the first; may be empty. */
    public List<Entry> poll(Duration timeout) {
        List<Entry> entries = new ArrayList<>();
        for (ConsumerRecord<String, byte[]> record : consumer.poll(timeout)) {
            entries.add(new Entry(record.offset(), record.timestamp(), ChangeCodec.decode(record.value())));
        }
        return entries;
    }

    /** Makes a {@link #poll} in progress, or the next, end early with Kafka's WakeupException; any thread may call it. */
    public void wakeup() {
        consumer.wakeup();
    }

    @Override
    public void close() {
        consumer.close();
    }
}

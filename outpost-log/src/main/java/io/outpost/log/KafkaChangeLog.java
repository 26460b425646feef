package io.outpost.log;

import io.outpost.core.OutpostException;
import io.outpost.core.change.ChangeRecord;
import io.outpost.core.config.KafkaAccess;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicBoolean;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;

/**
 * The change log on Kafka: one topic, one partition (so the log is in commit order), an idempotent
 * producer with {@code acks=all} (so a retried send neither reorders nor duplicates). Record key:
 * {@code <position>/<seq>}; value: the {@link ChangeCodec} envelope.
 */
public final class KafkaChangeLog implements ChangeLog {

    /** A row change can carry large values (text, bytea, json up to 1 GB in PostgreSQL): 64 MiB a record. */
    static final int MAX_RECORD_BYTES = 64 << 20;

    private final String topic;
    private final KafkaProducer<String, byte[]> producer;
    /** Runs {@link KafkaProducer#flush} for {@link #sendNow}, which must not wait for it. */
    private final ExecutorService sender;
    private final AtomicBoolean sendRequested = new AtomicBoolean();
    /** The first refused record: after it this log sends nothing more (a new one must be opened). */
    private volatile OutpostException failure;

    private KafkaChangeLog(String topic, KafkaProducer<String, byte[]> producer) {
        this.topic = topic;
        this.producer = producer;
        this.sender = Executors.newSingleThreadExecutor(r -> {
            Thread t = new Thread(r, "outpost-log-sender-" + topic);
            t.setDaemon(true);
            return t;
        });
    }

    /**
     * Opens the log, creating its topic when missing.
     *
     * @param retention how long records are kept; empty keeps them forever
     * @throws OutpostException.Retriable when Kafka cannot be reached
     * @throws OutpostException when the topic exists with more than one partition
     */
    public static KafkaChangeLog open(KafkaAccess kafka, String topic, Optional<Duration> retention) {
        ensureTopic(kafka, topic, retention);
        Map<String, Object> config = kafka.clientConfig();
        config.put(ProducerConfig.ACKS_CONFIG, "all");
        config.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
        config.put(ProducerConfig.MAX_IN_FLIGHT_REQUESTS_PER_CONNECTION, 5);
        // A record waits up to 20 ms for more to share a request with, unless the writer says it has
        // nothing more for now (sendNow, flush), which capture does after each of the engine's
        // batches: a request then carries what a batch appended, and the broker handles a few large
        // requests instead of many small ones (bulk capture went from 0.84 to about 1.0 of the bare
        // engine, docs/decisions.md) without a lone transaction waiting for the linger.
        config.put(ProducerConfig.LINGER_MS_CONFIG, 20);
        // Batches of up to 256 KiB rather than 16: at bulk rates a request carries a whole
        // transaction's records, which cut the broker's and the producer's CPU per record (bulk
        // capture 0.71 → 0.77-0.83 of the bare engine, docs/decisions.md); a lone transaction still goes at once.
        config.put(ProducerConfig.BATCH_SIZE_CONFIG, 256 << 10);
        config.put(ProducerConfig.COMPRESSION_TYPE_CONFIG, "lz4");
        config.put(ProducerConfig.CLIENT_ID_CONFIG, "outpost-log-" + topic);
        config.put(ProducerConfig.MAX_REQUEST_SIZE_CONFIG, MAX_RECORD_BYTES);
        return new KafkaChangeLog(topic, new KafkaProducer<>(config, new StringSerializer(), new ByteArraySerializer()));
    }

    /**
     * Creates {@code topic} (1 partition, replicated as {@code log.replication-factor} says) when
     * missing; checks it has one partition when present ({@link Topics}). A topic it creates stamps
     * each record with the broker's append time ({@code LogAppendTime}): where the projectors' stage
     * of freshness starts ({@code outpost_freshness_stage_seconds{stage="polled"}}), so that it does
     * not overlap capture's, which ends when the append is durable.
     */
    public static void ensureTopic(KafkaAccess kafka, String topic, Optional<Duration> retention) {
        Map<String, String> configs = Map.of("retention.ms", Long.toString(retention.map(Duration::toMillis).orElse(-1L)),
                "cleanup.policy", "delete", "max.message.bytes", Integer.toString(MAX_RECORD_BYTES),
                "message.timestamp.type", "LogAppendTime");
        Topics.Outcome outcome = Topics.ensure(kafka, topic, configs, "the change log");
        int partitions = outcome.description().partitions().size();
        if (partitions != 1) {
            throw new OutpostException("the change log topic " + topic + " has " + partitions
                    + " partitions; it must have exactly 1 so that it keeps commit order. Recreate it with 1 partition");
        }
    }

    @Override
    public String topic() {
        return topic;
    }

    /**
     * {@inheritDoc}
     *
     * <p>One partition and an idempotent producer: acknowledgements come in send order, so the
     * last record's completes the whole append; earlier records only report a failure.
     */
    @Override
    public CompletableFuture<Void> append(List<? extends ChangeRecord> records) {
        CompletableFuture<Void> done = new CompletableFuture<>();
        if (records.isEmpty()) {
            done.complete(null);
            return done;
        }
        int last = records.size() - 1;
        for (int i = 0; i <= last; i++) {
            OutpostException earlier = failure;
            if (earlier != null) {
                // never send past a record the log refused: the log must not get a gap
                done.completeExceptionally(earlier);
                return done;
            }
            ChangeRecord record = records.get(i);
            boolean isLast = i == last;
            producer.send(new ProducerRecord<>(topic, 0, record.position() + "/" + record.sequence(),
                    ChangeCodec.encode(record)), (metadata, error) -> {
                if (error != null) {
                    OutpostException refused = new OutpostException.Retriable("the change log " + topic
                            + " did not take the record at " + record.position() + "/" + record.sequence() + ": "
                            + error.getMessage(), error);
                    if (failure == null) {
                        failure = refused;
                    }
                    done.completeExceptionally(refused);
                } else if (isLast) {
                    done.complete(null);
                }
            });
        }
        return done;
    }

    /**
     * {@inheritDoc}
     *
     * <p>The producer's only way to send at once is {@link KafkaProducer#flush}, which blocks until
     * everything is acknowledged: it runs on a thread of its own. Requests that come while one runs
     * are folded into one more; one that comes after the flag is cleared gets a flush of its own,
     * so no append is left to the linger.
     */
    @Override
    public void sendNow() {
        if (sendRequested.compareAndSet(false, true)) {
            try {
                sender.execute(() -> {
                    sendRequested.set(false);
                    try {
                        producer.flush();
                    } catch (RuntimeException closedMeanwhile) {
                        // flush fails only when the producer is closed or the thread interrupted, and
                        // close() sends what is left; a record's own failure reaches its append's future
                    }
                });
            } catch (java.util.concurrent.RejectedExecutionException closed) {
                sendRequested.set(false); // closing: close() sends what is left
            }
        }
    }

    @Override
    public void flush() {
        producer.flush();
        OutpostException refused = failure;
        if (refused != null) {
            throw refused;
        }
    }

    @Override
    public void close() {
        sender.shutdown();
        producer.close(Duration.ofSeconds(30));
    }
}

package io.outpost.log;

import io.outpost.core.change.ChangeRecord;
import java.util.List;
import java.util.concurrent.CompletableFuture;

/**
 * A source's durable, ordered change log ({@code outpost.<source>.changes}). Records are appended
 * in the order given and read back in that order by every region.
 */
public interface ChangeLog extends AutoCloseable {

    /** The log's name (the Kafka topic). */
    String topic();

    /**
     * Appends {@code records} after everything appended before, in order. They may be held back for
     * a moment (in {@link KafkaChangeLog}, up to its linger of 20 ms) to share a request with the
     * next appends; a writer with nothing more to append for now calls {@link #sendNow} or
     * {@link #flush}.
     *
     * @return completes when every record is durable (acknowledged by all in-sync replicas), or
     *         exceptionally with an {@link io.outpost.core.OutpostException.Retriable} when the log
     *         could not take them; nothing after a failed record is appended
     */
    CompletableFuture<Void> append(List<? extends ChangeRecord> records);

    /**
     * Sends everything appended so far without waiting for more to batch it with, and returns at
     * once: the appends' futures say when it is durable.
     */
    void sendNow();

    /**
     * Sends everything appended so far and waits until it is durable.
     *
     * @throws io.outpost.core.OutpostException.Retriable when the log could not take a record
     */
    void flush();

    /** Flushes what was appended and releases the connection. */
    @Override
    void close();
}

package io.outpost.log;

import io.outpost.core.config.KafkaAccess;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.common.errors.WakeupException;

/**
 * A {@link ChangeLogReader} that reads ahead: a thread of its own fetches and decodes the next
 * records while the caller applies the ones before, so that decoding overlaps the caller's work
 * in the store. At most {@link #DEPTH} polls wait unread. The records come out in log order, as
 * from the reader itself; a failure of the reading thread is thrown by the next {@link #poll}.
 *
 * <p>Thread confinement: one caller thread polls; {@link #close} may come from any thread.
 */
public final class ReadAhead implements AutoCloseable {

    /** Polls read ahead, at most. */
    static final int DEPTH = 2;

    /** What the reading thread hands over: records, or the failure that stopped it. */
    private sealed interface Item permits Records, Failed {
    }

    private record Records(List<ChangeLogReader.Entry> entries) implements Item {
    }

    private record Failed(RuntimeException failure) implements Item {
    }

    private final ChangeLogReader reader;
    private final BlockingQueue<Item> queue = new ArrayBlockingQueue<>(DEPTH);
    private final Thread thread;
    private volatile boolean closing;
    private boolean failed;

    private ReadAhead(ChangeLogReader reader, String threadName) {
        this.reader = reader;
        this.thread = Thread.ofPlatform().name(threadName).daemon().start(this::read);
    }

    /** Starts reading ahead at {@code offset} (as {@link ChangeLogReader#openAt}). */
    public static ReadAhead openAt(KafkaAccess kafka, String topic, long offset, String threadName) {
        return new ReadAhead(ChangeLogReader.openAt(kafka, topic, offset), threadName);
    }

    private void read() {
        try {
            while (!closing) {
                List<ChangeLogReader.Entry> entries = reader.poll(Duration.ofMillis(500));
                if (!entries.isEmpty()) {
                    Records records = new Records(entries);
                    while (!closing && !queue.offer(records, 100, TimeUnit.MILLISECONDS)) {
                        // the caller is behind: wait for room
                    }
                }
            }
        } catch (WakeupException | InterruptedException e) {
            // closing
        } catch (RuntimeException | Error e) {
            RuntimeException failure = e instanceof RuntimeException runtime ? runtime
                    : new IllegalStateException("reading the change log failed: " + e, e);
            try {
                while (!closing && !queue.offer(new Failed(failure), 100, TimeUnit.MILLISECONDS)) {
                    // the caller takes what was read before the failure first
                }
            } catch (InterruptedException interrupted) {
                // closing
            }
        } finally {
            reader.close();
        }
    }

    /**
     * The next records read, waiting up to {@code timeout} for some; may be empty.
     *
     * @throws RuntimeException what stopped the reading thread (the broker unreachable beyond
     *                          the consumer's own retries, a record that does not decode)
     */
    public List<ChangeLogReader.Entry> poll(Duration timeout) throws InterruptedException {
        if (failed) {
            throw new IllegalStateException("this read-ahead stopped after a failure; open a new one");
        }
        Item item = timeout.isZero() ? queue.poll() : queue.poll(timeout.toNanos(), TimeUnit.NANOSECONDS);
        return switch (item) {
            case null -> List.of();
            case Records records -> records.entries();
            case Failed f -> {
                failed = true;
                throw f.failure();
            }
        };
    }

    /** Whether records already read wait to be polled: the caller is not caught up with the log. */
    public boolean hasBacklog() {
        return !queue.isEmpty();
    }

    /** Stops the reading thread and closes the consumer; records read and not polled are dropped. */
    @Override
    public void close() {
        closing = true;
        reader.wakeup();
        try {
            thread.join();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}

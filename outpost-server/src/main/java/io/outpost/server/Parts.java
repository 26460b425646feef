package io.outpost.server;

import java.util.ArrayDeque;
import java.util.Deque;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What a process started, in order, to be stopped the other way round: the demo's parts, a
 * deployment's roles. A part that fails to stop is logged and the rest are still stopped.
 *
 * <p>Thread safety: started by one thread, closed by one (the shutdown hook); not both at once.
 */
public final class Parts implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(Parts.class);

    private final Deque<AutoCloseable> started = new ArrayDeque<>();

    /** Remembers {@code part} as started; returns it. */
    public <T extends AutoCloseable> T push(T part) {
        started.push(part);
        return part;
    }

    /** Stops every part, the last started first. */
    @Override
    public void close() {
        while (!started.isEmpty()) {
            AutoCloseable part = started.pop();
            try {
                part.close();
            } catch (Exception e) {
                LOG.warn("stopping {} failed: {}", part.getClass().getSimpleName(), e.toString());
            }
        }
    }
}

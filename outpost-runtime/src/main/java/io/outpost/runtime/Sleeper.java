package io.outpost.runtime;

import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * How a supervisor waits between attempts: for a duration, or less when it is woken (it is
 * closing). Injected, so that a test sees the backoff asked for without waiting for it.
 */
@FunctionalInterface
public interface Sleeper {

    /**
     * Waits {@code duration}, or until {@code wake} has counted down, whichever comes first.
     *
     * @return whether it was woken before the duration passed
     */
    boolean sleep(Duration duration, CountDownLatch wake) throws InterruptedException;

    /** Really waits. */
    static Sleeper system() {
        return (duration, wake) -> wake.await(duration.toNanos(), TimeUnit.NANOSECONDS);
    }
}

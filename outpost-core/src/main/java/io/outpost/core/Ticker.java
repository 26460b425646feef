package io.outpost.core;

/**
 * Monotonic time in nanoseconds, for measuring durations (never for dates): injected, so that a
 * test can advance it instead of sleeping. (Caffeine's {@code Ticker}.)
 */
@FunctionalInterface
public interface Ticker {

    /** Nanoseconds since an arbitrary origin; only differences mean anything. */
    long read();

    /** {@link System#nanoTime()}. */
    static Ticker system() {
        return System::nanoTime;
    }
}

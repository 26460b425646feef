package io.outpost.it.bench;

import java.util.concurrent.locks.LockSupport;

/** Waiting for the next transaction's due time without burning a core (the system under test needs it). */
final class Pacing {

    private Pacing() {
    }

    /** Returns at {@code due} (a {@link System#nanoTime} value) or just after; parks, then spins the last 100 µs. */
    static void awaitDue(long due) {
        long remaining;
        while ((remaining = due - System.nanoTime()) > 100_000) {
            LockSupport.parkNanos(remaining - 100_000);
        }
        while (System.nanoTime() < due) {
            Thread.onSpinWait();
        }
    }
}

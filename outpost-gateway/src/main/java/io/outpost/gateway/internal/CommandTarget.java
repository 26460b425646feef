package io.outpost.gateway.internal;

import io.github.resilience4j.bulkhead.Bulkhead;
import io.github.resilience4j.circuitbreaker.CircuitBreaker;
import java.net.URI;
import java.time.Duration;

/**
 * Where a command can go: the monolith (this region has a route to it) or another region's
 * gateway, each with its own breaker and bulkhead.
 *
 * @param timeout how long one attempt may take
 * @param opened  when the breaker last opened, which the breaker itself does not tell
 */
public record CommandTarget(String name, URI url, boolean monolith, Duration timeout, CircuitBreaker breaker,
                            Bulkhead bulkhead, Opened opened) {

    /**
     * Whether the breaker refuses commands now: forced open, or open and still within its wait. Once
     * the wait is over the next command goes through as a trial, so a target nobody has sent to since
     * is not taken for broken for good (the breaker moves to half-open only when asked).
     */
    public boolean refusing() {
        return switch (breaker.getState()) {
            case FORCED_OPEN -> true;
            case OPEN -> System.nanoTime() - opened.nanos < opened.wait.toNanos();
            default -> false;
        };
    }

    /** When a breaker last moved to OPEN, and how long it then waits before a trial (its configured wait). */
    public static final class Opened {

        private final Duration wait;
        private volatile long nanos;

        Opened(CircuitBreaker breaker) {
            this.wait = Duration.ofMillis(breaker.getCircuitBreakerConfig().getWaitIntervalFunctionInOpenState().apply(1));
            this.nanos = System.nanoTime();
            breaker.getEventPublisher().onStateTransition(event -> {
                if (event.getStateTransition().getToState() == CircuitBreaker.State.OPEN) {
                    nanos = System.nanoTime();
                }
            });
        }
    }
}

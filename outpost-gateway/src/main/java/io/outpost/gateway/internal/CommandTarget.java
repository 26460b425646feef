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
 */
public record CommandTarget(String name, URI url, boolean monolith, Duration timeout, CircuitBreaker breaker,
                            Bulkhead bulkhead) {
}

package io.outpost.gateway.internal;

import io.github.resilience4j.bulkhead.BulkheadConfig;
import io.github.resilience4j.bulkhead.BulkheadRegistry;
import io.github.resilience4j.circuitbreaker.CircuitBreaker;
import io.github.resilience4j.circuitbreaker.CircuitBreakerConfig;
import io.github.resilience4j.circuitbreaker.CircuitBreakerRegistry;
import java.net.URI;
import java.time.Duration;
import java.util.Map;

/**
 * Makes a gateway's command targets with Outpost's breaker and bulkhead settings, in registries
 * tagged with the region (which the metrics bind). A breaker opens at 50 % failures or 80 % slow
 * calls (slower than half the target's timeout) over the last 20 calls, at least 5; it lets 2 trial
 * calls through after 5 s. A bulkhead lets {@code maxConcurrent} commands (64) be in flight to a
 * target; one more waits up to {@code maxWait} (1 s) for its turn, then is refused.
 */
public final class CommandTargets {

    /** The name the monolith's target has. */
    public static final String MONOLITH = "monolith";
    /** How long an open breaker refuses before it lets a trial command through. */
    private static final Duration OPEN_WAIT = Duration.ofSeconds(5);

    private final Map<String, String> tags;
    private final Duration openWait;
    private final CircuitBreakerRegistry breakers = CircuitBreakerRegistry.ofDefaults();
    private final BulkheadRegistry bulkheads;

    /** Targets of {@code region}'s gateway with the bulkhead's defaults. */
    public CommandTargets(String region) {
        this(region, 64, Duration.ofSeconds(1), OPEN_WAIT);
    }

    CommandTargets(String region, int maxConcurrent, Duration maxWait) {
        this(region, maxConcurrent, maxWait, OPEN_WAIT);
    }

    CommandTargets(String region, int maxConcurrent, Duration maxWait, Duration openWait) {
        this.openWait = openWait;
        this.tags = Map.of("region", region);
        this.bulkheads = BulkheadRegistry.of(BulkheadConfig.custom().maxConcurrentCalls(maxConcurrent)
                .maxWaitDuration(maxWait).build(), tags);
    }

    /** The monolith, reached directly. */
    public CommandTarget monolith(URI url, Duration timeout) {
        return target(MONOLITH, url, true, timeout);
    }

    /** Another region's gateway. */
    public CommandTarget region(String name, URI url, Duration timeout) {
        return target(name, url, false, timeout);
    }

    private CommandTarget target(String name, URI url, boolean monolith, Duration timeout) {
        CircuitBreakerConfig breaker = CircuitBreakerConfig.custom()
                .slidingWindowType(CircuitBreakerConfig.SlidingWindowType.COUNT_BASED)
                .slidingWindowSize(20)
                .minimumNumberOfCalls(5)
                .failureRateThreshold(50)
                .slowCallDurationThreshold(timeout.dividedBy(2))
                .slowCallRateThreshold(80)
                .waitDurationInOpenState(openWait)
                .permittedNumberOfCallsInHalfOpenState(2)
                .maxWaitDurationInHalfOpenState(Duration.ofSeconds(10))
                .automaticTransitionFromOpenToHalfOpenEnabled(false)
                .build();
        CircuitBreaker circuitBreaker = breakers.circuitBreaker(name, breaker, tags);
        return new CommandTarget(name, url, monolith, timeout, circuitBreaker, bulkheads.bulkhead(name),
                new CommandTarget.Opened(circuitBreaker));
    }

    /** Every target's breaker, for metrics. */
    public CircuitBreakerRegistry breakers() {
        return breakers;
    }

    /** Every target's bulkhead, for metrics. */
    public BulkheadRegistry bulkheads() {
        return bulkheads;
    }
}

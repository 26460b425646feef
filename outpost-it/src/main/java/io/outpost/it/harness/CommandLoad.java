package io.outpost.it.harness;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Clients placing orders through one gateway at a steady rate, each with an {@code Idempotency-Key}
 * of its own, retrying with the same key as a careful client does — after {@code Retry-After} on
 * 503 and on a 504 that says the outcome is unknown, at once on another 504, on 502, on a 500 (the
 * monolith's own error: its database crashed under it) and on 409 (the first attempt is still in
 * flight), after a short pause on a connection that fails — until the command is acknowledged
 * (2xx), its outcome was unknown twice in a row (the region that sent it is gone with its answer:
 * {@link Failed#outcomeUnknown}), or a minute has passed. Every acknowledgement is kept with its
 * times, route and the errors before it, so a test
 * can check that none was lost or applied twice and a benchmark can say how long a failover cost.
 */
public final class CommandLoad implements AutoCloseable {

    /** Give up on a command after this long. */
    private static final Duration GIVE_UP = Duration.ofSeconds(60);

    /**
     * One acknowledged command.
     *
     * @param firstSentNanos {@link System#nanoTime} of its first attempt
     * @param ackedNanos     of its acknowledgement
     * @param answeredNanos  of its first answer that settled something: this acknowledgement, or an
     *                       earlier 504 saying the outcome is unknown (the retry was then acknowledged)
     * @param route          the region that sent it to the monolith ({@code Outpost-Route})
     * @param errors         what the attempts before the acknowledgement got: a status, or {@code -1}
     *                       for a failed connection
     */
    public record Acked(String key, long firstSentNanos, long ackedNanos, long answeredNanos, String route, int status,
                        List<Integer> errors) {

        /** From its first attempt to its acknowledgement. */
        public Duration waited() {
            return Duration.ofNanos(ackedNanos - firstSentNanos);
        }
    }

    /**
     * A command that was refused for good (a 4xx that a retry cannot mend) or given up on.
     *
     * @param answeredNanos  {@link System#nanoTime} of its first answer that settled something (a 504
     *                       saying the outcome is unknown, a 4xx), 0 when none came
     * @param outcomeUnknown whether Outpost said it may or may not have been applied (and would not send it again)
     */
    public record Failed(String key, long firstSentNanos, long answeredNanos, String why, boolean outcomeUnknown) {
    }

    private final HttpClient http;
    private final String gatewayUrl;
    private final Duration attemptTimeout;
    private final int customers;
    private final int products;
    private final ExecutorService clients = Executors.newVirtualThreadPerTaskExecutor();
    private final Thread pacer;
    private final ConcurrentLinkedQueue<Acked> acked = new ConcurrentLinkedQueue<>();
    private final ConcurrentLinkedQueue<Failed> failed = new ConcurrentLinkedQueue<>();
    private final Map<Integer, AtomicLong> errorsByStatus = new ConcurrentHashMap<>();
    private final AtomicLong sent = new AtomicLong();
    private final java.util.Set<String> keys = ConcurrentHashMap.newKeySet();
    private final AtomicLong inFlight = new AtomicLong();
    private volatile long intervalNanos;
    private volatile boolean stopping;

    private CommandLoad(String gatewayUrl, double perSecond, Duration attemptTimeout, int customers, int products, long seed) {
        this.http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
        this.gatewayUrl = gatewayUrl;
        this.attemptTimeout = attemptTimeout;
        this.customers = customers;
        this.products = products;
        Random random = new Random(seed);
        rate(perSecond);
        this.pacer = Thread.ofPlatform().daemon().name("command-load-pacer").start(() -> {
            long next = System.nanoTime();
            while (!stopping) {
                long customer = 1 + random.nextInt(this.customers);
                long product = 1 + random.nextInt(this.products);
                sent.incrementAndGet();
                inFlight.incrementAndGet();
                clients.execute(() -> place(customer, product));
                next += intervalNanos;
                long sleep = next - System.nanoTime();
                if (sleep > 0) {
                    try {
                        TimeUnit.NANOSECONDS.sleep(sleep);
                    } catch (InterruptedException e) {
                        return;
                    }
                }
            }
        });
    }

    /** From now on, places {@code perSecond} orders a second (a benchmark ramps up to its rate). */
    public void rate(double perSecond) {
        if (!(perSecond > 0)) {
            throw new IllegalArgumentException("a rate must be positive, not " + perSecond);
        }
        intervalNanos = (long) (1e9 / perSecond);
    }

    /**
     * Starts placing {@code perSecond} orders a second through {@code gatewayUrl}, for customers
     * {@code 1..customers} and products {@code 1..products}, one attempt waiting at most
     * {@code attemptTimeout}.
     */
    public static CommandLoad start(String gatewayUrl, double perSecond, Duration attemptTimeout, int customers, int products,
                                    long seed) {
        return new CommandLoad(gatewayUrl, perSecond, attemptTimeout, customers, products, seed);
    }

    private void place(long customer, long product) {
        String key = "load-" + UUID.randomUUID();
        keys.add(key);
        long first = System.nanoTime();
        int unknown = 0;
        long answered = 0;
        List<Integer> errors = new ArrayList<>();
        String body = "{\"customer_id\": " + customer + ", \"lines\": [{\"product_id\": " + product + ", \"qty\": 1}]}";
        HttpRequest request = HttpRequest.newBuilder(URI.create(gatewayUrl + "/orders")).timeout(attemptTimeout)
                .header("Content-Type", "application/json").header("Idempotency-Key", key)
                .POST(HttpRequest.BodyPublishers.ofString(body)).build();
        try {
            while (true) {
                long pauseMillis;
                try {
                    HttpResponse<String> response = http.send(request, HttpResponse.BodyHandlers.ofString());
                    int status = response.statusCode();
                    if (status >= 200 && status < 300) {
                        long now = System.nanoTime();
                        acked.add(new Acked(key, first, now, answered == 0 ? now : answered, response.headers().firstValue("Outpost-Route").orElse(""),
                                status, List.copyOf(errors)));
                        return;
                    }
                    count(status);
                    errors.add(status);
                    boolean outcomeUnknown = status == 504 && response.body().contains("command-outcome-unknown");
                    unknown = outcomeUnknown ? unknown + 1 : 0;
                    if (outcomeUnknown && answered == 0) {
                        answered = System.nanoTime();
                    }
                    if (unknown == 2) {
                        failed.add(new Failed(key, first, answered, "HTTP 504: " + response.body(), true));
                        return;
                    }
                    if (status == 503 || status == 429 || outcomeUnknown) {
                        pauseMillis = Math.min(outcomeUnknown ? 5000 : 1000,
                                1000L * response.headers().firstValueAsLong("Retry-After").orElse(1));
                    } else if (status == 504 || status == 409 || status == 502 || status == 500) {
                        pauseMillis = 50;
                    } else {
                        failed.add(new Failed(key, first, System.nanoTime(), "HTTP " + status + ": " + response.body(), false));
                        return;
                    }
                } catch (IOException e) {
                    count(-1);
                    errors.add(-1);
                    pauseMillis = 100;
                }
                if (System.nanoTime() - first > GIVE_UP.toNanos()) {
                    failed.add(new Failed(key, first, answered, "not acknowledged within " + GIVE_UP.toSeconds() + " s; got " + errors, false));
                    return;
                }
                Thread.sleep(pauseMillis);
            }
        } catch (InterruptedException e) {
            failed.add(new Failed(key, first, answered, "interrupted after " + errors, false));
        } finally {
            inFlight.decrementAndGet();
        }
    }

    private void count(int status) {
        errorsByStatus.computeIfAbsent(status, s -> new AtomicLong()).incrementAndGet();
    }

    /** The keys of every command started. */
    public java.util.Set<String> keys() {
        return java.util.Set.copyOf(keys);
    }

    /** Commands started. */
    public long sent() {
        return sent.get();
    }

    /** Acknowledged commands so far, in the order they were acknowledged. */
    public List<Acked> acknowledged() {
        return List.copyOf(acked);
    }

    /** Commands started and not yet acknowledged, failed or given up on. */
    public long inFlight() {
        return inFlight.get();
    }

    /** Commands refused for good or given up on. */
    public List<Failed> failed() {
        return List.copyOf(failed);
    }

    /** Errors clients saw (status, or -1 for a failed connection) and how often. */
    public Map<Integer, Long> errors() {
        Map<Integer, Long> copy = new java.util.TreeMap<>();
        errorsByStatus.forEach((status, n) -> copy.put(status, n.get()));
        return copy;
    }

    /** Acknowledged commands routed through {@code region} whose first attempt came after {@code sinceNanos}. */
    public long acknowledgedVia(String region, long sinceNanos) {
        return acked.stream().filter(a -> a.route().equals(region) && a.firstSentNanos() >= sinceNanos).count();
    }

    /** Stops starting commands and waits up to {@code atMost} for those in flight to end. */
    public void stop(Duration atMost) {
        stopping = true;
        pacer.interrupt();
        long deadline = System.nanoTime() + atMost.toNanos();
        while (inFlight.get() > 0 && System.nanoTime() < deadline) {
            try {
                Thread.sleep(50);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
    }

    @Override
    public void close() {
        stop(Duration.ofSeconds(90));
        clients.shutdownNow();
    }
}

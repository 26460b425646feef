package io.outpost.it.chaos;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
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
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Clients of a deployment under chaos: each places orders of one to three lines through a random
 * region with an {@code Idempotency-Key}, then pays a third of them and cancels a sixth, each command
 * with a key of its own, retrying with the same key through a random region as a careful client does
 * (after {@code Retry-After} on 503 and on a 504 whose outcome is unknown, soon on a 409 that says the
 * command is in flight, 502, another 504 and a failed connection); it reads each acknowledged
 * command's order back with its token from a random region, and between commands reads a recent order
 * from a random region without a token. What it keeps is for the checkers:
 * <ul>
 *   <li>every acknowledged command (key, order location, lines, the state it left) — at the source
 *       exactly once;</li>
 *   <li>read-your-writes violations: a region that reached the command's token but did not show the
 *       order, or showed it in another state than the command left it in;</li>
 *   <li>partial transactions: an order shown with fewer or more lines than were placed in its one
 *       transaction;</li>
 *   <li>requests that outlived their timeout: an attempt answered (or given up) later than the
 *       deployment's command timeout plus a second — and plus the longest a process may be stopped
 *       (SIGSTOP) while holding one.</li>
 * </ul>
 * Unavailability — refused connections, 503s, a read that cannot reach the token in time — is not a
 * violation: it is counted, and the client goes on.
 */
public final class Workload implements AutoCloseable {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Duration GIVE_UP = Duration.ofSeconds(90);

    /**
     * An acknowledged command on an order: its placing, paying or cancelling.
     *
     * @param lines  the lines it was placed with
     * @param status what the command left it in (PLACED, PAID, CANCELLED)
     */
    public record Placed(String key, String location, int lines, String status, String region, String route) {
    }

    private final List<String> regions;
    private final Map<String, String> gateways;
    private final Duration requestBound;
    private final int products;
    private final HttpClient http;
    private final List<Thread> clients = new ArrayList<>();
    private volatile boolean stopping;

    private final ConcurrentLinkedQueue<Placed> placed = new ConcurrentLinkedQueue<>();
    private final Set<String> keys = ConcurrentHashMap.newKeySet();
    private final List<String> unknown = new CopyOnWriteArrayList<>();
    private final List<String> gaveUp = new CopyOnWriteArrayList<>();
    private final List<String> readYourWrites = new CopyOnWriteArrayList<>();
    private final List<String> partial = new CopyOnWriteArrayList<>();
    private final List<String> outlived = new CopyOnWriteArrayList<>();
    private final AtomicLong unavailable = new AtomicLong();
    private final AtomicLong reads = new AtomicLong();
    private final AtomicLong maxStalenessMs = new AtomicLong();

    /**
     * Starts {@code clients} clients.
     *
     * @param gateways       each region's gateway URL, by region
     * @param commandTimeout the deployment's {@code commands.timeout}: no answer may take longer, plus a second
     *                       and {@code allowance}
     * @param allowance      the longest a process may be stopped (SIGSTOP) holding a request
     * @param customers      customers 1..customers exist at the source
     * @param products       products 1..products exist, with stock for the whole run
     */
    public Workload(Map<String, String> gateways, int clients, Duration commandTimeout, Duration allowance, int customers,
                    int products, long seed) {
        this.gateways = Map.copyOf(gateways);
        this.regions = List.copyOf(gateways.keySet());
        this.requestBound = commandTimeout.plusSeconds(1).plus(allowance);
        this.products = products;
        this.http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
        for (int i = 0; i < clients; i++) {
            Random random = new Random(seed * 1000 + i);
            this.clients.add(Thread.ofVirtual().name("chaos-client-" + i).start(() -> run(random, customers)));
        }
    }

    private void run(Random random, int customers) {
        List<Placed> mine = new ArrayList<>();
        while (!stopping) {
            try {
                Placed order = place(random, 1 + random.nextInt(customers));
                if (order != null) {
                    mine.add(order);
                    int next = random.nextInt(6);
                    Placed changed = next < 2 ? transition(random, order, "pay", "PAID")
                            : next == 2 ? transition(random, order, "cancel", "CANCELLED") : null;
                    if (changed != null) {
                        mine.set(mine.size() - 1, changed);
                    }
                }
                if (!mine.isEmpty()) {
                    Placed recent = mine.get(Math.max(0, mine.size() - 1 - random.nextInt(Math.min(10, mine.size()))));
                    read(random, recent);
                }
                Thread.sleep(20 + random.nextInt(60));
            } catch (InterruptedException e) {
                return;
            }
        }
    }

    /** A command acknowledged: through which region, and what the answer carried. */
    private record Acknowledged(String region, String route, String location, String token) {
    }

    /** Places one order and reads it back; null when it was not acknowledged (outcome unknown, given up, stopping). */
    private Placed place(Random random, long customer) throws InterruptedException {
        String key = "chaos-" + UUID.randomUUID();
        int lines = 1 + random.nextInt(3);
        StringBuilder body = new StringBuilder("{\"customer_id\": " + customer + ", \"lines\": [");
        for (int i = 0; i < lines; i++) {
            // distinct products: one line each
            body.append(i == 0 ? "" : ", ").append("{\"product_id\": ").append(1 + (random.nextInt(products) + i * 7) % products)
                    .append(", \"qty\": 1}");
        }
        body.append("]}");
        Acknowledged ack = command(random, key, "/orders", body.toString(), 201);
        if (ack == null || ack.location().isEmpty()) {
            return null;
        }
        Placed order = new Placed(key, ack.location(), lines, "PLACED", ack.region(), ack.route());
        placed.add(order);
        readBack(random, order, ack.token());
        return order;
    }

    /** Pays or cancels an order and reads it back; the order as it now is, or null when not acknowledged. */
    private Placed transition(Random random, Placed order, String verb, String status) throws InterruptedException {
        String key = "chaos-" + verb + "-" + UUID.randomUUID();
        Acknowledged ack = command(random, key, order.location() + "/" + verb, "{}", 200);
        if (ack == null) {
            return null;
        }
        Placed now = new Placed(key, order.location(), order.lines(), status, ack.region(), ack.route());
        placed.add(now);
        readBack(random, now, ack.token());
        return now;
    }

    /**
     * Sends a command with {@code key} through random regions until it is acknowledged with
     * {@code expected}; null when Outpost said twice its outcome is unknown, the shop refused it, or it
     * was given up on.
     */
    private Acknowledged command(Random random, String key, String path, String body, int expected) throws InterruptedException {
        keys.add(key);
        long first = System.nanoTime();
        int unknownInARow = 0;
        while (true) {
            String region = regions.get(random.nextInt(regions.size()));
            HttpRequest request = HttpRequest.newBuilder(URI.create(gateways.get(region) + path))
                    .timeout(requestBound.plusSeconds(30)).header("Content-Type", "application/json")
                    .header("Idempotency-Key", key).POST(HttpRequest.BodyPublishers.ofString(body)).build();
            long sent = System.nanoTime();
            long pause;
            try {
                HttpResponse<String> response = http.send(request, HttpResponse.BodyHandlers.ofString());
                bound("POST " + path + " through " + region, sent);
                int status = response.statusCode();
                if (status == expected) {
                    return new Acknowledged(region, response.headers().firstValue("Outpost-Route").orElse(""),
                            response.headers().firstValue("Location").orElse(""),
                            response.headers().firstValue("Outpost-Token").orElse(null));
                }
                boolean outcomeUnknown = status == 504 && response.body().contains("command-outcome-unknown");
                unknownInARow = outcomeUnknown ? unknownInARow + 1 : 0;
                if (unknownInARow == 2) {
                    unknown.add(key);
                    return null;
                }
                if (status == 503 || status == 429 || outcomeUnknown) {
                    unavailable.incrementAndGet();
                    pause = Math.min(outcomeUnknown ? 5000 : 2000,
                            1000L * response.headers().firstValueAsLong("Retry-After").orElse(1));
                } else if (status == 409 && response.body().contains("command-in-flight") || status == 502 || status == 504) {
                    pause = 100;
                } else {
                    gaveUp.add(key + " (POST " + path + "): HTTP " + status + " " + response.body());
                    return null;
                }
            } catch (IOException e) {
                bound("POST " + path + " through " + region, sent);
                unavailable.incrementAndGet();
                pause = 200;
            }
            long waited = System.nanoTime() - first;
            if (waited > GIVE_UP.toNanos() || stopping && waited > GIVE_UP.toNanos() / 3) {
                gaveUp.add(key + " (POST " + path + "): not acknowledged within " + waited / 1_000_000_000 + " s");
                return null;
            }
            Thread.sleep(pause);
        }
    }

    /**
     * Reads an acknowledged command's order with its token from up to three random regions until one
     * can answer: it must be there, whole, in the state the command left it in.
     */
    private void readBack(Random random, Placed order, String token) throws InterruptedException {
        if (token == null) {
            return;
        }
        for (int attempt = 0; attempt < 3; attempt++) {
            String region = regions.get(random.nextInt(regions.size()));
            HttpResponse<String> response = get(region, order.location(), token);
            if (response == null) {
                continue;
            }
            if (response.statusCode() == 200) {
                JsonNode doc = checkWhole(region, order, response);
                if (doc != null && !doc.path("status").asText().equals(order.status())) {
                    readYourWrites.add(region + " showed " + order.location() + " " + doc.path("status").asText() + " to a read "
                            + "with the token of the command that made it " + order.status() + " (" + order.key() + ")");
                }
                return;
            }
            if (response.statusCode() == 404) {
                readYourWrites.add(region + " answered 404 to " + order.location() + " read with the token of its command ("
                        + order.key() + ", acknowledged through " + order.region() + ")");
                return;
            }
            unavailable.incrementAndGet(); // the region could not reach the token in time: not a violation
            Thread.sleep(100);
        }
    }

    /** Reads an order without a token: not there yet is fine, part of it never is. */
    private void read(Random random, Placed order) {
        if (order.location().isEmpty()) {
            return;
        }
        String region = regions.get(random.nextInt(regions.size()));
        HttpResponse<String> response = get(region, order.location(), null);
        if (response != null && response.statusCode() == 200) {
            checkWhole(region, order, response);
        }
    }

    /** Checks an order shown has all its lines; returns its document (null when not JSON). */
    private JsonNode checkWhole(String region, Placed order, HttpResponse<String> response) {
        reads.incrementAndGet();
        response.headers().firstValueAsLong("Outpost-Staleness-Ms").ifPresent(ms -> maxStalenessMs.accumulateAndGet(ms, Math::max));
        try {
            JsonNode doc = JSON.readTree(response.body());
            int shown = doc.path("lines").size();
            if (shown != order.lines()) {
                partial.add(region + " showed " + order.location() + " with " + shown + " of its " + order.lines() + " lines: "
                        + response.body());
            }
            return doc;
        } catch (IOException e) {
            partial.add(region + " answered " + order.location() + " with what is not JSON: " + response.body());
            return null;
        }
    }

    private HttpResponse<String> get(String region, String path, String token) {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(gateways.get(region) + path))
                .timeout(requestBound.plusSeconds(30)).GET();
        if (token != null) {
            request.header("Outpost-Min-Token", token);
        }
        long sent = System.nanoTime();
        try {
            HttpResponse<String> response = http.send(request.build(), HttpResponse.BodyHandlers.ofString());
            bound("GET " + path + " from " + region, sent);
            return response;
        } catch (IOException e) {
            bound("GET " + path + " from " + region, sent);
            unavailable.incrementAndGet();
            return null;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return null;
        }
    }

    /** Records a request that was answered (or failed) later than the bound. */
    private void bound(String what, long sentNanos) {
        long tookMs = (System.nanoTime() - sentNanos) / 1_000_000;
        if (tookMs > requestBound.toMillis()) {
            outlived.add(what + " took " + tookMs + " ms, more than " + requestBound.toMillis() + " ms");
        }
    }

    /** Stops the clients after the command each has in hand. */
    public void stop() throws InterruptedException {
        stopping = true;
        for (Thread client : clients) {
            client.join(GIVE_UP.toMillis() + 10_000);
        }
    }

    public List<Placed> placed() {
        return List.copyOf(placed);
    }

    public Set<String> keys() {
        return Set.copyOf(keys);
    }

    /** Keys whose command Outpost said twice it may or may not have applied. */
    public List<String> unknown() {
        return List.copyOf(unknown);
    }

    /** Commands refused for good or not acknowledged in time, with why. */
    public List<String> gaveUp() {
        return List.copyOf(gaveUp);
    }

    public List<String> readYourWritesViolations() {
        return List.copyOf(readYourWrites);
    }

    public List<String> partialTransactions() {
        return List.copyOf(partial);
    }

    public List<String> outlivedTimeouts() {
        return List.copyOf(outlived);
    }

    /** Requests a region could not answer (refused, 503, token not reached in time). */
    public long unavailable() {
        return unavailable.get();
    }

    /** Orders read whole. */
    public long reads() {
        return reads.get();
    }

    /** The largest {@code Outpost-Staleness-Ms} a read was answered with. */
    public long maxStalenessMs() {
        return maxStalenessMs.get();
    }

    /** Stops the clients (if not yet) and lets go of the HTTP client. */
    @Override
    public void close() {
        try {
            stop();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        http.close();
    }
}

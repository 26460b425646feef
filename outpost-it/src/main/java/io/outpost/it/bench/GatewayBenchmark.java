package io.outpost.it.bench;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import io.outpost.capture.Capture;
import io.outpost.capture.CaptureSettings;
import io.outpost.core.config.OutpostConfig;
import io.outpost.embedded.EmbeddedKafka;
import io.outpost.embedded.EmbeddedPostgres;
import io.outpost.embedded.Ports;
import io.outpost.examples.shop.ShopData;
import io.outpost.examples.shop.ShopServer;
import io.outpost.gateway.Gateway;
import io.outpost.gateway.GatewaySettings;
import io.outpost.it.harness.ExampleConfig;
import io.outpost.projector.Projector;
import io.outpost.projector.ProjectorSettings;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.IntFunction;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * The gateway's figures on the example shop with the example configuration, beside the shop's
 * own endpoints for the same data, with the same load generator in the same run:
 * <ol>
 *   <li>throughput of order-by-id and of a filtered list (one customer's orders), closed loop with
 *       {@code clients} concurrent clients, each on a keep-alive connection of {@link RawHttp} (a
 *       minimal client, so that the load generator's own cost does not dominate what is measured):
 *       us-east's gateway against the shop;</li>
 *   <li>order-by-id latency at {@code rate} requests a second, open loop (each request timed from
 *       when it was due, so a stall counts for every request it delays);</li>
 *   <li>a command (place an order) sent to the shop directly, through the home region (us-east:
 *       monolith route, fence, token) and through a secondary region (eu-west → us-east → shop):
 *       p50/p99 and what each adds to the direct call.</li>
 * </ol>
 * The load generator runs in the same JVM, on the same two cores, as everything else.
 */
@Command(name = "gateway", mixinStandardHelpOptions = true,
        description = "Gateway queries and commands against the shop's own endpoints, in the same run.")
final class GatewayBenchmark implements Callable<Integer> {

    @Option(names = "--seconds", defaultValue = "10", description = "Length of each throughput and latency phase (default: ${DEFAULT-VALUE}).")
    int seconds;

    @Option(names = "--clients", defaultValue = "16", description = "Concurrent clients of the throughput phases (default: ${DEFAULT-VALUE}).")
    int clients;

    @Option(names = "--rate", defaultValue = "1000", description = "Requests a second of the latency phase (default: ${DEFAULT-VALUE}).")
    int rate;

    @Option(names = "--commands", defaultValue = "400", description = "Commands per path in the command phase (default: ${DEFAULT-VALUE}).")
    int commands;

    @Option(names = "--command-rate", defaultValue = "50", description = "Rounds of commands a second, one through each path (default: ${DEFAULT-VALUE}).")
    int commandRate;

    @Option(names = "--out", defaultValue = "target/bench/gateway.json", description = "Where the JSON report goes (default: ${DEFAULT-VALUE}).")
    Path out;

    private final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
            .executor(Executors.newVirtualThreadPerTaskExecutor()).connectTimeout(Duration.ofSeconds(5)).build();

    @Override
    public Integer call() throws Exception {
        Files.createDirectories(out.toAbsolutePath().getParent());
        System.out.println("gateway benchmark: starting embedded PostgreSQL and Kafka, the shop, capture and three regions…");
        List<AutoCloseable> parts = new ArrayList<>();
        try (EmbeddedPostgres postgres = EmbeddedPostgres.start(); EmbeddedKafka kafka = EmbeddedKafka.start()) {
            String shopDb = postgres.createDatabase("bench_shop");
            ShopServer shop = ShopServer.start(new ShopServer.Settings(shopDb, EmbeddedPostgres.SUPERUSER, "", "localhost", 0));
            parts.add(shop);
            ShopData.seed(shop.dataSource(), 100, 200, 1000, 42);
            Map<String, String> variables = new HashMap<>();
            variables.put("SHOP_DB_URL", shopDb);
            variables.put("SHOP_URL", shop.url());
            variables.put("KAFKA_BOOTSTRAP", kafka.bootstrapServers());
            for (String region : List.of("US_EAST", "EU_WEST", "AP_SOUTH")) {
                variables.put("STORE_" + region + "_URL", postgres.createDatabase("bench_" + region.toLowerCase(Locale.ROOT)));
                variables.put("GATEWAY_" + region + "_URL", "http://localhost:" + Ports.free());
            }
            OutpostConfig config = ExampleConfig.of("bench_gateway", variables);
            Capture capture = Capture.start(CaptureSettings.of(config));
            parts.add(capture);
            Map<String, Gateway> gateways = new LinkedHashMap<>();
            List<Projector> projectors = new ArrayList<>();
            for (String region : config.regions().keySet()) {
                Projector projector = Projector.start(ProjectorSettings.of(config, region));
                parts.add(projector);
                projectors.add(projector);
                Gateway gateway = Gateway.start(GatewaySettings.of(config, region).withHost("localhost"));
                parts.add(gateway);
                gateways.put(region, gateway);
            }
            ProjectorBenchmark.awaitCaughtUp(shopDb, projectors, Duration.ofSeconds(120));
            String home = gateways.get("us-east").url();
            String secondary = gateways.get("eu-west").url();

            IntFunction<String> orderById = i -> "/orders/" + (1 + i % 1000);
            IntFunction<String> shopList = i -> "/orders?customer_id=" + (1 + i % 100) + "&limit=20";
            IntFunction<String> gatewayList = i -> "/outpost/v1/views/orders?customer.id=" + (1 + i % 100) + "&limit=20";

            System.out.println("warming up…");
            throughput(shop.url(), orderById, 3);
            throughput(home, orderById, 3);
            throughput(home, gatewayList, 2);
            throughput(shop.url(), shopList, 2);

            System.out.printf("throughput: order by id, %d clients, %d s each…%n", clients, seconds);
            Throughput shopById = throughput(shop.url(), orderById, seconds);
            Throughput gatewayById = throughput(home, orderById, seconds);
            System.out.println("throughput: one customer's orders…");
            Throughput shopLists = throughput(shop.url(), shopList, seconds);
            Throughput gatewayLists = throughput(home, gatewayList, seconds);
            System.out.printf("latency: order by id at %d/s, %d s each…%n", rate, seconds);
            Latencies shopLatency = openLoop(shop.url(), orderById, seconds);
            Latencies gatewayLatency = openLoop(home, orderById, seconds);
            System.out.printf("commands: %d orders at %d/s directly, through us-east and through eu-west…%n", commands, commandRate);
            List<Latencies> placed = commands(List.of(shop.url(), home, secondary));
            Latencies direct = placed.get(0);
            Latencies viaHome = placed.get(1);
            Latencies viaSecondary = placed.get(2);
            report(shopById, gatewayById, shopLists, gatewayLists, shopLatency, gatewayLatency, direct, viaHome, viaSecondary);
        } finally {
            for (int i = parts.size() - 1; i >= 0; i--) {
                parts.get(i).close();
            }
        }
        return 0;
    }

    /** Requests per second and errors of a closed loop. */
    record Throughput(double perSecond, long requests, long errors) {
    }

    private Throughput throughput(String base, IntFunction<String> path, int phaseSeconds) throws InterruptedException {
        AtomicLong done = new AtomicLong();
        AtomicLong errors = new AtomicLong();
        long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(phaseSeconds);
        long started = System.nanoTime();
        URI uri = URI.create(base);
        try (ExecutorService loop = Executors.newVirtualThreadPerTaskExecutor()) {
            for (int c = 0; c < clients; c++) {
                loop.submit(() -> {
                    RawHttp connection = null;
                    try {
                        while (System.nanoTime() < end) {
                            if (connection == null) {
                                connection = new RawHttp(uri.getHost(), uri.getPort());
                            }
                            int i = ThreadLocalRandom.current().nextInt(1_000_000);
                            int status;
                            try {
                                status = connection.get(path.apply(i));
                            } catch (IOException e) {
                                connection.close();
                                connection = null;
                                status = -1;
                            }
                            if (status != 200) {
                                errors.incrementAndGet();
                            }
                            done.incrementAndGet();
                        }
                    } catch (IOException e) {
                        errors.incrementAndGet();
                    } finally {
                        if (connection != null) {
                            connection.close();
                        }
                    }
                });
            }
        }
        double elapsed = (System.nanoTime() - started) / 1e9;
        return new Throughput(done.get() / elapsed, done.get(), errors.get());
    }

    private Latencies openLoop(String base, IntFunction<String> path, int phaseSeconds) throws InterruptedException {
        Latencies latencies = new Latencies();
        AtomicLong errors = new AtomicLong();
        long interval = TimeUnit.SECONDS.toNanos(1) / rate;
        long total = (long) rate * phaseSeconds;
        long start = System.nanoTime();
        try (ExecutorService requests = Executors.newVirtualThreadPerTaskExecutor()) {
            for (long n = 0; n < total; n++) {
                long due = start + n * interval;
                Pacing.awaitDue(due);
                int i = (int) (n % 1_000_000);
                requests.submit(() -> {
                    if (get(base + path.apply(i)) != 200) {
                        errors.incrementAndGet();
                    }
                    latencies.recordNanos(System.nanoTime() - due);
                });
            }
        }
        if (errors.get() > 0) {
            System.out.printf("  (%d of %d requests to %s failed)%n", errors.get(), total, base);
        }
        return latencies;
    }

    /**
     * Places orders through each of {@code bases} in turn (one after the other, at {@code commandRate}
     * rounds a second), so that every path sees the same conditions; latencies per base.
     */
    private List<Latencies> commands(List<String> bases) throws Exception {
        List<Latencies> latencies = new ArrayList<>();
        bases.forEach(base -> latencies.add(new Latencies()));
        long interval = TimeUnit.SECONDS.toNanos(1) / commandRate;
        long start = System.nanoTime();
        int warmUp = commands / 10;
        for (int n = 0; n < commands + warmUp; n++) {
            Pacing.awaitDue(start + n * interval);
            for (int b = 0; b < bases.size(); b++) {
                String body = "{\"customer_id\": " + (1 + n % 100) + ", \"lines\": [{\"product_id\": " + (1 + (n + b) % 200)
                        + ", \"qty\": 1}]}";
                long sent = System.nanoTime();
                HttpResponse<Void> response = http.send(HttpRequest.newBuilder(URI.create(bases.get(b) + "/orders"))
                        .POST(HttpRequest.BodyPublishers.ofString(body)).header("Content-Type", "application/json")
                        .timeout(Duration.ofSeconds(10)).build(), HttpResponse.BodyHandlers.discarding());
                long took = System.nanoTime() - sent;
                if (response.statusCode() != 201) {
                    throw new IllegalStateException("placing an order through " + bases.get(b) + " answered " + response.statusCode());
                }
                if (n >= warmUp) {
                    latencies.get(b).recordNanos(took);
                }
            }
        }
        return latencies;
    }

    private int get(String url) {
        try {
            return http.send(HttpRequest.newBuilder(URI.create(url)).GET().timeout(Duration.ofSeconds(10)).build(),
                    HttpResponse.BodyHandlers.discarding()).statusCode();
        } catch (IOException e) {
            return -1;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return -1;
        }
    }

    private void report(Throughput shopById, Throughput gatewayById, Throughput shopLists, Throughput gatewayLists,
                        Latencies shopLatency, Latencies gatewayLatency, Latencies direct, Latencies viaHome,
                        Latencies viaSecondary) throws IOException {
        double byIdRatio = gatewayById.perSecond() / shopById.perSecond();
        double listRatio = gatewayLists.perSecond() / shopLists.perSecond();
        double addedHome = viaHome.p50() - direct.p50();
        double addedSecondary = viaSecondary.p50() - direct.p50();
        boolean throughputMet = byIdRatio >= 3;
        boolean latencyMet = gatewayLatency.p99() <= 10;
        boolean commandMet = addedHome <= 2;
        System.out.println();
        System.out.println("Gateway benchmark — " + Runtime.getRuntime().availableProcessors() + " cores, the example shop "
                + "(100 customers, 1000 orders), load generator in the same JVM");
        System.out.printf("%-34s %12s %12s %8s   %s%n", "", "gateway", "shop", "ratio", "target");
        System.out.printf("%-34s %,12.0f %,12.0f %8.2f   %s%n", "order by id, requests/s", gatewayById.perSecond(),
                shopById.perSecond(), byIdRatio, "≥ 3× " + (throughputMet ? "(met)" : "(NOT met)"));
        System.out.printf("%-34s %,12.0f %,12.0f %8.2f%n", "a customer's orders, requests/s", gatewayLists.perSecond(),
                shopLists.perSecond(), listRatio);
        System.out.printf("%-34s %12.2f %12.2f %8.2f   %s%n", "order by id at " + rate + "/s, p50 ms", gatewayLatency.p50(),
                shopLatency.p50(), gatewayLatency.p50() / shopLatency.p50(), "");
        System.out.printf("%-34s %12.2f %12.2f %8.2f   %s%n", "order by id at " + rate + "/s, p99 ms", gatewayLatency.p99(),
                shopLatency.p99(), gatewayLatency.p99() / shopLatency.p99(), "≤ 10 " + (latencyMet ? "(met)" : "(NOT met)"));
        System.out.printf("%-34s %12.2f %12.2f%n", "order by id at " + rate + "/s, max ms", gatewayLatency.max(), shopLatency.max());
        System.out.printf("(%d clients, %d s per throughput phase; errors: gateway %d, shop %d)%n%n", clients, seconds,
                gatewayById.errors() + gatewayLists.errors(), shopById.errors() + shopLists.errors());
        System.out.printf("%-34s %12s %12s %12s   %s%n", "place an order", "p50 ms", "p99 ms", "added p50", "target");
        System.out.printf("%-34s %12.2f %12.2f %12s%n", "directly at the shop", direct.p50(), direct.p99(), "");
        System.out.printf("%-34s %12.2f %12.2f %12.2f   %s%n", "through us-east (home)", viaHome.p50(), viaHome.p99(),
                addedHome, "≤ 2 " + (commandMet ? "(met)" : "(NOT met)"));
        System.out.printf("%-34s %12.2f %12.2f %12.2f%n", "through eu-west (→ us-east)", viaSecondary.p50(), viaSecondary.p99(),
                addedSecondary);
        System.out.printf("(%d commands per path, the three paths in turn, %d rounds/s after %d warm-up; through a region "
                + "includes its fence and token)%n", commands, commandRate, commands / 10);

        Map<String, Object> json = new LinkedHashMap<>();
        json.put("benchmark", "gateway");
        json.put("cores", Runtime.getRuntime().availableProcessors());
        json.put("order_by_id", Map.of("gateway_rps", Math.round(gatewayById.perSecond()), "shop_rps",
                Math.round(shopById.perSecond()), "ratio", Latencies.round(byIdRatio)));
        json.put("customer_orders_list", Map.of("gateway_rps", Math.round(gatewayLists.perSecond()), "shop_rps",
                Math.round(shopLists.perSecond()), "ratio", Latencies.round(listRatio)));
        json.put("order_by_id_latency", Map.of("rate_per_s", rate, "gateway", gatewayLatency.json(), "shop", shopLatency.json()));
        json.put("commands", Map.of("rate_per_s", commandRate, "direct", direct.json(), "via_home", viaHome.json(),
                "via_secondary", viaSecondary.json(), "added_p50_home_ms", Latencies.round(addedHome),
                "added_p50_secondary_ms", Latencies.round(addedSecondary)));
        json.put("targets", Map.of("throughput_met", throughputMet, "latency_met", latencyMet, "command_met", commandMet));
        new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT).writeValue(out.toFile(), json);
        System.out.println("report written to " + out.toAbsolutePath());
    }
}

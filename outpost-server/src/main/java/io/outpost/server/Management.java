package io.outpost.server;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.outpost.core.OutpostException;
import io.outpost.gateway.Gateway;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.function.Function;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A process's management address ({@code outpost run --management HOST:PORT}): whatever roles it
 * runs, {@code GET /outpost/health} says whether each is well — 503 and {@code DOWN}, naming the
 * role and why, when one has stopped for good — and {@code GET /outpost/metrics} shows the
 * process's registry in Prometheus' text format; a process with a gateway also serves its dashboard
 * ({@code /outpost/}, its files and {@code /outpost/v1/dashboard}), which needs no token here. Plain
 * HTTP without authentication, like a database's metrics port: it is meant for an address only the
 * operator's network reaches (the default is the loopback interface). Anything else is a 404 or 405
 * {@code application/problem+json}.
 */
final class Management implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(Management.class);
    private static final ObjectMapper JSON = new ObjectMapper();

    private final HttpServer server;
    private final ExecutorService executor;

    private Management(HttpServer server, ExecutorService executor) {
        this.server = server;
        this.executor = executor;
    }

    /**
     * Serves {@code health} and {@code registry} on {@code host:port} (0: a free port).
     *
     * @throws OutpostException naming the address when it cannot be bound
     */
    static Management start(String host, int port, Supplier<Deployment.Health> health, PrometheusMeterRegistry registry) {
        return start(host, port, health, registry, path -> Optional.empty());
    }

    /**
     * The same, with the dashboard of the process's gateway ({@code dashboard}: what is served at a
     * path, empty where nothing is).
     */
    static Management start(String host, int port, Supplier<Deployment.Health> health, PrometheusMeterRegistry registry,
                            Function<String, Optional<Gateway.Served>> dashboard) {
        HttpServer server;
        try {
            server = HttpServer.create(new InetSocketAddress(host, port), 16);
        } catch (IOException e) {
            throw new OutpostException("cannot serve the management address " + host + ":" + port + " (" + e.getMessage()
                    + "); choose another with --management HOST:PORT");
        }
        ExecutorService executor = Executors.newVirtualThreadPerTaskExecutor();
        server.setExecutor(executor);
        server.createContext("/", exchange -> {
            try (exchange) {
                answer(exchange, health, registry, dashboard);
            } catch (IOException | RuntimeException e) {
                LOG.debug("management request {} failed: {}", exchange.getRequestURI(), e.toString());
            }
        });
        server.start();
        return new Management(server, executor);
    }

    private static void answer(HttpExchange exchange, Supplier<Deployment.Health> health, PrometheusMeterRegistry registry,
                               Function<String, Optional<Gateway.Served>> dashboard) throws IOException {
        String path = exchange.getRequestURI().getPath();
        boolean own = "/outpost/health".equals(path) || "/outpost/metrics".equals(path);
        Optional<Gateway.Served> served = own ? Optional.empty() : dashboard.apply(path);
        if (!own && served.isEmpty()) {
            problem(exchange, 404, "Not Found", "the management address serves /outpost/health and /outpost/metrics (and, "
                    + "in a process with a gateway, its dashboard at /outpost/), not " + path);
        } else if (!"GET".equals(exchange.getRequestMethod()) && !"HEAD".equals(exchange.getRequestMethod())) {
            exchange.getResponseHeaders().set("Allow", "GET, HEAD");
            problem(exchange, 405, "Method Not Allowed", path + " answers GET only");
        } else if (served.isPresent()) {
            exchange.getResponseHeaders().set("Cache-Control", "no-store");
            send(exchange, 200, served.get().contentType(), served.get().body());
        } else if ("/outpost/health".equals(path)) {
            Deployment.Health now = health.get();
            send(exchange, now.status() == Deployment.Health.Status.DOWN ? 503 : 200, "application/json",
                    JSON.writeValueAsBytes(now));
        } else {
            send(exchange, 200, "text/plain; version=0.0.4; charset=utf-8", registry.scrape().getBytes(StandardCharsets.UTF_8));
        }
    }

    private static void problem(HttpExchange exchange, int status, String title, String detail) throws IOException {
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("type", "about:blank");
        body.put("title", title);
        body.put("status", status);
        body.put("detail", detail);
        send(exchange, status, "application/problem+json", JSON.writeValueAsBytes(body));
    }

    private static void send(HttpExchange exchange, int status, String type, byte[] body) throws IOException {
        exchange.getResponseHeaders().set("Content-Type", type);
        boolean head = "HEAD".equals(exchange.getRequestMethod());
        exchange.sendResponseHeaders(status, head ? -1 : body.length);
        if (!head) {
            try (OutputStream out = exchange.getResponseBody()) {
                out.write(body);
            }
        }
    }

    /** Where it listens: {@code http://127.0.0.1:9400}. */
    String url() {
        InetSocketAddress address = server.getAddress();
        String host = address.getAddress().isAnyLocalAddress() ? "127.0.0.1" : address.getAddress().getHostAddress();
        return "http://" + (host.contains(":") ? "[" + host + "]" : host) + ":" + address.getPort();
    }

    @Override
    public void close() {
        server.stop(0);
        executor.shutdownNow();
    }
}

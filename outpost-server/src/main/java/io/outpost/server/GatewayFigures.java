package io.outpost.server;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.outpost.core.config.AuthConfig;
import io.outpost.core.config.OutpostConfig;
import io.outpost.core.config.RegionConfig;
import io.outpost.gateway.Tls;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/**
 * What only a region's gateway knows, as its dashboard's JSON ({@code /outpost/v1/dashboard}, asked
 * with the configuration's service token): its command targets' breakers and commit → visible there
 * (p50 of the {@code notified} stage since the gateway started).
 *
 * @param breakers   command target → breaker state ({@code closed}, {@code open}, …)
 * @param visibleP50 ms; null before the gateway saw anything become visible
 * @param problem    why the gateway could not be asked; null otherwise
 */
public record GatewayFigures(Map<String, String> breakers, Double visibleP50, String problem) {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Duration TIMEOUT = Duration.ofSeconds(3);

    /** Every region's gateway's figures, asked at once; by region, in configuration order. */
    public static Map<String, GatewayFigures> of(OutpostConfig config) {
        HttpClient.Builder builder = HttpClient.newBuilder().connectTimeout(TIMEOUT);
        javax.net.ssl.SSLContext tls = Tls.clientContext(config.tls());
        if (tls != null) {
            builder.sslContext(tls);
        }
        Map<String, GatewayFigures> figures = new LinkedHashMap<>();
        try (HttpClient http = builder.build(); ExecutorService asking = Executors.newVirtualThreadPerTaskExecutor()) {
            Map<String, Future<GatewayFigures>> asked = new LinkedHashMap<>();
            for (RegionConfig region : config.regions().values()) {
                asked.put(region.name(), asking.submit(() -> ask(http, region, config.auth())));
            }
            for (var entry : asked.entrySet()) {
                try {
                    figures.put(entry.getKey(), entry.getValue().get());
                } catch (Exception e) {
                    figures.put(entry.getKey(), new GatewayFigures(Map.of(), null, e.getMessage()));
                }
            }
        }
        return figures;
    }

    private static GatewayFigures ask(HttpClient http, RegionConfig region, AuthConfig auth) throws InterruptedException {
        String url = region.gateway().url() + "/outpost/v1/dashboard";
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(url)).timeout(TIMEOUT).GET();
        if (auth.serviceToken() != null) {
            request.header(AuthConfig.SERVICE_TOKEN_HEADER, auth.serviceToken());
        }
        try {
            HttpResponse<String> response = http.send(request.build(), HttpResponse.BodyHandlers.ofString());
            if (response.statusCode() != 200) {
                return new GatewayFigures(Map.of(), null, "its gateway at " + url + " answered " + response.statusCode());
            }
            JsonNode dashboard = JSON.readTree(response.body());
            Map<String, String> breakers = new LinkedHashMap<>();
            dashboard.path("status").path("command_targets").properties()
                    .forEach(target -> breakers.put(target.getKey(), target.getValue().asText()));
            JsonNode visible = dashboard.path("freshness").path("notified").path("total_p50_ms");
            return new GatewayFigures(breakers, visible.isNumber() ? visible.asDouble() : null, null);
        } catch (IOException e) {
            return new GatewayFigures(Map.of(), null, "its gateway at " + url + " does not answer ("
                    + (e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage()) + ")");
        }
    }

    /** {@code closed}, or the targets whose breaker is not closed: {@code us-east open}; {@code ?} when unknown. */
    public String breakersText() {
        if (problem != null) {
            return "?";
        }
        List<String> notClosed = notClosed();
        return breakers.isEmpty() ? "-" : notClosed.isEmpty() ? "closed" : String.join(", ", notClosed);
    }

    /** {@code  visible p50 21 ms, breaker us-east open}: what is known, for a region's one-line summary; empty when nothing is. */
    public String compact() {
        List<String> parts = new ArrayList<>();
        if (visibleP50 != null) {
            parts.add(String.format("visible p50 %.0f ms", visibleP50));
        }
        notClosed().forEach(breaker -> parts.add("breaker " + breaker));
        return parts.isEmpty() ? "" : " " + String.join(", ", parts);
    }

    private List<String> notClosed() {
        return breakers.entrySet().stream().filter(b -> !b.getValue().equals("closed")).map(b -> b.getKey() + " " + b.getValue())
                .toList();
    }

    /** {@code 58 ms}, or {@code -}. */
    public String visibleText() {
        return visibleP50 == null ? "-" : String.format("%.0f ms", visibleP50);
    }
}

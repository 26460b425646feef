package io.outpost.control.internal;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.outpost.core.region.Canary;
import io.outpost.core.region.Drain;
import io.outpost.core.region.Observation;
import io.outpost.core.region.RegionHealth;
import io.outpost.core.region.RegionStateChange;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.format.DateTimeParseException;

/**
 * The JSON of the region-state topic's records (version 1): an observation,
 * {@code {"v":1,"region":"eu-west","monitor":"us-east","health":"DOWN","observed_at":"2026-12-02T10:00:00Z","detail":"connection refused"}},
 * plus {@code "config_hash"} when the region's gateway reported one and {@code "canary"}
 * ({@code {"last_ms":12,"p50_ms":11,"p99_ms":40,"max_ms":52,"count":60,"pending_ms":0}}) once the
 * monitor has measured a fence in the region; an operator's {@link Drain};
 * and of an alarm as POSTed to webhooks.
 */
public final class ObservationCodec {

    public static final int VERSION = 1;
    private static final ObjectMapper JSON = new ObjectMapper();

    private ObservationCodec() {
    }

    public static byte[] encode(Observation o) {
        return node(o).toString().getBytes(StandardCharsets.UTF_8);
    }

    private static ObjectNode node(Observation o) {
        ObjectNode node = JSON.createObjectNode();
        node.put("v", VERSION);
        node.put("region", o.region());
        node.put("monitor", o.monitor());
        node.put("health", o.health().name());
        node.put("observed_at", o.observedAt().toString());
        node.put("detail", o.detail());
        if (o.configHash() != null) {
            node.put("config_hash", o.configHash());
        }
        if (o.canary() != null) {
            ObjectNode canary = node.putObject("canary");
            canary.put("last_ms", o.canary().lastMs());
            canary.put("p50_ms", o.canary().p50Ms());
            canary.put("p99_ms", o.canary().p99Ms());
            canary.put("max_ms", o.canary().maxMs());
            canary.put("count", o.canary().count());
            canary.put("pending_ms", o.canary().pendingMs());
        }
        return node;
    }

    /**
     * @throws IllegalArgumentException naming what is wrong when {@code bytes} is not a version-1 observation
     */
    public static Observation decode(byte[] bytes) {
        JsonNode node = versioned(bytes);
        String region = text(node, "region");
        String monitor = text(node, "monitor");
        String health = text(node, "health");
        String observedAt = text(node, "observed_at");
        if (!health.equals("UP") && !health.equals("DEGRADED") && !health.equals("DOWN")) {
            throw new IllegalArgumentException("health must be UP, DEGRADED or DOWN, but was " + health);
        }
        Instant at;
        try {
            at = Instant.parse(observedAt);
        } catch (DateTimeParseException e) {
            throw new IllegalArgumentException("observed_at is not an ISO-8601 instant: " + observedAt);
        }
        JsonNode hash = node.get("config_hash");
        return new Observation(region, monitor, RegionHealth.valueOf(health), at, node.path("detail").asText(""),
                hash == null || !hash.isTextual() ? null : hash.asText(), canary(node.get("canary")));
    }

    /** The canary figures of an observation; null when it has none (a monitor that wrote no fence yet, or an older one). */
    private static Canary canary(JsonNode node) {
        if (node == null || node.isNull()) {
            return null;
        }
        if (!node.isObject()) {
            throw new IllegalArgumentException("canary must be an object of figures, but was " + node);
        }
        long[] figures = new long[6];
        String[] fields = {"last_ms", "p50_ms", "p99_ms", "max_ms", "count", "pending_ms"};
        for (int i = 0; i < fields.length; i++) {
            JsonNode value = node.get(fields[i]);
            if (value == null || !value.canConvertToLong() || value.asLong() < 0) {
                throw new IllegalArgumentException("canary." + fields[i] + " is missing or not a whole number ≥ 0");
            }
            figures[i] = value.asLong();
        }
        return new Canary(figures[0], figures[1], figures[2], figures[3], (int) Math.min(Integer.MAX_VALUE, figures[4]), figures[5]);
    }

    /**
     * A drain as the region-state topic holds it:
     * {@code {"v":1,"drain":"eu-west","drained":true,"at":"2026-12-02T10:00:00Z","by":"ops@host","reason":"…"}}.
     */
    public static byte[] encode(Drain drain) {
        ObjectNode node = JSON.createObjectNode();
        node.put("v", VERSION);
        node.put("drain", drain.region());
        node.put("drained", drain.drained());
        node.put("at", drain.at().toString());
        node.put("by", drain.by());
        node.put("reason", drain.reason());
        return node.toString().getBytes(StandardCharsets.UTF_8);
    }

    /**
     * @throws IllegalArgumentException naming what is wrong when {@code bytes} is not a version-1 drain
     */
    public static Drain decodeDrain(byte[] bytes) {
        JsonNode node = versioned(bytes);
        JsonNode drained = node.get("drained");
        if (drained == null || !drained.isBoolean()) {
            throw new IllegalArgumentException("field drained is missing or not true/false");
        }
        Instant at;
        try {
            at = Instant.parse(text(node, "at"));
        } catch (DateTimeParseException e) {
            throw new IllegalArgumentException("at is not an ISO-8601 instant: " + node.get("at").asText());
        }
        return new Drain(text(node, "drain"), drained.booleanValue(), at, text(node, "by"), node.path("reason").asText(""));
    }

    /** {@code bytes} as a JSON object of this version. */
    private static JsonNode versioned(byte[] bytes) {
        JsonNode node;
        try {
            node = JSON.readTree(bytes);
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException("not JSON: " + e.getOriginalMessage());
        } catch (IOException e) {
            throw new IllegalArgumentException("not JSON: " + e.getMessage());
        }
        if (node == null || !node.isObject()) {
            throw new IllegalArgumentException("not a JSON object");
        }
        if (node.path("v").asInt(-1) != VERSION) {
            throw new IllegalArgumentException("version " + node.path("v") + ", this reader knows version " + VERSION);
        }
        return node;
    }

    private static String text(JsonNode node, String field) {
        JsonNode value = node.get(field);
        if (value == null || !value.isTextual()) {
            throw new IllegalArgumentException("field " + field + " is missing or not text");
        }
        return value.asText();
    }

    /**
     * An alarm as a webhook receives it: the region, its state before and now, when, which
     * region's watch decided it, and the observations it rests on.
     */
    public static byte[] alarm(RegionStateChange change, String observer) {
        ObjectNode node = JSON.createObjectNode();
        node.put("v", VERSION);
        node.put("region", change.region());
        node.put("from", change.from().name());
        node.put("to", change.to().name());
        node.put("at", change.at().toString());
        node.put("observer", observer);
        var observations = node.putArray("observations");
        change.observations().forEach(o -> {
            ObjectNode entry = node(o);
            entry.remove("v");
            observations.add(entry);
        });
        return node.toString().getBytes(StandardCharsets.UTF_8);
    }
}

package io.outpost.core.config;

import static io.outpost.core.config.Def.Setting.optional;
import static io.outpost.core.config.Def.Setting.required;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.regex.Pattern;

/**
 * The durable change log (Kafka).
 *
 * @param retention how long change records are kept; empty means forever
 * @param security  Kafka client settings for TLS and SASL that every Kafka client of Outpost gets
 * @param replication the replication of the topics Outpost creates
 */
public record LogConfig(String bootstrapServers, String topicPrefix, Optional<Duration> retention,
                        Map<String, String> security, KafkaAccess.Replication replication) {

    private static final List<String> PROTOCOLS = List.of("PLAINTEXT", "SSL", "SASL_PLAINTEXT", "SASL_SSL");

    static final Def.Setting<String> BOOTSTRAP_SERVERS = required("bootstrap-servers", Type.HOST_PORTS,
            "The Kafka cluster that holds the change log and the region-state topic.");
    static final Def.Setting<String> TOPIC_PREFIX = optional("topic-prefix", Type.NAME, KafkaAccess.DEFAULT_TOPIC_PREFIX,
            "Prefix of Outpost's topics: <prefix>.<source>.changes and <prefix>.regions.");
    static final Def.Setting<Duration> RETENTION = optional("retention", Type.DURATION_OR_FOREVER, null,
            "How long change records are kept (default forever); a new region replays the log from its start.");

    static final Def.Setting<Map<String, String>> SECURITY = optional("security", Type.mapOf(
                    Type.string("a Kafka client setting named security.protocol, ssl.* or sasl.*",
                            Pattern.compile("security\\.protocol|ssl\\.[a-z0-9.]+|sasl\\.[a-z0-9.]+")), Type.TEXT), Map.of(),
            "Kafka client settings for TLS and SASL given to every Kafka client Outpost makes (capture, projectors, "
                    + "monitors, gateways, Debezium's offsets), e.g. security.protocol: SSL and ssl.truststore.location; "
                    + "use ${ENV} for passwords.");

    static final Def.Setting<Integer> REPLICATION_FACTOR = optional("replication-factor", Type.integer(1, 32), null,
            "Replicas of every topic Outpost creates (the change log, capture's offsets, the region-state topic). "
                    + "Default 3, or the cluster's broker count when it has fewer (with a warning); set 1 to say a "
                    + "single broker is meant. An existing topic with fewer is a warning at start.");
    static final Def.Setting<Integer> MIN_INSYNC_REPLICAS = optional("min-insync-replicas", Type.integer(1, 32), null,
            "min.insync.replicas of those topics: how many replicas must hold a record before it counts as written "
                    + "(Outpost's producers write with acks=all). Default: one less than the replication factor, at least 1.");

    static final Def.Section DEF = Def.Section.of("log", true, "The durable change log (Kafka).",
            BOOTSTRAP_SERVERS, TOPIC_PREFIX, RETENTION, SECURITY, REPLICATION_FACTOR, MIN_INSYNC_REPLICAS);

    public LogConfig {
        Objects.requireNonNull(bootstrapServers, "bootstrapServers");
        Objects.requireNonNull(topicPrefix, "topicPrefix");
        Objects.requireNonNull(retention, "retention");
        security = Map.copyOf(security);
        Objects.requireNonNull(replication, "replication");
    }

    /** How Outpost's Kafka clients reach this cluster, and how its topics are replicated. */
    public KafkaAccess access() {
        return new KafkaAccess(bootstrapServers, security, replication, topicPrefix);
    }

    static LogConfig read(Cursor c) {
        int before = c.problemCount();
        String servers = c.get(BOOTSTRAP_SERVERS);
        String prefix = c.get(TOPIC_PREFIX);
        Duration retention = c.get(RETENTION);
        Map<String, String> security = c.get(SECURITY);
        String protocol = security == null ? null : security.get("security.protocol");
        if (protocol != null && !PROTOCOLS.contains(protocol)) {
            c.problem(SECURITY.key() + ".security.protocol", "must be one of " + String.join(", ", PROTOCOLS)
                    + ", but was \"" + protocol + "\"");
        }
        if (security != null && protocol == null && !security.isEmpty()) {
            c.problem(SECURITY.key(), "sets " + String.join(", ", security.keySet()) + " but not security.protocol, so "
                    + "Kafka would ignore them and connect in plain text; add security.protocol: SSL (or SASL_SSL)");
        }
        Integer factor = c.get(REPLICATION_FACTOR);
        Integer minInsync = c.get(MIN_INSYNC_REPLICAS);
        if (factor != null && minInsync != null && minInsync > factor) {
            c.problem(MIN_INSYNC_REPLICAS.key(), "is " + minInsync + ", more than log.replication-factor (" + factor
                    + "): no write could ever be acknowledged; make it at most " + factor);
        }
        KafkaAccess.Replication replication = new KafkaAccess.Replication(
                factor == null ? OptionalInt.empty() : OptionalInt.of(factor),
                minInsync == null ? OptionalInt.empty() : OptionalInt.of(minInsync));
        return c.failedSince(before) ? null
                : new LogConfig(servers, prefix, Optional.ofNullable(retention), security, replication);
    }
}

package io.outpost.core.config;

import java.util.HashMap;
import java.util.Map;
import java.util.Objects;
import java.util.OptionalInt;

/**
 * Where a Kafka cluster is and how Outpost's clients connect to it: the bootstrap servers and the
 * security settings ({@code security.protocol}, {@code ssl.*}, {@code sasl.*} from
 * {@code log.security}) that every client Outpost makes — producers, consumers, admin clients,
 * Debezium's offset store — gets alike.
 *
 * @param bootstrapServers the cluster's {@code host:port} list
 * @param security         Kafka client settings for TLS and SASL; empty for plain connections
 * @param replication      how many copies the topics Outpost creates on the cluster keep
 * @param topicPrefix      the start of the names of Outpost's topics there ({@code log.topic-prefix}), so that
 *                         deployments sharing a cluster keep apart
 */
public record KafkaAccess(String bootstrapServers, Map<String, String> security, Replication replication,
                          String topicPrefix) {

    /** {@code log.topic-prefix}'s default. */
    public static final String DEFAULT_TOPIC_PREFIX = "outpost";

    public KafkaAccess {
        Objects.requireNonNull(bootstrapServers, "bootstrapServers");
        security = Map.copyOf(security);
        Objects.requireNonNull(replication, "replication");
        Objects.requireNonNull(topicPrefix, "topicPrefix");
    }

    /** A cluster whose topics get the default replication and prefix. */
    public KafkaAccess(String bootstrapServers, Map<String, String> security) {
        this(bootstrapServers, security, Replication.DEFAULT, DEFAULT_TOPIC_PREFIX);
    }

    /**
     * {@code log.replication-factor} and {@code log.min-insync-replicas}; empty where not configured
     * (the log module's {@code Topics} says what that means).
     */
    public record Replication(OptionalInt factor, OptionalInt minInsyncReplicas) {

        public static final Replication DEFAULT = new Replication(OptionalInt.empty(), OptionalInt.empty());

        public Replication {
            Objects.requireNonNull(factor, "factor");
            Objects.requireNonNull(minInsyncReplicas, "minInsyncReplicas");
        }
    }

    /** A cluster reached without TLS or SASL. */
    public static KafkaAccess plaintext(String bootstrapServers) {
        return new KafkaAccess(bootstrapServers, Map.of());
    }

    /** The same security settings for the cluster at {@code bootstrapServers}. */
    public KafkaAccess at(String bootstrapServers) {
        return new KafkaAccess(bootstrapServers, security, replication, topicPrefix);
    }

    /** The same cluster, its topics made with {@code replication}. */
    public KafkaAccess with(Replication replication) {
        return new KafkaAccess(bootstrapServers, security, replication, topicPrefix);
    }

    /** The same cluster, Outpost's topics there named with {@code topicPrefix}. */
    public KafkaAccess withTopicPrefix(String topicPrefix) {
        return new KafkaAccess(bootstrapServers, security, replication, topicPrefix);
    }

    /**
     * A new client configuration with {@code bootstrap.servers} and the security settings, which the
     * caller completes with its own (a client's own settings never include security ones).
     */
    public Map<String, Object> clientConfig() {
        Map<String, Object> config = new HashMap<>(security);
        config.put("bootstrap.servers", bootstrapServers);
        return config;
    }

    /** The servers and the protocol, never the settings themselves (they hold passwords). */
    @Override
    public String toString() {
        return bootstrapServers + (security.containsKey("security.protocol") ? " (" + security.get("security.protocol") + ")" : "");
    }
}

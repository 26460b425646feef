package io.outpost.core.config;

import java.util.HashMap;
import java.util.Map;
import java.util.Objects;

/**
 * Where a Kafka cluster is and how Outpost's clients connect to it: the bootstrap servers and the
 * security settings ({@code security.protocol}, {@code ssl.*}, {@code sasl.*} from
 * {@code log.security}) that every client Outpost makes — producers, consumers, admin clients,
 * Debezium's offset store — gets alike.
 *
 * @param bootstrapServers the cluster's {@code host:port} list
 * @param security         Kafka client settings for TLS and SASL; empty for plain connections
 */
public record KafkaAccess(String bootstrapServers, Map<String, String> security) {

    public KafkaAccess {
        Objects.requireNonNull(bootstrapServers, "bootstrapServers");
        security = Map.copyOf(security);
    }

    /** A cluster reached without TLS or SASL. */
    public static KafkaAccess plaintext(String bootstrapServers) {
        return new KafkaAccess(bootstrapServers, Map.of());
    }

    /** The same security settings for the cluster at {@code bootstrapServers}. */
    public KafkaAccess at(String bootstrapServers) {
        return new KafkaAccess(bootstrapServers, security);
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

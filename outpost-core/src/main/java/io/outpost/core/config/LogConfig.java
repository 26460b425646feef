package io.outpost.core.config;

import static io.outpost.core.config.Def.Setting.optional;
import static io.outpost.core.config.Def.Setting.required;

import java.time.Duration;
import java.util.Objects;
import java.util.Optional;

/**
 * The durable change log (Kafka).
 *
 * @param retention how long change records are kept; empty means forever
 */
public record LogConfig(String bootstrapServers, String topicPrefix, Optional<Duration> retention) {

    static final Def.Setting<String> BOOTSTRAP_SERVERS = required("bootstrap-servers", Type.HOST_PORTS,
            "The Kafka cluster that holds the change log and the region-state topic.");
    static final Def.Setting<String> TOPIC_PREFIX = optional("topic-prefix", Type.NAME, "outpost",
            "Prefix of Outpost's topics: <prefix>.<source>.changes and <prefix>.regions.");
    static final Def.Setting<Duration> RETENTION = optional("retention", Type.DURATION_OR_FOREVER, null,
            "How long change records are kept (default forever); a new region replays the log from its start.");

    static final Def.Section DEF = Def.Section.of("log", true, "The durable change log (Kafka).",
            BOOTSTRAP_SERVERS, TOPIC_PREFIX, RETENTION);

    public LogConfig {
        Objects.requireNonNull(bootstrapServers, "bootstrapServers");
        Objects.requireNonNull(topicPrefix, "topicPrefix");
        Objects.requireNonNull(retention, "retention");
    }

    static LogConfig read(Cursor c) {
        int before = c.problemCount();
        String servers = c.get(BOOTSTRAP_SERVERS);
        String prefix = c.get(TOPIC_PREFIX);
        Duration retention = c.get(RETENTION);
        return c.failedSince(before) ? null : new LogConfig(servers, prefix, Optional.ofNullable(retention));
    }
}

package io.outpost.capture.internal;

import io.outpost.capture.CaptureSettings;
import io.outpost.source.LogicalMessages;
import java.util.Properties;
import java.util.stream.Collectors;
import org.postgresql.Driver;

/** The Debezium engine's configuration for a capture (FACTS.md has why for most lines). */
public final class EngineProperties {

    /** The most events the engine hands over at once: a batch this large means more are waiting. */
    public static final int MAX_BATCH_SIZE = 2048;

    /** The JDBC URL's TLS settings that Debezium's PostgreSQL connector takes as {@code database.<name>}. */
    static final java.util.List<String> SSL_SETTINGS = java.util.List.of("sslmode", "sslrootcert", "sslcert", "sslkey",
            "sslpassword", "sslfactory");

    private EngineProperties() {
    }

    /** The logical name Debezium prefixes its topics with; Outpost uses it only to route records. */
    public static String topicPrefix(CaptureSettings settings) {
        return "outpost_" + settings.source().name();
    }

    public static Properties of(CaptureSettings settings) {
        var source = settings.source();
        Properties url = Driver.parseURL(source.url(), null);
        if (url == null) {
            throw new IllegalArgumentException("source.url is not a PostgreSQL JDBC URL: " + source.url());
        }
        Properties p = new Properties();
        p.setProperty("name", "outpost-capture-" + source.name());
        p.setProperty("connector.class", "io.debezium.connector.postgresql.PostgresConnector");
        p.setProperty("topic.prefix", topicPrefix(settings));
        p.setProperty("database.hostname", url.getProperty("PGHOST", "localhost").split(",")[0]);
        p.setProperty("database.port", url.getProperty("PGPORT", "5432").split(",")[0]);
        p.setProperty("database.dbname", url.getProperty("PGDBNAME"));
        p.setProperty("database.user", source.user());
        p.setProperty("database.password", source.password());
        // Debezium takes the server's address, not the URL: the URL's TLS settings go along as its own
        for (String tls : SSL_SETTINGS) {
            String value = url.getProperty(tls);
            if (value != null) {
                p.setProperty("database." + tls, value);
            }
        }
        p.setProperty("plugin.name", "pgoutput");
        p.setProperty("slot.name", source.slot());
        p.setProperty("publication.name", source.publication());
        p.setProperty("publication.autocreate.mode", "filtered");
        // a list of regexes over schema.table; the names are identifiers, so escaping '.' and '$' suffices
        p.setProperty("table.include.list", source.tables().stream()
                .map(t -> t.replace(".", "\\.").replace("$", "\\$"))
                .collect(Collectors.joining(",")));
        p.setProperty("provide.transaction.metadata", "true");
        // The default 500 ms poll interval dominates latency; 10 ms gives p50 ≈ 9 ms (FACTS.md).
        p.setProperty("poll.interval.ms", Long.toString(settings.pollInterval().toMillis()));
        // Heartbeats through a logical message: the only way the slot and offsets advance while idle.
        p.setProperty("heartbeat.interval.ms", Long.toString(source.heartbeatInterval().toMillis()));
        p.setProperty("heartbeat.action.query", LogicalMessages.HEARTBEAT_QUERY);
        p.setProperty("message.prefix.include.list", LogicalMessages.PREFIX_PATTERN);
        p.setProperty("snapshot.mode", "initial");
        p.setProperty("decimal.handling.mode", "precise");
        p.setProperty("interval.handling.mode", "string");
        p.setProperty("binary.handling.mode", "bytes");
        p.setProperty("time.precision.mode", "adaptive_time_microseconds");
        p.setProperty("column.propagate.source.type", ".*");
        p.setProperty("include.unknown.datatypes", "true");
        p.setProperty("tombstones.on.delete", "false");
        p.setProperty("slot.drop.on.stop", "false");
        // Failures surface to Outpost's supervisor, which restarts with backoff and one log line an attempt.
        p.setProperty("errors.max.retries", "0");
        p.setProperty("max.batch.size", Integer.toString(MAX_BATCH_SIZE));
        p.setProperty("max.queue.size", "8192");
        // Offsets in Kafka, next to the log, where a standby on another machine can read them.
        p.setProperty("offset.storage", "org.apache.kafka.connect.storage.KafkaOffsetBackingStore");
        p.setProperty("offset.storage.topic", settings.offsetsTopic());
        p.setProperty("offset.storage.partitions", "1");
        p.setProperty("offset.storage.replication.factor", "-1");
        // Outpost's CommitPolicy decides when offsets are committed (once a second, and at once
        // where a missing offset would force a new snapshot); this is the interval it uses.
        p.setProperty("offset.flush.interval.ms", "1000");
        // Kafka Connect's offset store hands these properties to its producer, consumer and admin
        // client, so the change log's TLS and SASL settings reach them too.
        settings.kafka().security().forEach(p::setProperty);
        p.setProperty("bootstrap.servers", settings.kafka().bootstrapServers());
        // Kafka Connect's offset store builds its producer from these properties: without this it
        // lingers 5 ms (Kafka 4's default) on every commit, and the engine waits for the commit
        // between two batches (a commit took 7-9 ms, 2-4 ms with it)
        p.setProperty("linger.ms", "0");
        return p;
    }
}

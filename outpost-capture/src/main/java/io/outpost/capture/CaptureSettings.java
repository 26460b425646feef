package io.outpost.capture;

import io.outpost.core.config.KafkaAccess;
import io.outpost.core.config.OutpostConfig;
import io.outpost.core.config.SourceConfig;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Objects;
import java.util.Optional;

/**
 * What a capture needs: the source, the change log, and the knobs of the pipeline.
 *
 * @param kafka            the change log's Kafka cluster
 * @param pollInterval     how often the engine polls the replication stream (latency floor)
 * @param memoryLimit      records of one transaction held in memory before the rest spill to disk
 * @param spillDirectory   where large transactions spill
 * @param offsetsTopic     where the engine's offsets live (in Kafka, so a standby elsewhere reads them)
 */
public record CaptureSettings(SourceConfig source, KafkaAccess kafka, String changesTopic,
                              Optional<Duration> retention, String offsetsTopic, Duration pollInterval,
                              int memoryLimit, Path spillDirectory) {

    public CaptureSettings {
        Objects.requireNonNull(source, "source");
        Objects.requireNonNull(kafka, "kafka");
        Objects.requireNonNull(changesTopic, "changesTopic");
        Objects.requireNonNull(retention, "retention");
        Objects.requireNonNull(offsetsTopic, "offsetsTopic");
        Objects.requireNonNull(pollInterval, "pollInterval");
        Objects.requireNonNull(spillDirectory, "spillDirectory");
        if (memoryLimit < 1) {
            throw new IllegalArgumentException("memoryLimit must be at least 1, but was " + memoryLimit);
        }
    }

    /** The settings of a configuration: poll every 10 ms, hold up to 50,000 records a transaction in memory. */
    public static CaptureSettings of(OutpostConfig config) {
        String prefix = config.log().topicPrefix();
        return new CaptureSettings(config.source(), config.log().access(), config.changesTopic(),
                config.log().retention(), prefix + "." + config.source().name() + ".capture-offsets",
                Duration.ofMillis(10), 50_000,
                Path.of(System.getProperty("java.io.tmpdir"), "outpost-capture", config.source().name()));
    }

    public CaptureSettings withSpillDirectory(Path directory) {
        return new CaptureSettings(source, kafka, changesTopic, retention, offsetsTopic, pollInterval,
                memoryLimit, directory);
    }

    public CaptureSettings withMemoryLimit(int limit) {
        return new CaptureSettings(source, kafka, changesTopic, retention, offsetsTopic, pollInterval, limit,
                spillDirectory);
    }
}

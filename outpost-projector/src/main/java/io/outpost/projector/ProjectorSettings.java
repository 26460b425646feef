package io.outpost.projector;

import io.outpost.core.OutpostException;
import io.outpost.core.config.OutpostConfig;
import io.outpost.core.config.ProjectorConfig;
import io.outpost.core.config.RegionConfig;
import io.outpost.core.config.ViewDefinition;
import java.util.List;
import java.util.Objects;

/**
 * What one region's projector needs: the source's name and change log, the region's store and
 * Kafka bootstrap, the views, and how to batch.
 */
public record ProjectorSettings(String source, String changesTopic, RegionConfig region, List<ViewDefinition> views,
                                ProjectorConfig projector) {

    public ProjectorSettings {
        Objects.requireNonNull(source, "source");
        Objects.requireNonNull(changesTopic, "changesTopic");
        Objects.requireNonNull(region, "region");
        views = List.copyOf(views);
        Objects.requireNonNull(projector, "projector");
    }

    /**
     * The settings of {@code region}'s projector.
     *
     * @throws OutpostException when the configuration has no such region
     */
    public static ProjectorSettings of(OutpostConfig config, String region) {
        RegionConfig regionConfig = config.regions().get(region);
        if (regionConfig == null) {
            throw new OutpostException("there is no region " + region + " in the configuration (regions: "
                    + config.regions().keySet() + ")");
        }
        return new ProjectorSettings(config.source().name(), config.changesTopic(), regionConfig,
                List.copyOf(config.views().values()), config.projector());
    }

    /** The same settings for another region (its store and Kafka). */
    public ProjectorSettings withStore(RegionConfig other) {
        return new ProjectorSettings(source, changesTopic, other, views, projector);
    }

    /** The same settings with other views. */
    public ProjectorSettings withViews(List<ViewDefinition> other) {
        return new ProjectorSettings(source, changesTopic, region, other, projector);
    }

    /** The same settings reading another topic. */
    public ProjectorSettings withTopic(String topic) {
        return new ProjectorSettings(source, topic, region, views, projector);
    }

    /** The same settings with other batching. */
    public ProjectorSettings withProjector(ProjectorConfig other) {
        return new ProjectorSettings(source, changesTopic, region, views, other);
    }
}

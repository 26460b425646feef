package io.outpost.log;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.outpost.core.OutpostException;
import io.outpost.core.config.KafkaAccess;
import io.outpost.embedded.EmbeddedKafka;
import java.util.List;
import java.util.Map;
import java.util.OptionalInt;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.common.config.ConfigResource;
import org.junit.jupiter.api.Test;

/** The replication of the topics Outpost creates, on the one in-process broker. */
class TopicsIT {

    private static final KafkaAccess KAFKA = KafkaAccess.plaintext(EmbeddedKafka.shared().bootstrapServers());

    private static KafkaAccess asking(Integer factor, Integer minInsync) {
        return KAFKA.with(new KafkaAccess.Replication(factor == null ? OptionalInt.empty() : OptionalInt.of(factor),
                minInsync == null ? OptionalInt.empty() : OptionalInt.of(minInsync)));
    }

    private static String minInsyncOf(String topic) throws Exception {
        try (Admin admin = Admin.create(Map.of("bootstrap.servers", KAFKA.bootstrapServers()))) {
            ConfigResource resource = new ConfigResource(ConfigResource.Type.TOPIC, topic);
            return admin.describeConfigs(List.of(resource)).all().get(15, TimeUnit.SECONDS).get(resource)
                    .get("min.insync.replicas").value();
        }
    }

    @Test
    void byDefaultATopicGetsThreeReplicasOrAsManyAsTheClusterHasSayingSo() throws Exception {
        Topics.Outcome outcome = Topics.ensure(KAFKA, "outpost.topics_default.changes", Map.of(), "the change log");
        assertThat(outcome.created()).isTrue();
        assertThat(outcome.replicationFactor()).isEqualTo(1);
        assertThat(outcome.minInsyncReplicas()).isEqualTo(1);
        assertThat(outcome.description().partitions()).hasSize(1);
        assertThat(outcome.warnings()).singleElement().asString().contains("has 1 broker(s)")
                .contains("instead of 3").contains("set log.replication-factor: 1 to say this is meant");
        assertThat(minInsyncOf("outpost.topics_default.changes")).isEqualTo("1");

        Topics.Outcome again = Topics.ensure(KAFKA, "outpost.topics_default.changes", Map.of(), "the change log");
        assertThat(again.created()).isFalse();
        assertThat(again.warnings()).as("an existing topic as good as the capped default").isEmpty();
    }

    @Test
    void aConfiguredFactorIsMadeOrRefusedAndAnExistingTopicThatFallsShortIsAWarningNamingTheFix() throws Exception {
        Topics.Outcome one = Topics.ensure(asking(1, null), "outpost.topics_one.changes", Map.of("cleanup.policy", "compact"),
                "capture's offsets");
        assertThat(one.created()).isTrue();
        assertThat(one.warnings()).as("a single broker, said to be meant").isEmpty();

        assertThatThrownBy(() -> Topics.ensure(asking(2, null), "outpost.topics_two.changes", Map.of(), "the change log"))
                .isInstanceOf(OutpostException.class).isNotInstanceOf(OutpostException.Retriable.class)
                .hasMessageContaining("cannot be created with log.replication-factor 2")
                .hasMessageContaining("has 1 broker(s)");
        assertThatThrownBy(() -> Topics.ensure(asking(null, 2), "outpost.topics_two.changes", Map.of(), "the change log"))
                .isInstanceOf(OutpostException.class).hasMessageContaining("log.min-insync-replicas is 2");

        Topics.Outcome shortfall = Topics.ensure(asking(2, 2), "outpost.topics_one.changes", Map.of(), "capture's offsets");
        assertThat(shortfall.created()).isFalse();
        assertThat(shortfall.warnings()).hasSize(2);
        assertThat(shortfall.warnings().get(0)).contains("has 1 replica(s), fewer than 2 (log.replication-factor)")
                .contains("kafka-reassign-partitions");
        assertThat(shortfall.warnings().get(1)).contains("has min.insync.replicas 1, below 2 (log.min-insync-replicas)")
                .contains("--add-config min.insync.replicas=2");
    }
}

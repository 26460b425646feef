package io.outpost.log;

import io.outpost.core.OutpostException;
import io.outpost.core.config.KafkaAccess;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.Config;
import org.apache.kafka.clients.admin.ConfigEntry;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.common.config.ConfigResource;
import org.apache.kafka.common.errors.AuthorizationException;
import org.apache.kafka.common.errors.TopicExistsException;
import org.apache.kafka.common.errors.UnknownTopicOrPartitionException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The topics Outpost owns — the change log, capture's offsets, the region-state topic — made with
 * one partition and the durability {@code log.replication-factor} and {@code log.min-insync-replicas}
 * ask for; a topic that exists already is checked instead, and what falls short is a warning that
 * names the fix (Outpost never changes a topic it did not just create).
 *
 * <p>Unset, the replication factor is 3, or the cluster's broker count when it has fewer (a single
 * broker for a demo or a test), with a warning; {@code min.insync.replicas} is one less than the
 * factor, at least 1. A factor that is set and exceeds the brokers is an error: the topic cannot be made.
 */
public final class Topics {

    private static final Logger LOG = LoggerFactory.getLogger(Topics.class);
    public static final int DEFAULT_REPLICATION_FACTOR = 3;
    static final Duration ADMIN_TIMEOUT = Duration.ofSeconds(15);

    private Topics() {
    }

    /**
     * What {@link #ensure} found or made.
     *
     * @param created           whether this call created the topic
     * @param replicationFactor the factor asked for (after the default's cap)
     * @param minInsyncReplicas the {@code min.insync.replicas} asked for
     * @param warnings          what falls short, each naming the fix (also logged)
     */
    public record Outcome(TopicDescription description, boolean created, int replicationFactor, int minInsyncReplicas,
                          List<String> warnings) {
    }

    /**
     * Creates {@code topic} (one partition, {@code configs} and {@code min.insync.replicas}) when
     * missing; checks its replication when present.
     *
     * @param what what the topic is, for messages: "the change log", "the region-state topic"
     * @throws OutpostException.Retriable when Kafka cannot be reached within 15 s
     * @throws OutpostException when the topic cannot be made as configured
     */
    public static Outcome ensure(KafkaAccess kafka, String topic, Map<String, String> configs, String what) {
        Map<String, Object> adminConfig = kafka.clientConfig();
        adminConfig.put("request.timeout.ms", (int) ADMIN_TIMEOUT.toMillis());
        adminConfig.put("default.api.timeout.ms", (int) ADMIN_TIMEOUT.toMillis());
        try (Admin admin = Admin.create(adminConfig)) {
            Outcome outcome = ensure(admin, kafka, topic, configs, what);
            outcome.warnings().forEach(LOG::warn);
            return outcome;
        } catch (ExecutionException | TimeoutException e) {
            Throwable cause = e instanceof ExecutionException ? e.getCause() : e;
            if (cause instanceof AuthorizationException) {
                throw new OutpostException.Retriable("Kafka at " + kafka + " does not let this role prepare " + what + " "
                        + topic + " (" + cause.getMessage() + "); grant it the ACLs docs/security.md lists, or create the "
                        + "topic beforehand", cause);
            }
            throw new OutpostException.Retriable("cannot reach " + what + "'s Kafka at " + kafka + " within "
                    + ADMIN_TIMEOUT.toSeconds() + " s to prepare " + topic
                    + (cause.getMessage() == null ? "" : ": " + cause.getMessage()), cause);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new OutpostException("interrupted while preparing " + what + " " + topic, e);
        }
    }

    private static Outcome ensure(Admin admin, KafkaAccess kafka, String topic, Map<String, String> configs, String what)
            throws ExecutionException, TimeoutException, InterruptedException {
        KafkaAccess.Replication asked = kafka.replication();
        int brokers = admin.describeCluster().nodes().get(ADMIN_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS).size();
        int factor = asked.factor().orElse(Math.min(DEFAULT_REPLICATION_FACTOR, Math.max(1, brokers)));
        int minInsync = asked.minInsyncReplicas().orElse(Math.max(1, factor - 1));
        if (minInsync > factor) {
            throw new OutpostException("log.min-insync-replicas is " + minInsync + " but " + what + " " + topic + " gets "
                    + factor + " replica(s) on the Kafka cluster at " + kafka + " (" + brokers + " broker(s)): no write could "
                    + "be acknowledged. Lower log.min-insync-replicas or add brokers");
        }
        List<String> warnings = new ArrayList<>();
        TopicDescription existing = describe(admin, topic, false);
        boolean created = false;
        if (existing == null) {
            if (factor > brokers) {
                throw new OutpostException(what + " " + topic + " cannot be created with log.replication-factor " + factor
                        + ": the Kafka cluster at " + kafka + " has " + brokers + " broker(s). Add brokers, or lower "
                        + "log.replication-factor");
            }
            if (asked.factor().isEmpty() && factor < DEFAULT_REPLICATION_FACTOR) {
                warnings.add("the Kafka cluster at " + kafka + " has " + brokers + " broker(s), so " + what + " " + topic
                        + " is made with replication factor " + factor + " instead of " + DEFAULT_REPLICATION_FACTOR
                        + " (log.replication-factor's default): losing a broker can lose it. Add brokers, or set "
                        + "log.replication-factor: " + factor + " to say this is meant");
            }
            Map<String, String> withInsync = new HashMap<>(configs);
            withInsync.put("min.insync.replicas", Integer.toString(minInsync));
            try {
                admin.createTopics(List.of(new NewTopic(topic, Optional.of(1), Optional.of((short) factor))
                        .configs(withInsync))).all().get(ADMIN_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
                created = true;
                LOG.info("created {} {} on {}: 1 partition, replication factor {}, min.insync.replicas {}", what, topic,
                        kafka, factor, minInsync);
            } catch (ExecutionException e) {
                if (!(e.getCause() instanceof TopicExistsException)) {
                    throw e;
                }
            }
            existing = describe(admin, topic, true);
        }
        if (!created) {
            int replicas = existing.partitions().isEmpty() ? 0 : existing.partitions().getFirst().replicas().size();
            if (replicas < factor) {
                warnings.add(what + " " + topic + " has " + replicas + " replica(s), fewer than " + factor
                        + (asked.factor().isPresent() ? " (log.replication-factor)" : " (log.replication-factor's default, "
                        + "capped at the cluster's brokers)") + ": losing a broker can lose or stop it. Add replicas with "
                        + "kafka-reassign-partitions");
            }
            int current;
            try {
                current = minInsyncReplicas(admin, topic);
            } catch (ExecutionException e) {
                if (!(e.getCause() instanceof AuthorizationException)) {
                    throw e;
                }
                current = minInsync;
                warnings.add("cannot check min.insync.replicas of " + what + " " + topic + " (" + e.getCause().getMessage()
                        + "); grant DESCRIBE_CONFIGS on it to have it checked");
            }
            if (current < minInsync) {
                warnings.add(what + " " + topic + " has min.insync.replicas " + current + ", below " + minInsync
                        + (asked.minInsyncReplicas().isPresent() ? " (log.min-insync-replicas)" : " (one less than its "
                        + "replication factor)") + ": a write counts as made with fewer copies. Raise it with kafka-configs "
                        + "--alter --entity-type topics --entity-name " + topic + " --add-config min.insync.replicas="
                        + minInsync);
            }
        }
        return new Outcome(existing, created, factor, minInsync, List.copyOf(warnings));
    }

    private static int minInsyncReplicas(Admin admin, String topic)
            throws ExecutionException, TimeoutException, InterruptedException {
        ConfigResource resource = new ConfigResource(ConfigResource.Type.TOPIC, topic);
        Config config = admin.describeConfigs(List.of(resource)).all().get(ADMIN_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS)
                .get(resource);
        ConfigEntry entry = config == null ? null : config.get("min.insync.replicas");
        return entry == null || entry.value() == null ? 1 : Integer.parseInt(entry.value());
    }

    /**
     * Describes {@code topic}: null when it does not exist, unless {@code justCreated}, when the
     * moment after its creation in which the broker answering has not yet learnt of it is waited out.
     */
    private static TopicDescription describe(Admin admin, String topic, boolean justCreated)
            throws ExecutionException, TimeoutException, InterruptedException {
        long deadline = System.nanoTime() + ADMIN_TIMEOUT.toNanos();
        while (true) {
            try {
                return admin.describeTopics(List.of(topic)).allTopicNames()
                        .get(ADMIN_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS).get(topic);
            } catch (ExecutionException e) {
                if (!(e.getCause() instanceof UnknownTopicOrPartitionException)) {
                    throw e;
                }
                if (!justCreated) {
                    return null;
                }
                if (System.nanoTime() > deadline) {
                    throw e;
                }
                Thread.sleep(50);
            }
        }
    }
}

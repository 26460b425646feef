package io.outpost.embedded.internal;

import io.outpost.embedded.ChildJvm;
import io.outpost.embedded.EmbeddedKafka;
import java.io.IOException;
import java.nio.file.Path;

/**
 * One node of a {@link io.outpost.embedded.KafkaCluster}, in a JVM of its own: starts the broker
 * on the data its directory holds (formatting it on first start), prints the READY line, and runs
 * until it is killed, stopped (SIGTERM: a clean shutdown that keeps the data) or its parent goes
 * away (its standard input ends), so that no broker outlives the test that started it.
 *
 * <p>Arguments: node id, cluster id, voters, broker port, controller port, directory, replicas.
 */
public final class KafkaNodeMain {

    private KafkaNodeMain() {
    }

    public static void main(String[] args) throws IOException {
        int nodeId = Integer.parseInt(args[0]);
        int replicas = Integer.parseInt(args[6]);
        String factor = Integer.toString(replicas);
        String minInsync = Integer.toString(Math.max(1, replicas - 1));
        EmbeddedKafka kafka = EmbeddedKafka.builder()
                .directory(Path.of(args[5]))
                .keepData()
                .clusterNode(nodeId, args[1], args[2], Integer.parseInt(args[3]), Integer.parseInt(args[4]))
                .setting("offsets.topic.replication.factor", factor)
                .setting("transaction.state.log.replication.factor", factor)
                .setting("transaction.state.log.min.isr", minInsync)
                .setting("share.coordinator.state.topic.replication.factor", factor)
                .setting("share.coordinator.state.topic.min.isr", minInsync)
                .setting("default.replication.factor", factor)
                .setting("min.insync.replicas", minInsync)
                // a killed broker is fenced, and its partitions get new leaders, within seconds
                .setting("broker.heartbeat.interval.ms", "500")
                .setting("broker.session.timeout.ms", "3000")
                .start();
        ChildJvm.ready(kafka.bootstrapServers());
        // the parent holds our standard input: when it dies, so do we (no shutdown hook deletes the data)
        while (System.in.read() >= 0) {
            // nothing is sent; read until the end
        }
        Runtime.getRuntime().halt(0);
    }
}

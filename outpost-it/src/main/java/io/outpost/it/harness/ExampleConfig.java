package io.outpost.it.harness;

import io.outpost.core.config.OutpostConfig;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.Map;

/** The example configuration ({@code examples/outpost-shop.yml}), with addresses from a map instead of the environment. */
public final class ExampleConfig {

    private ExampleConfig() {
    }

    /** The file's text. */
    public static String text() {
        try (InputStream in = ExampleConfig.class.getResourceAsStream("/io/outpost/it/outpost-shop.yml")) {
            if (in == null) {
                throw new IllegalStateException("the example configuration is missing from the classpath");
            }
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * The example configuration with {@code variables} in place of the environment, its own slot
     * and a topic prefix of its own (so several can share one PostgreSQL and one broker).
     */
    public static OutpostConfig of(String name, Map<String, String> variables) {
        String yaml = text()
                .replace("  heartbeat-interval: 1s", "  heartbeat-interval: 1s\n  slot: outpost_" + name)
                .replace("  bootstrap-servers: ${KAFKA_BOOTSTRAP:-localhost:9092}",
                        "  bootstrap-servers: ${KAFKA_BOOTSTRAP:-localhost:9092}\n  topic-prefix: " + name);
        return OutpostConfig.parse(yaml, variables::get);
    }
}

package io.outpost.it.harness;

import io.outpost.core.config.ConfigTemplate;
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
        return OutpostConfig.parse(named(name), variables::get);
    }

    /**
     * The same configuration as {@link #of} as a file's text, with {@code variables} written in
     * (for a process that does not share this one's map); other references keep their defaults.
     */
    public static String render(String name, Map<String, String> variables) {
        return ConfigTemplate.render(named(name), variables);
    }

    /** The text with a slot and a topic prefix of its own. */
    private static String named(String name) {
        return text()
                .replace("  heartbeat-interval: 1s", "  heartbeat-interval: 1s\n  slot: outpost_" + name)
                .replace("  bootstrap-servers: ${KAFKA_BOOTSTRAP:-localhost:9092}",
                        "  bootstrap-servers: ${KAFKA_BOOTSTRAP:-localhost:9092}\n  topic-prefix: " + name);
    }
}

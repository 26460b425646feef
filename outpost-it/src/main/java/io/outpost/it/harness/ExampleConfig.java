package io.outpost.it.harness;

import io.outpost.core.config.ConfigTemplate;
import io.outpost.core.config.OutpostConfig;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.Map;

/**
 * The example configuration ({@code examples/outpost-shop.yml}), with addresses from a map instead of
 * the environment, and without authentication (see {@link #withoutAuthentication}).
 */
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

    /**
     * The example configuration as written — authentication on, the views' read rules — with
     * {@code variables} (its secrets and key file among them) in place of the environment, its own
     * slot and topic prefix.
     */
    public static OutpostConfig withAuthentication(String name, Map<String, String> variables) {
        return OutpostConfig.parse(named(text(), name), variables::get);
    }

    /**
     * The text without authentication: {@code auth.mode: none} and no read rules (the harnesses and
     * benchmarks read as anyone; SecurityIT puts authentication back its own way).
     */
    public static String withoutAuthentication(String text) {
        String open = text.replaceAll("(?m)^auth:\n(  .*\n)+", "auth:\n  mode: none\n")
                .replaceAll("(?m)^    read:\n(      - .*\n)+", "")
                .replaceAll("(?m)^    read: public\n", "");
        if (open.contains("\n    read:") || !open.contains("auth:\n  mode: none\n")) {
            throw new IllegalStateException("the example configuration's auth section or read rules changed shape; "
                    + "adjust ExampleConfig.withoutAuthentication");
        }
        return open;
    }

    /** The text with a slot and a topic prefix of its own, without authentication. */
    private static String named(String name) {
        return named(withoutAuthentication(text()), name);
    }

    /** {@code text} with a slot and a topic prefix named {@code name}, for one broker. */
    private static String named(String text, String name) {
        return text
                .replace("  heartbeat-interval: 1s", "  heartbeat-interval: 1s\n  slot: outpost_" + name)
                .replace("  bootstrap-servers: ${KAFKA_BOOTSTRAP:-localhost:9092}",
                        "  bootstrap-servers: ${KAFKA_BOOTSTRAP:-localhost:9092}\n  topic-prefix: " + name)
                // the in-process broker is one: its topics can keep one copy only
                .replace("  replication-factor: ${KAFKA_REPLICATION_FACTOR:-3}", "  replication-factor: 1");
    }
}

package io.outpost.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DemoIT {

    private static final ObjectMapper JSON = new ObjectMapper();

    private static String shell(String command) throws Exception {
        Process p = new ProcessBuilder("bash", "-c", command).redirectErrorStream(true).start();
        String output = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(30, TimeUnit.SECONDS)).isTrue();
        assertThat(p.exitValue()).as("exit of %s: %s", command, output).isZero();
        return output;
    }

    @Test
    void startsEverythingAndItsPrintedCurlCommandsWork(@TempDir Path dir) throws Exception {
        assumeTrue(new ProcessBuilder("curl", "--version").start().waitFor() == 0, "needs curl");
        Path data = dir.resolve("demo");

        try (Demo demo = Demo.start(Demo.Options.defaults(data).withShopPort(0))) {
            String banner = demo.banner();
            assertThat(banner).contains(demo.shop().url(), demo.kafka().bootstrapServers(), data.toString(),
                    "Press Ctrl-C");
            List<String> commands = demo.exampleCommands();
            assertThat(commands).hasSize(2).allSatisfy(c -> assertThat(banner).contains(c));

            JsonNode order = JSON.readTree(shell(commands.get(0)));
            assertThat(order.get("id").asLong()).isPositive();
            assertThat(order.get("lines").size()).isPositive();

            JsonNode placed = JSON.readTree(shell(commands.get(1)));
            assertThat(placed.get("status").asText()).isEqualTo("PLACED");
            assertThat(placed.get("id").asLong()).isEqualTo(1001);
        }
        assertThat(data.resolve("postgres")).doesNotExist();
        assertThat(data.resolve("kafka")).doesNotExist();
    }
}

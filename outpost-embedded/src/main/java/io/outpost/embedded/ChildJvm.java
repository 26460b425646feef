package io.outpost.embedded;

import java.io.BufferedReader;
import java.io.BufferedWriter;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A second JVM on this JVM's classpath, for tests that must {@code kill -9} what they start
 * (capture, a projector, embedded servers) and see what a restart makes of what is left.
 *
 * <p>The child prints a line starting with {@code READY} when it is up; whatever follows the word
 * is {@link #readyLine()}. Everything it prints goes to a log file, if one is given; what it printed
 * before it died unready is in the exception's message too.
 */
public final class ChildJvm implements AutoCloseable {

    /** What a child prints once it is up. */
    public static final String READY = "READY";

    private final Process process;
    private final String readyLine;

    private ChildJvm(Process process, String readyLine) {
        this.process = process;
        this.readyLine = readyLine;
    }

    /**
     * Starts {@code mainClass} with {@code args} and waits for its READY line.
     *
     * @param log where the child's later output goes; {@code null} discards it
     * @param jvmOptions options before the class path, e.g. {@code -Dlogback.configurationFile=…}
     */
    public static ChildJvm start(Class<?> mainClass, Path log, List<String> jvmOptions, String... args) throws IOException {
        List<String> command = new ArrayList<>();
        command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        command.addAll(jvmOptions);
        command.addAll(List.of("-cp", System.getProperty("java.class.path"), mainClass.getName()));
        command.addAll(List.of(args));
        Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
        var reader = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8));
        String line;
        java.util.ArrayDeque<String> last = new java.util.ArrayDeque<>();
        BufferedWriter out = log == null ? null
                : Files.newBufferedWriter(log, StandardCharsets.UTF_8, StandardOpenOption.CREATE, StandardOpenOption.APPEND);
        try {
            while ((line = reader.readLine()) != null) {
                if (line.startsWith(READY)) {
                    if (out != null) {
                        out.flush();
                    }
                    drain(reader, out, mainClass.getSimpleName());
                    out = null; // the drain writes the rest and closes it
                    return new ChildJvm(process, line.substring(READY.length()).strip());
                }
                if (out != null) {
                    out.write(line);
                    out.newLine();
                }
                last.addLast(line);
                if (last.size() > 20) {
                    last.removeFirst();
                }
            }
        } finally {
            if (out != null) {
                out.close();
            }
        }
        process.destroyForcibly();
        throw new IOException("the child JVM running " + mainClass.getName() + " ended before it was ready; its last words:\n"
                + String.join("\n", last));
    }

    /** Prints the READY line; call from the child's main once it is up. */
    public static void ready(Object detail) {
        System.out.println(READY + " " + detail);
        System.out.flush();
    }

    /** Copies the rest of the child's output to {@code log} ({@code null}: discards it), and closes it at the end. */
    private static void drain(BufferedReader reader, BufferedWriter log, String name) {
        Thread drain = new Thread(() -> {
            try (BufferedWriter out = log) {
                for (String l; (l = reader.readLine()) != null; ) {
                    if (out != null) {
                        out.write(l);
                        out.newLine();
                        out.flush();
                    }
                }
            } catch (IOException ignored) {
                // the child died: that is what these tests do to it
            }
        }, "child-output-" + name);
        drain.setDaemon(true);
        drain.start();
    }

    /** What followed READY on the child's ready line. */
    public String readyLine() {
        return readyLine;
    }

    /** Whether the child runs. */
    public boolean alive() {
        return process.isAlive();
    }

    /** {@code kill -9}: no shutdown hooks run, nothing is flushed. */
    public void killHard() {
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
}

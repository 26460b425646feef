package io.outpost.it.topology;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One {@code outpost run} process of a {@link Topology} (or the example shop): a JVM of its own,
 * started from this JVM's class path with {@code io.outpost.server.Main}, as {@code ./outpost run}
 * starts it. It can be killed ({@code kill -9}), hung ({@code SIGSTOP}) and resumed ({@code SIGCONT}), stopped
 * ({@code SIGTERM}) and started again with the same arguments. Its console goes to
 * {@code <name>.out} and its log to {@code <name>.log} in the topology's directory.
 */
public final class OutpostProcess {

    private static final Logger LOG = LoggerFactory.getLogger(OutpostProcess.class);
    /**
     * The line {@code outpost run} prints once every role runs, after the one naming them: how long each
     * step of its start took ({@code started 4210 ms after the JVM …}).
     */
    private static final Pattern STARTED = Pattern.compile("(?m)^started \\d+ ms after the JVM.*$");
    private static final Pattern GATEWAY_LISTENING = Pattern.compile("\\(gateway listening after (\\d+) ms\\)");
    private static final Pattern MANAGEMENT = Pattern.compile("management on (http://\\S+)");

    private final String name;
    private final List<String> command;
    private final Path console;
    private final Duration startTimeout;
    private final Pattern ready;
    private volatile Process process;
    private volatile boolean hung;
    private volatile String readyLine = "";

    OutpostProcess(String name, List<String> jvmOptions, List<String> runArguments, Path directory, Duration startTimeout) {
        this(name, jvmOptions, "io.outpost.server.Main", prepend("run", runArguments), STARTED, directory, startTimeout);
    }

    /**
     * Any main class of this JVM's class path, ready once its console has a whole line matching
     * {@code ready} (a multi-line pattern): the example shop ({@code io.outpost.examples.shop.ShopMain},
     * "shop ready on …").
     */
    OutpostProcess(String name, List<String> jvmOptions, String mainClass, List<String> arguments, Pattern ready,
                   Path directory, Duration startTimeout) {
        this.name = name;
        this.console = directory.resolve(name + ".out");
        this.startTimeout = startTimeout;
        this.ready = ready;
        List<String> c = new ArrayList<>();
        c.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        c.addAll(jvmOptions);
        c.add("-Doutpost.log.file=" + directory.resolve(name + ".log").toAbsolutePath());
        c.add("-Dlogback.configurationFile=logback-topology.xml");
        c.addAll(List.of("-cp", System.getProperty("java.class.path"), mainClass));
        c.addAll(arguments);
        this.command = List.copyOf(c);
    }

    private static List<String> prepend(String first, List<String> rest) {
        List<String> all = new ArrayList<>(List.of(first));
        all.addAll(rest);
        return all;
    }

    /** Its name in the topology: {@code capture}, {@code us-east}, {@code us-east-gateway}… */
    public String name() {
        return name;
    }

    /** Starts it and waits until it says every role runs. */
    public synchronized void start() {
        if (process != null && process.isAlive()) {
            throw new IllegalStateException(name + " runs already");
        }
        try {
            Files.writeString(console, "--- start " + java.time.Instant.now() + "\n", StandardCharsets.UTF_8,
                    java.nio.file.StandardOpenOption.CREATE, java.nio.file.StandardOpenOption.APPEND);
            long mark = Files.size(console);
            process = new ProcessBuilder(command).redirectErrorStream(true)
                    .redirectOutput(ProcessBuilder.Redirect.appendTo(console.toFile())).start();
            hung = false;
            long deadline = System.nanoTime() + startTimeout.toNanos();
            while (true) {
                String said = said(mark);
                Matcher line = ready.matcher(said);
                if (line.find() && said.indexOf('\n', line.start()) > 0) {
                    readyLine = line.group().strip();
                    LOG.info("{} runs (pid {}); {}", name, process.pid(), readyLine);
                    return;
                }
                if (!process.isAlive()) {
                    throw new IllegalStateException(name + " ended with exit code " + process.exitValue()
                            + " before it ran; it said:\n" + said);
                }
                if (System.nanoTime() > deadline) {
                    process.destroyForcibly();
                    throw new IllegalStateException(name + " did not say it runs within " + startTimeout.toSeconds()
                            + " s; it said:\n" + said);
                }
                Thread.sleep(50);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot start " + name + ": " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while " + name + " started", e);
        }
    }

    private String said(long from) throws IOException {
        byte[] all = Files.readAllBytes(console);
        return new String(all, (int) Math.min(from, all.length), (int) Math.max(0, all.length - from), StandardCharsets.UTF_8);
    }

    /**
     * The line its last start was ready with; for {@code outpost run}, its timing: {@code started 4210 ms
     * after the JVM (gateway listening after 3900 ms): 650 ms to read the configuration, then …}.
     */
    public String startTimes() {
        return readyLine;
    }

    /** From its last start: milliseconds from the JVM's start until its gateway listened; -1 when it has none. */
    public long gatewayListeningAfterMs() {
        Matcher m = GATEWAY_LISTENING.matcher(readyLine);
        return m.find() ? Long.parseLong(m.group(1)) : -1;
    }

    /**
     * From its last start: its management address ({@code http://127.0.0.1:41233}), which serves
     * {@code /outpost/health} and {@code /outpost/metrics}.
     *
     * @throws IllegalStateException when it is no {@code outpost run} process, or has not started
     */
    public String managementUrl() {
        Matcher m = MANAGEMENT.matcher(readyLine);
        if (!m.find()) {
            throw new IllegalStateException(name + " said no management address: " + readyLine);
        }
        return m.group(1);
    }

    /** Whether its JVM is alive (a hung one is). */
    public boolean alive() {
        Process p = process;
        return p != null && p.isAlive();
    }

    /** Whether it is stopped by {@link #hang}. */
    public boolean hung() {
        return hung;
    }

    /** The process id. */
    public long pid() {
        return process.pid();
    }

    /** {@code kill -9}: no shutdown hook runs, nothing is flushed, its locks and connections die with it. */
    public synchronized void kill() {
        Process p = process;
        if (p == null || !p.isAlive()) {
            return;
        }
        p.destroyForcibly();
        await(p, Duration.ofSeconds(30));
        hung = false;
        LOG.info("{} killed (kill -9)", name);
    }

    /** {@code kill -STOP}: it stops where it is, its sockets open, answering nothing. */
    public synchronized void hang() {
        signal("STOP");
        hung = true;
        LOG.info("{} hung (SIGSTOP)", name);
    }

    /** {@code kill -CONT} after {@link #hang}. */
    public synchronized void resume() {
        signal("CONT");
        hung = false;
        LOG.info("{} resumed (SIGCONT)", name);
    }

    /** {@code SIGTERM} (after SIGCONT when hung), then {@code kill -9} if it has not ended within 20 s. */
    public synchronized void stop() {
        Process p = process;
        if (p == null || !p.isAlive()) {
            return;
        }
        if (hung) {
            resume();
        }
        p.destroy();
        if (!await(p, Duration.ofSeconds(20))) {
            LOG.warn("{} did not stop within 20 s of SIGTERM; killing it", name);
            kill();
        }
    }

    /** {@link #stop} or {@link #kill}, then {@link #start} with the same arguments. */
    public void restart(boolean hard) {
        if (hard) {
            kill();
        } else {
            stop();
        }
        start();
    }

    private void signal(String signal) {
        Process p = process;
        if (p == null || !p.isAlive()) {
            throw new IllegalStateException(name + " does not run");
        }
        try {
            Process kill = new ProcessBuilder("kill", "-" + signal, Long.toString(p.pid())).inheritIO().start();
            if (!kill.waitFor(10, TimeUnit.SECONDS) || kill.exitValue() != 0) {
                throw new IllegalStateException("kill -" + signal + " " + p.pid() + " (" + name + ") failed");
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot run kill -" + signal + ": " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while signalling " + name, e);
        }
    }

    private static boolean await(Process p, Duration timeout) {
        try {
            return p.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    @Override
    public String toString() {
        return name + (alive() ? " (pid " + pid() + (hung ? ", hung" : "") + ")" : " (not running)");
    }
}

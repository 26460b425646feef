package io.outpost.embedded;

import io.outpost.embedded.internal.Launch;
import io.outpost.embedded.internal.Lifecycle;
import io.outpost.embedded.internal.OwnedDirectory;
import io.outpost.embedded.internal.PostgresBinaries;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A PostgreSQL 17 server from zonky's binaries on Maven Central, configured for change data capture
 * ({@code wal_level=logical}, replication slots and WAL senders, {@code synchronous_commit=on}).
 *
 * <p>Works as root: see {@link Launch} for how {@code initdb} and {@code pg_ctl} are run then.
 * The server owns its directory (an OS lock proves it); a start cleans up after an earlier process
 * that was {@code kill -9}'d: its postmaster, which outlives the JVM, is stopped and its files deleted.
 * The server stops on {@link #close()} and on JVM exit.
 *
 * <p>Durability: {@code fsync=off}. The data is disposable (a demo, a test), and a crash of the
 * JVM or of PostgreSQL loses nothing committed; only a crash of the OS could.
 */
public final class EmbeddedPostgres implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(EmbeddedPostgres.class);
    /** The superuser {@code initdb} creates; trust authentication on localhost. */
    public static final String SUPERUSER = "postgres";
    private static final Pattern DATABASE_NAME = Pattern.compile("[a-z_][a-z0-9_]{0,62}");

    private final OwnedDirectory home;
    private final Path installation;
    private final Launch launch;
    private final int port;
    private final Lifecycle lifecycle;

    private EmbeddedPostgres(OwnedDirectory home, Path installation, Launch launch, int port) {
        this.home = home;
        this.installation = installation;
        this.launch = launch;
        this.port = port;
        this.lifecycle = new Lifecycle("embedded-postgres", home, this::stop);
    }

    private static EmbeddedPostgres shared;

    /**
     * One server for the whole JVM, started on first use and stopped at JVM exit: what test suites
     * share so that each test JVM starts PostgreSQL once. Tests isolate themselves by database.
     */
    public static synchronized EmbeddedPostgres shared() {
        if (shared == null) {
            shared = start();
        }
        return shared;
    }

    /**
     * Leaves stopping to {@link #close()} alone: no JVM shutdown hook stops this server on its own.
     * For owners that stop their parts in order at exit (the demo), so that what uses the server
     * stops first.
     */
    public void stopOnlyWhenClosed() {
        lifecycle.stopOnlyWhenClosed();
    }

    /** Starts a server in a fresh directory under the system's temporary directory. */
    public static EmbeddedPostgres start() {
        return builder().start();
    }

    public static Builder builder() {
        return new Builder();
    }

    /** Options for a server; {@link #start()} starts it. */
    public static final class Builder {

        private Path directory;
        private Launch launch;
        private int port;
        private final Map<String, String> settings = new LinkedHashMap<>();
        private Duration startTimeout = Duration.ofSeconds(60);

        private Builder() {
        }

        /**
         * The directory the server owns (data, log). Whatever an earlier, dead process left there is
         * stopped and deleted. Default: a fresh directory under {@code <tmp>/outpost-embedded/postgres/}.
         */
        public Builder directory(Path directory) {
            this.directory = directory;
            return this;
        }

        /** How to run PostgreSQL's programs; default: what this machine needs ({@link Launch#detect()}). */
        public Builder launch(Launch launch) {
            this.launch = launch;
            return this;
        }

        /** The TCP port on localhost; default: a free one. */
        public Builder port(int port) {
            this.port = port;
            return this;
        }

        /** A {@code postgresql.conf} setting, added to (or overriding) the defaults. */
        public Builder setting(String name, String value) {
            settings.put(name, value);
            return this;
        }

        public Builder startTimeout(Duration timeout) {
            this.startTimeout = timeout;
            return this;
        }

        public EmbeddedPostgres start() {
            Path tmp = Path.of(System.getProperty("java.io.tmpdir"), "outpost-embedded");
            Launch chosen = launch != null ? launch : Launch.detect();
            if (!chosen.available()) {
                throw new IllegalStateException("the " + chosen + " launch of embedded PostgreSQL is not available here");
            }
            Path installation = PostgresBinaries.install(tmp);
            OwnedDirectory home = directory != null
                    ? OwnedDirectory.claim(directory, EmbeddedPostgres::stopLeftover)
                    : OwnedDirectory.claimFresh(tmp.resolve("postgres"), EmbeddedPostgres::stopLeftover);
            try {
                int chosenPort = port != 0 ? port : Ports.free();
                initdb(installation, chosen, home.path(), chosenPort, settings);
                EmbeddedPostgres server = new EmbeddedPostgres(home, installation, chosen, chosenPort);
                server.pgCtl(List.of("-D", server.dataDirectory().toString(), "-l", server.logFile().toString(),
                        "-w", "-t", Long.toString(startTimeout.toSeconds()), "start"), startTimeout.plusSeconds(5));
                LOG.info("embedded PostgreSQL started on port {} ({} launch, data in {})", chosenPort, chosen,
                        home.path());
                return server;
            } catch (RuntimeException e) {
                home.close();
                throw e;
            }
        }
    }

    /** The port on localhost. */
    public int port() {
        return port;
    }

    /** The launch in use. */
    public Launch launch() {
        return launch;
    }

    /** The directory this server owns. */
    public Path directory() {
        return home.path();
    }

    /** The server's own log. */
    public Path logFile() {
        return home.path().resolve("postgres.log");
    }

    /** The JDBC URL of {@code database} for the superuser. */
    public String jdbcUrl(String database) {
        return "jdbc:postgresql://localhost:" + port + "/" + database + "?user=" + SUPERUSER;
    }

    /** A new connection to {@code database} as the superuser. */
    public Connection connect(String database) throws SQLException {
        return DriverManager.getConnection(jdbcUrl(database));
    }

    /**
     * Creates {@code name} unless it exists, and returns its JDBC URL.
     *
     * @throws IllegalArgumentException for a name that is not lowercase letters, digits and '_'
     */
    public String createDatabase(String name) {
        if (!DATABASE_NAME.matcher(name).matches()) {
            throw new IllegalArgumentException("database name must be lowercase letters, digits and '_', "
                    + "starting with a letter or '_', but was \"" + name + "\"");
        }
        try (Connection c = connect("postgres");
             var exists = c.prepareStatement("SELECT 1 FROM pg_database WHERE datname = ?")) {
            exists.setString(1, name);
            try (var rs = exists.executeQuery()) {
                if (!rs.next()) {
                    try (var create = c.createStatement()) {
                        create.execute("CREATE DATABASE " + name);
                    } catch (SQLException e) {
                        if (!"42P04".equals(e.getSQLState())) { // created concurrently: fine
                            throw e;
                        }
                    }
                }
            }
            return jdbcUrl(name);
        } catch (SQLException e) {
            throw new IllegalStateException("cannot create database " + name + " on embedded PostgreSQL (port "
                    + port + "): " + e.getMessage(), e);
        }
    }

    /** Stops the server and deletes its directory. */
    @Override
    public void close() {
        lifecycle.close();
    }

    /**
     * Stops the server — {@code immediate}: as a crash does (no checkpoint, clients cut off, recovery
     * at the next start), else as an orderly restart does — waits {@code down}, and starts it again on
     * the same port with the same data.
     */
    public synchronized void restart(Duration down, boolean immediate) throws InterruptedException {
        pgCtl(List.of("-D", dataDirectory().toString(), "-m", immediate ? "immediate" : "fast", "-w", "-t", "30", "stop"),
                Duration.ofSeconds(40));
        LOG.info("embedded PostgreSQL on port {} stopped ({}), starting again in {} ms", port,
                immediate ? "immediately, as a crash" : "fast", down.toMillis());
        Thread.sleep(down.toMillis());
        pgCtl(List.of("-D", dataDirectory().toString(), "-l", logFile().toString(), "-w", "-t", "60", "start"),
                Duration.ofSeconds(65));
        LOG.info("embedded PostgreSQL on port {} started again", port);
    }

    private void stop() {
        try {
            pgCtl(List.of("-D", dataDirectory().toString(), "-m", "fast", "-w", "-t", "30", "stop"),
                    Duration.ofSeconds(40));
            LOG.info("embedded PostgreSQL on port {} stopped", port);
        } catch (RuntimeException e) {
            LOG.warn("embedded PostgreSQL on port {} did not stop cleanly: {}", port, e.getMessage());
        }
    }

    private Path dataDirectory() {
        return home.path().resolve("data");
    }

    private void pgCtl(List<String> args, Duration timeout) {
        run(launch.command(installation.resolve("bin/pg_ctl"), args), timeout, "pg_ctl " + args.getLast());
    }

    private static void initdb(Path installation, Launch launch, Path home, int port, Map<String, String> extra) {
        Path data = home.resolve("data");
        try {
            Files.createDirectories(data);
            launch.prepare(home);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot prepare " + data + ": " + e.getMessage(), e);
        }
        run(launch.command(installation.resolve("bin/initdb"), List.of("-A", "trust", "-U", SUPERUSER,
                "-D", data.toString(), "-E", "UTF-8", "--locale=C", "--no-sync", "--no-instructions")),
                Duration.ofSeconds(120), "initdb");
        Map<String, String> settings = new LinkedHashMap<>();
        settings.put("listen_addresses", "'localhost'");
        settings.put("port", Integer.toString(port));
        settings.put("unix_socket_directories", "''");
        settings.put("wal_level", "logical");
        settings.put("max_replication_slots", "20");
        settings.put("max_wal_senders", "20");
        settings.put("max_connections", "300");
        settings.put("synchronous_commit", "on");
        settings.put("fsync", "off");
        settings.put("full_page_writes", "off");
        settings.put("shared_buffers", "128MB");
        settings.put("max_locks_per_transaction", "128");
        settings.put("logging_collector", "off");
        settings.put("log_min_messages", "warning");
        settings.putAll(extra);
        var conf = new StringBuilder("\n# outpost embedded settings\n");
        settings.forEach((k, v) -> conf.append(k).append(" = ").append(v).append('\n'));
        try {
            Files.writeString(data.resolve("postgresql.conf"), conf, StandardCharsets.UTF_8, StandardOpenOption.APPEND);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * Stops the postmaster a dead process left in {@code home} (it is re-parented to init and keeps
     * running after {@code kill -9} of the JVM), so its port and shared memory are freed.
     */
    private static void stopLeftover(Path home) {
        Path pidFile = home.resolve("data/postmaster.pid");
        if (!Files.exists(pidFile)) {
            return;
        }
        try {
            long pid = Long.parseLong(Files.readAllLines(pidFile).getFirst().trim());
            Optional<ProcessHandle> process = ProcessHandle.of(pid)
                    .filter(p -> p.info().command().map(c -> c.endsWith("postgres")).orElse(false));
            if (process.isEmpty()) {
                return;
            }
            LOG.info("stopping PostgreSQL (pid {}) left running in {} by an earlier process", pid, home);
            // SIGQUIT is PostgreSQL's immediate shutdown: no waiting for clients, shared memory released.
            new ProcessBuilder("kill", "-QUIT", Long.toString(pid)).start().waitFor(5, TimeUnit.SECONDS);
            if (!process.get().onExit().completeOnTimeout(null, 15, TimeUnit.SECONDS).join().isAlive()) {
                return;
            }
            process.get().destroyForcibly();
            process.get().onExit().get(10, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (Exception e) {
            LOG.warn("could not stop the PostgreSQL left in {}: {}", home, e.toString());
        }
    }

    private static void run(List<String> command, Duration timeout, String what) {
        try {
            Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
            byte[] output = process.getInputStream().readAllBytes();
            if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
                process.destroyForcibly();
                throw new IllegalStateException(what + " did not finish within " + timeout.toSeconds() + " s");
            }
            if (process.exitValue() != 0) {
                throw new IllegalStateException(what + " failed (exit " + process.exitValue() + "): "
                        + new String(output, StandardCharsets.UTF_8).strip() + "\n  command: " + String.join(" ", command));
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot run " + what + ": " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(what + " was interrupted", e);
        }
    }

    @Override
    public String toString() {
        return "EmbeddedPostgres[port=" + port + ", " + launch + ", " + home.path() + "]";
    }
}

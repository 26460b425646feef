package io.outpost.server;

import java.io.IOException;
import java.io.InputStream;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.Properties;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

/**
 * The {@code outpost} command line of the production jar. {@code outpost demo} is not in it: the
 * demo and its embedded servers live in {@code outpost-demo}, whose command line is this one plus
 * {@code demo}.
 */
@Command(name = "outpost", mixinStandardHelpOptions = true, versionProvider = Main.Version.class,
        description = "Read-local, write-global regions in front of a relational monolith.",
        subcommands = {RunCommand.class, StatusCommand.class, RegionCommand.class, RebuildCommand.class, TailCommand.class,
            ValidateCommand.class, InitSourceCommand.class,
            ConfigReferenceCommand.class, CommandLine.HelpCommand.class})
public final class Main implements Runnable {

    @Spec
    CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(spec.commandLine().getOut());
    }

    public static void main(String[] args) {
        if (args.length > 0 && args[0].equals("demo")) {
            System.err.println("outpost demo is not part of this build of outpost (the production jar, without the demo's "
                    + "embedded servers): run ./outpost demo in a source checkout, or java -jar outpost-demo.jar demo");
            System.exit(2);
        }
        exit(commandLine(), args);
    }

    /**
     * Runs {@code cli} with {@code args} as a process's command line and exits with its code; the
     * log file is {@code <tmp>/outpost/outpost.log} unless {@code -Doutpost.log.file} says otherwise
     * ({@code outpost run} then moves to a file of its own beside it, {@link ProcessLog}).
     */
    public static void exit(CommandLine cli, String[] args) {
        if (System.getProperty("outpost.log.file") == null) {
            System.setProperty("outpost.log.file",
                    Path.of(System.getProperty("java.io.tmpdir"), "outpost", "outpost.log").toString());
            System.setProperty(ProcessLog.DEFAULT_CHOSEN, "true"); // outpost run moves to a file of its own
        }
        System.exit(cli.execute(args));
    }

    /** The command line, for {@link #main}, the demo's and tests that run commands in-process. */
    public static CommandLine commandLine() {
        return new CommandLine(new Main()).setCaseInsensitiveEnumValuesAllowed(true);
    }

    /** Runs {@code args} on {@code cli} with the given output and error streams; returns the exit code. */
    public static int execute(CommandLine cli, PrintWriter out, PrintWriter err, String... args) {
        cli.setOut(out);
        cli.setErr(err);
        return cli.execute(args);
    }

    /** Runs {@code args} on this command line with the given output and error streams; returns the exit code. */
    static int execute(PrintWriter out, PrintWriter err, String... args) {
        return execute(commandLine(), out, err, args);
    }

    /** The version Maven stamped into {@code version.properties}. */
    static final class Version implements CommandLine.IVersionProvider {

        @Override
        public String[] getVersion() {
            return new String[] {"outpost " + version(), "Java " + Runtime.version() + " (" + System.getProperty("java.vendor") + ")"};
        }

        static String version() {
            try (InputStream in = Main.class.getResourceAsStream("version.properties")) {
                Properties p = new Properties();
                if (in != null) {
                    p.load(in);
                }
                return p.getProperty("version", "unknown");
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
    }
}

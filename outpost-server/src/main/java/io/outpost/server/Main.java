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

/** The {@code outpost} command line. */
@Command(name = "outpost", mixinStandardHelpOptions = true, versionProvider = Main.Version.class,
        description = "Read-local, write-global regions in front of a relational monolith.",
        subcommands = {DemoCommand.class, RunCommand.class, StatusCommand.class, RebuildCommand.class, TailCommand.class, ValidateCommand.class, ConfigReferenceCommand.class,
            CommandLine.HelpCommand.class})
public final class Main implements Runnable {

    @Spec
    CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(spec.commandLine().getOut());
    }

    public static void main(String[] args) {
        if (System.getProperty("outpost.log.file") == null) {
            System.setProperty("outpost.log.file",
                    Path.of(System.getProperty("java.io.tmpdir"), "outpost", "outpost.log").toString());
        }
        System.exit(commandLine().execute(args));
    }

    /** The command line, for {@link #main} and for tests that run commands in-process. */
    static CommandLine commandLine() {
        return new CommandLine(new Main()).setCaseInsensitiveEnumValuesAllowed(true);
    }

    /** Runs {@code args} with the given output and error streams; returns the exit code. */
    static int execute(PrintWriter out, PrintWriter err, String... args) {
        CommandLine cli = commandLine();
        cli.setOut(out);
        cli.setErr(err);
        return cli.execute(args);
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

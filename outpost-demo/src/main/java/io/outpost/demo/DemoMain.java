package io.outpost.demo;

import io.outpost.server.Main;
import java.io.PrintWriter;
import picocli.CommandLine;

/** The command line of {@code outpost-demo.jar}: the production {@code outpost} command line plus {@code demo}. */
public final class DemoMain {

    private DemoMain() {
    }

    public static void main(String[] args) {
        Main.exit(commandLine(), args);
    }

    /** {@link Main#commandLine()} with {@code demo}. */
    static CommandLine commandLine() {
        return Main.commandLine().addSubcommand(new DemoCommand());
    }

    /** Runs {@code args} with the given output and error streams; returns the exit code. */
    static int execute(PrintWriter out, PrintWriter err, String... args) {
        return Main.execute(commandLine(), out, err, args);
    }
}

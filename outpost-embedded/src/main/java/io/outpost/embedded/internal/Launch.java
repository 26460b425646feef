package io.outpost.embedded.internal;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * How PostgreSQL's {@code initdb} and {@code pg_ctl} are run. They refuse to run as root, and tests
 * and the demo often do run as root (containers, CI machines):
 * <ul>
 *   <li>{@code DIRECT}: not root, run as is;</li>
 *   <li>{@code UNSHARE}: root, in a new user namespace ({@code unshare -U}), where the process is
 *       not uid 0 but its files are still the caller's;</li>
 *   <li>{@code SETPRIV}: root where user namespaces are unavailable: run as uid/gid 65534 through
 *       {@code setpriv}, with the data directory owned by that user.</li>
 * </ul>
 */
public enum Launch {
    DIRECT, UNSHARE, SETPRIV;

    /** The unprivileged user of the {@code SETPRIV} launch (nobody/nogroup on most systems). */
    public static final int UNPRIVILEGED_ID = 65534;

    /** The launch this machine needs: {@code DIRECT} unless root, then user namespaces if they work. */
    public static Launch detect() {
        if (!runningAsRoot()) {
            return DIRECT;
        }
        if (succeeds(List.of("unshare", "-U", "true"))) {
            return UNSHARE;
        }
        if (succeeds(List.of("setpriv", "--version"))) {
            return SETPRIV;
        }
        throw new IllegalStateException("embedded PostgreSQL cannot run as root here: user namespaces "
                + "(unshare -U) are unavailable and setpriv (util-linux) is not installed; run as a non-root user, "
                + "or install util-linux");
    }

    /** Whether this launch can work on this machine. */
    public boolean available() {
        return switch (this) {
            case DIRECT -> !runningAsRoot();
            case UNSHARE -> succeeds(List.of("unshare", "-U", "true"));
            case SETPRIV -> runningAsRoot() && succeeds(List.of("setpriv", "--version"));
        };
    }

    /** The command line that runs {@code program} with {@code args} under this launch. */
    public List<String> command(Path program, List<String> args) {
        List<String> command = new ArrayList<>();
        switch (this) {
            case DIRECT -> { }
            case UNSHARE -> command.addAll(List.of("unshare", "-U"));
            case SETPRIV -> command.addAll(List.of("setpriv", "--reuid=" + UNPRIVILEGED_ID,
                    "--regid=" + UNPRIVILEGED_ID, "--clear-groups", "--"));
        }
        command.add(program.toString());
        command.addAll(args);
        return command;
    }

    /** Makes {@code dir} (recursively) writable by the user the launch runs PostgreSQL as. */
    public void prepare(Path dir) throws IOException {
        if (this != SETPRIV) {
            return;
        }
        try (var walk = Files.walk(dir)) {
            for (Path p : walk.toList()) {
                Files.setAttribute(p, "unix:uid", UNPRIVILEGED_ID, java.nio.file.LinkOption.NOFOLLOW_LINKS);
                Files.setAttribute(p, "unix:gid", UNPRIVILEGED_ID, java.nio.file.LinkOption.NOFOLLOW_LINKS);
            }
        }
        for (Path p = dir.toAbsolutePath().getParent(); p != null; p = p.getParent()) {
            var perms = Files.getPosixFilePermissions(p);
            if (!perms.contains(java.nio.file.attribute.PosixFilePermission.OTHERS_EXECUTE)) {
                throw new IllegalStateException("embedded PostgreSQL runs as uid " + UNPRIVILEGED_ID
                        + " here (setpriv), which cannot enter " + p + " (mode "
                        + java.nio.file.attribute.PosixFilePermissions.toString(perms)
                        + "); choose a data directory outside it, e.g. under /tmp");
            }
        }
    }

    static boolean runningAsRoot() {
        try {
            return Integer.valueOf(0).equals(Files.getAttribute(Path.of("/proc/self"), "unix:uid"));
        } catch (IOException | UnsupportedOperationException | IllegalArgumentException e) {
            return false;
        }
    }

    private static boolean succeeds(List<String> command) {
        try {
            Process p = new ProcessBuilder(command).redirectErrorStream(true)
                    .redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
            return p.waitFor(10, TimeUnit.SECONDS) && p.exitValue() == 0;
        } catch (IOException e) {
            return false;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }
}

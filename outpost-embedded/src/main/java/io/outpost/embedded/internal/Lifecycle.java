package io.outpost.embedded.internal;

/**
 * The stopping half of an embedded server's life: stop on {@link #close()} or at JVM exit,
 * whichever comes first, exactly once, then delete the directory it owns.
 *
 * <p>Concurrency: the JVM's shutdown hook and an explicit {@code close()} may race (Ctrl-C while
 * the demo closes its parts). Stopping holds a lock, so the second caller waits until the server
 * has stopped instead of deleting files under a server that is still shutting down.
 */
public final class Lifecycle implements AutoCloseable {

    private final OwnedDirectory home;
    private final Runnable stop;
    private final Thread shutdownHook;
    private final Object stopLock = new Object();
    private boolean stopped;

    /** Registers {@code stop} to run at JVM exit unless {@link #close()} runs it first. */
    public Lifecycle(String name, OwnedDirectory home, Runnable stop) {
        this.home = home;
        this.stop = stop;
        this.shutdownHook = new Thread(this::stopOnce, name + "-shutdown");
        Runtime.getRuntime().addShutdownHook(shutdownHook);
    }

    /**
     * No longer stops the server at JVM exit: its owner closes it, in an order it chooses (the
     * demo stops capture before the broker it writes to). Without this, the JVM runs this hook and
     * the owner's at the same time.
     */
    public void stopOnlyWhenClosed() {
        try {
            Runtime.getRuntime().removeShutdownHook(shutdownHook);
        } catch (IllegalStateException shuttingDown) {
            // too late: the JVM is exiting and runs the hook
        }
    }

    /** Stops the server (once) and deletes its directory. */
    @Override
    public void close() {
        stopOnce();
        try {
            Runtime.getRuntime().removeShutdownHook(shutdownHook);
        } catch (IllegalStateException shuttingDown) {
            // the hook is running or has run
        }
        home.closeAndDelete();
    }

    private void stopOnce() {
        synchronized (stopLock) {
            if (!stopped) {
                stopped = true;
                stop.run();
            }
        }
    }
}

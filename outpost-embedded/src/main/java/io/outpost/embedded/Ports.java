package io.outpost.embedded;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.ServerSocket;
import java.util.HashSet;
import java.util.Set;

/** Ports on localhost, for the embedded servers and for whatever the demo and tests start beside them. */
public final class Ports {

    /**
     * Every port this JVM has handed out: the system may offer a port again as soon as the probe
     * socket closes, before whoever asked for the first has bound it (two regions once got the same).
     */
    private static final Set<Integer> HANDED_OUT = new HashSet<>();

    private Ports() {
    }

    /** A port on localhost that was free a moment ago and that this JVM has not handed out before. */
    public static synchronized int free() {
        for (int attempt = 0; attempt < 100; attempt++) {
            try (ServerSocket socket = new ServerSocket(0)) {
                int port = socket.getLocalPort();
                if (HANDED_OUT.add(port)) {
                    return port;
                }
            } catch (IOException e) {
                throw new UncheckedIOException("cannot find a free port: " + e.getMessage(), e);
            }
        }
        throw new IllegalStateException("found no free port this JVM has not handed out already in 100 attempts");
    }

    /**
     * {@code preferred} when it is free (and not handed out before by this JVM), otherwise a free one:
     * for a server that has a well-known port (the demo's 8080, 7001…) but must not fail when it is taken.
     */
    public static synchronized int preferring(int preferred) {
        if (!HANDED_OUT.contains(preferred)) {
            try (ServerSocket socket = new ServerSocket(preferred)) {
                socket.setReuseAddress(true);
                HANDED_OUT.add(preferred);
                return preferred;
            } catch (IOException taken) {
                // a free one below
            }
        }
        return free();
    }
}

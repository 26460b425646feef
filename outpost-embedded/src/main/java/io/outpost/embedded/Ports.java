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
}

package io.outpost.embedded;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.ServerSocket;

/** Ports on localhost, for the embedded servers and for whatever the demo and tests start beside them. */
public final class Ports {

    private Ports() {
    }

    /** A port on localhost that was free a moment ago. */
    public static int free() {
        try (ServerSocket socket = new ServerSocket(0)) {
            return socket.getLocalPort();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot find a free port: " + e.getMessage(), e);
        }
    }
}

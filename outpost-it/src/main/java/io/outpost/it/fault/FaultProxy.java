package io.outpost.it.fault;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketException;
import java.time.Duration;
import java.util.Arrays;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.DelayQueue;
import java.util.concurrent.Delayed;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A TCP proxy on loopback that puts a network fault between a client and a server, for chaos
 * tests and benchmarks on a machine without netem or Toxiproxy: {@link #delay} (latency each way),
 * {@link #cut} (a partition: bytes are dropped both ways, connections stay open and new ones are
 * taken but never reach the server, so callers wait as they do on a lost network),
 * {@link #refuse} (connections refused, open ones reset), and {@link #halfOpen} (the server side of
 * every open connection is closed while the client side is held open and silent — what a client
 * with a pooled connection sees after its peer vanished). {@link #heal} ends the fault; each call
 * replaces the one before. Nothing more: it is not a packet-level emulator.
 */
public final class FaultProxy implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(FaultProxy.class);
    private static final int CHUNK = 16 * 1024;

    /** The fault in force. */
    public enum Fault {
        /** Bytes pass as they come. */
        NONE,
        /** Bytes pass after {@link #delay()}. */
        DELAY,
        /** Bytes are dropped; connections stay open (a partition). */
        CUT,
        /** New connections are refused; open ones were reset. */
        REFUSE
    }

    private record State(Fault fault, Duration delay) {
    }

    private final String name;
    private final InetSocketAddress upstream;
    private final int port;
    private final Set<Link> links = ConcurrentHashMap.newKeySet();
    private volatile State state = new State(Fault.NONE, Duration.ZERO);
    private volatile ServerSocket listener;
    private volatile boolean closed;

    private FaultProxy(String name, InetSocketAddress upstream, ServerSocket listener) {
        this.name = name;
        this.upstream = upstream;
        this.port = listener.getLocalPort();
        this.listener = listener;
    }

    /**
     * Listens on {@code 127.0.0.1:port} (0: any free port) and forwards to {@code upstream}.
     *
     * @param name what the proxy stands for, in its log lines ({@code "us-east's gateway"})
     */
    public static FaultProxy start(String name, InetSocketAddress upstream, int port) {
        FaultProxy proxy = new FaultProxy(name, upstream, listen(name, port));
        proxy.acceptInBackground(proxy.listener);
        return proxy;
    }

    /** The port clients connect to. */
    public int port() {
        return port;
    }

    /** {@code http://127.0.0.1:<port>}, for a proxy in front of an HTTP server. */
    public String url() {
        return "http://127.0.0.1:" + port;
    }

    /** Connections open now. */
    public int openConnections() {
        return links.size();
    }

    /** Every byte waits {@code latency} before it goes on, in each direction; order is kept. */
    public synchronized void delay(Duration latency) {
        if (latency.isNegative() || latency.isZero()) {
            throw new IllegalArgumentException("a delay must be positive, not " + latency);
        }
        relisten();
        state = new State(Fault.DELAY, latency);
        LOG.info("fault proxy {} ({}): {} ms latency each way", port, name, latency.toMillis());
    }

    /** A partition: from now on no byte passes either way; connections stay open and new ones hang. */
    public synchronized void cut() {
        relisten();
        state = new State(Fault.CUT, Duration.ZERO);
        LOG.info("fault proxy {} ({}): cut", port, name);
    }

    /** Refuses new connections (the listener closes) and resets the open ones. */
    public synchronized void refuse() {
        state = new State(Fault.REFUSE, Duration.ZERO);
        ServerSocket open = listener;
        listener = null;
        closeQuietly(open);
        links.forEach(Link::reset);
        LOG.info("fault proxy {} ({}): refusing", port, name);
    }

    /**
     * Every connection open now loses its server side (closed) while its client side stays open and
     * hears nothing more, as after a peer that vanished without a FIN; new connections pass.
     */
    public synchronized void halfOpen() {
        relisten();
        state = new State(Fault.NONE, Duration.ZERO);
        links.forEach(Link::abandon);
        LOG.info("fault proxy {} ({}): {} connection(s) left half-open", port, name, links.size());
    }

    /** No fault: bytes pass as they come (bytes dropped while cut are gone). */
    public synchronized void heal() {
        relisten();
        state = new State(Fault.NONE, Duration.ZERO);
        LOG.info("fault proxy {} ({}): healed", port, name);
    }

    @Override
    public synchronized void close() {
        closed = true;
        closeQuietly(listener);
        links.forEach(Link::reset);
    }

    private void relisten() {
        if (listener == null && !closed) {
            ServerSocket socket = listen(name, port);
            listener = socket;
            acceptInBackground(socket);
        }
    }

    private static ServerSocket listen(String name, int on) {
        try {
            ServerSocket socket = new ServerSocket();
            socket.setReuseAddress(true);
            socket.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), on), 128);
            return socket;
        } catch (IOException e) {
            throw new UncheckedIOException("fault proxy for " + name + " cannot listen on port " + on + ": " + e.getMessage(), e);
        }
    }

    private void acceptInBackground(ServerSocket socket) {
        Thread.ofVirtual().name("fault-proxy-" + port + "-accept").start(() -> {
            while (!socket.isClosed()) {
                try {
                    Socket client = socket.accept();
                    Thread.ofVirtual().name("fault-proxy-" + port + "-link").start(() -> link(client));
                } catch (IOException e) {
                    return; // closed by refuse() or close()
                }
            }
        });
    }

    private void link(Socket client) {
        Link link = new Link(client);
        links.add(link);
        try {
            client.setTcpNoDelay(true);
            Socket server = new Socket();
            server.setTcpNoDelay(true);
            link.server = server;
            if (state.fault() == Fault.CUT) {
                link.pump(client, null); // a partition: the server never hears of this connection
                return;
            }
            server.connect(upstream, 5_000);
            Thread back = Thread.ofVirtual().name("fault-proxy-" + port + "-back").start(() -> link.pump(server, client));
            link.pump(client, server);
            back.join();
        } catch (IOException e) {
            link.reset(); // the server is not there: the client sees its connection reset, as without the proxy
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } finally {
            links.remove(link);
            closeQuietly(client);
            closeQuietly(link.server);
        }
    }

    /** One client connection and its server connection. */
    private final class Link {

        private final Socket client;
        private volatile Socket server;
        private volatile boolean abandoned;

        Link(Socket client) {
            this.client = client;
        }

        /**
         * Copies {@code from} to {@code to} (null: nowhere) under the fault in force, until {@code from}
         * ends; the sockets are closed by {@link #link} once both directions are done.
         */
        void pump(Socket from, Socket to) {
            DelayQueue<Chunk> queue = new DelayQueue<>();
            Thread writer = to == null ? null : Thread.ofVirtual().name("fault-proxy-" + port + "-write").start(() -> write(queue, to));
            byte[] buffer = new byte[CHUNK];
            long lastDue = System.nanoTime();
            long sequence = 0;
            try {
                InputStream in = from.getInputStream();
                for (int n; (n = in.read(buffer)) >= 0; ) {
                    State now = state;
                    if (to == null || abandoned || now.fault() == Fault.CUT) {
                        continue; // dropped
                    }
                    long delay = now.fault() == Fault.DELAY ? now.delay().toNanos() : 0;
                    lastDue = Math.max(lastDue, System.nanoTime() + delay); // never overtakes what came before
                    queue.put(new Chunk(Arrays.copyOf(buffer, n), lastDue, sequence++, Chunk.Kind.BYTES));
                }
                queue.put(new Chunk(null, lastDue, sequence, Chunk.Kind.END));
            } catch (IOException e) {
                queue.put(new Chunk(null, lastDue, sequence, Chunk.Kind.RESET));
            } finally {
                if (writer != null) {
                    try {
                        writer.join();
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                    }
                }
            }
        }

        private void write(DelayQueue<Chunk> queue, Socket to) {
            try {
                OutputStream out = to.getOutputStream();
                while (true) {
                    Chunk chunk = queue.take();
                    switch (chunk.kind()) {
                        case END -> {
                            if (!abandoned) {
                                to.shutdownOutput(); // the other side's FIN, passed on
                            }
                            return;
                        }
                        case RESET -> {
                            if (!abandoned) {
                                reset();
                            }
                            return;
                        }
                        case BYTES -> {
                            if (!abandoned && state.fault() != Fault.CUT) {
                                out.write(chunk.bytes());
                                out.flush();
                            }
                        }
                    }
                }
            } catch (IOException e) {
                if (!abandoned) {
                    reset();
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }

        /** Closes both sides at once, with a reset where it can. */
        void reset() {
            resetQuietly(client);
            resetQuietly(server);
        }

        /** Closes the server side and leaves the client side open and silent. */
        void abandon() {
            abandoned = true;
            closeQuietly(server);
        }
    }

    /** Bytes due at a moment, or the end of a direction (after every chunk before it). */
    private record Chunk(byte[] bytes, long dueNanos, long sequence, Kind kind) implements Delayed {

        enum Kind { BYTES, END, RESET }

        @Override
        public long getDelay(TimeUnit unit) {
            return unit.convert(dueNanos - System.nanoTime(), TimeUnit.NANOSECONDS);
        }

        @Override
        public int compareTo(Delayed other) {
            Chunk that = (Chunk) other;
            int byDue = Long.compare(dueNanos, that.dueNanos);
            return byDue != 0 ? byDue : Long.compare(sequence, that.sequence);
        }
    }

    private static void resetQuietly(Socket socket) {
        if (socket == null) {
            return;
        }
        try {
            socket.setSoLinger(true, 0);
        } catch (SocketException ignored) {
            // already closed
        }
        closeQuietly(socket);
    }

    private static void closeQuietly(AutoCloseable closeable) {
        if (closeable == null) {
            return;
        }
        try {
            closeable.close();
        } catch (Exception ignored) {
            // closing what a fault already broke
        }
    }
}

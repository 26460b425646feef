package io.outpost.it.fault;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.ConnectException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/** The fault proxy in front of an echo server on loopback: each fault as a client and the server see it. */
class FaultProxyTest {

    private ServerSocket echo;
    private final AtomicInteger serverConnections = new AtomicInteger();
    private final CountDownLatch serverSawEnd = new CountDownLatch(1);
    private FaultProxy proxy;

    @BeforeEach
    void start() throws IOException {
        echo = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
        Thread.ofVirtual().start(() -> {
            while (!echo.isClosed()) {
                try {
                    Socket s = echo.accept();
                    serverConnections.incrementAndGet();
                    Thread.ofVirtual().start(() -> echoUntilEnd(s));
                } catch (IOException e) {
                    return;
                }
            }
        });
        proxy = FaultProxy.start("an echo server", new InetSocketAddress(InetAddress.getLoopbackAddress(), echo.getLocalPort()), 0);
    }

    private void echoUntilEnd(Socket s) {
        try (s) {
            InputStream in = s.getInputStream();
            OutputStream out = s.getOutputStream();
            byte[] buffer = new byte[1024];
            for (int n; (n = in.read(buffer)) >= 0; ) {
                out.write(buffer, 0, n);
                out.flush();
            }
        } catch (IOException ignored) {
            // reset by the proxy
        }
        serverSawEnd.countDown();
    }

    @AfterEach
    void stop() throws IOException {
        proxy.close();
        echo.close();
    }

    private Socket connect() throws IOException {
        Socket socket = new Socket();
        socket.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), proxy.port()), 2_000);
        socket.setSoTimeout(2_000);
        return socket;
    }

    private static String roundTrip(Socket socket, String text) throws IOException {
        byte[] bytes = text.getBytes(StandardCharsets.UTF_8);
        socket.getOutputStream().write(bytes);
        socket.getOutputStream().flush();
        return new String(socket.getInputStream().readNBytes(bytes.length), StandardCharsets.UTF_8);
    }

    @Test
    @DisplayName("without a fault bytes pass both ways, and a client's end of stream reaches the server and comes back")
    void passesBytesAndEnds() throws Exception {
        try (Socket socket = connect()) {
            assertThat(roundTrip(socket, "hello")).isEqualTo("hello");
            assertThat(roundTrip(socket, "x".repeat(100_000))).hasSize(100_000);
            socket.shutdownOutput();
            assertThat(socket.getInputStream().read()).as("the server's end, passed back").isEqualTo(-1);
        }
        assertThat(serverSawEnd.await(5, TimeUnit.SECONDS)).isTrue();
        await().atMost(Duration.ofSeconds(5)).until(() -> proxy.openConnections() == 0);
    }

    @Test
    @DisplayName("delay: a round trip takes at least the delay each way, in order")
    void delays() throws Exception {
        proxy.delay(Duration.ofMillis(150));
        try (Socket socket = connect()) {
            long start = System.nanoTime();
            assertThat(roundTrip(socket, "one")).isEqualTo("one");
            assertThat(Duration.ofNanos(System.nanoTime() - start)).isGreaterThanOrEqualTo(Duration.ofMillis(300));
            socket.getOutputStream().write("abc".getBytes(StandardCharsets.UTF_8));
            socket.getOutputStream().write("def".getBytes(StandardCharsets.UTF_8));
            assertThat(new String(socket.getInputStream().readNBytes(6), StandardCharsets.UTF_8)).isEqualTo("abcdef");
            proxy.heal();
            assertThat(roundTrip(socket, "two")).isEqualTo("two");
        }
    }

    @Test
    @DisplayName("cut: an open connection hears nothing and a new one is taken but never reaches the server; heal lets new ones through")
    void cuts() throws Exception {
        try (Socket before = connect()) {
            assertThat(roundTrip(before, "a")).isEqualTo("a");
            proxy.cut();
            assertThatThrownBy(() -> roundTrip(before, "b")).isInstanceOf(SocketTimeoutException.class);
            int reached = serverConnections.get();
            try (Socket during = connect()) {
                assertThatThrownBy(() -> roundTrip(during, "c")).isInstanceOf(SocketTimeoutException.class);
            }
            assertThat(serverConnections.get()).as("the server never heard of the connection made during the cut").isEqualTo(reached);
            proxy.heal();
            try (Socket after = connect()) {
                assertThat(roundTrip(after, "d")).isEqualTo("d");
            }
        }
    }

    @Test
    @DisplayName("refuse: new connections are refused and open ones reset; heal listens again on the same port")
    void refuses() throws Exception {
        try (Socket before = connect()) {
            assertThat(roundTrip(before, "a")).isEqualTo("a");
            proxy.refuse();
            assertThatThrownBy(() -> roundTrip(before, "b")).isInstanceOf(IOException.class)
                    .isNotInstanceOf(SocketTimeoutException.class);
        }
        assertThatThrownBy(this::connect).isInstanceOf(ConnectException.class);
        proxy.heal();
        try (Socket after = connect()) {
            assertThat(roundTrip(after, "c")).isEqualTo("c");
        }
    }

    @Test
    @DisplayName("half-open: the server sees an open connection end while its client hears nothing, not even the end; new ones pass")
    void leavesConnectionsHalfOpen() throws Exception {
        try (Socket before = connect()) {
            assertThat(roundTrip(before, "a")).isEqualTo("a");
            proxy.halfOpen();
            assertThat(serverSawEnd.await(5, TimeUnit.SECONDS)).as("the server's side was closed").isTrue();
            assertThatThrownBy(() -> roundTrip(before, "b")).as("no answer and no end of stream")
                    .isInstanceOf(SocketTimeoutException.class);
            try (Socket after = connect()) {
                assertThat(roundTrip(after, "c")).isEqualTo("c");
            }
        }
    }
}

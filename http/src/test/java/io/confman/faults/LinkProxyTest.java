package io.confman.faults;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The link proxy on real loopback sockets: pass, cut (drop, not refuse), heal, delay. */
class LinkProxyTest {

    private ServerSocket target;
    private LinkProxy proxy;

    @BeforeEach
    void start() throws IOException {
        target = new ServerSocket(0, 50, java.net.InetAddress.getLoopbackAddress());
        proxy = LinkProxy.start("a", "b", new InetSocketAddress("127.0.0.1", 0),
                new InetSocketAddress("127.0.0.1", target.getLocalPort()));
    }

    @AfterEach
    void stop() throws IOException {
        proxy.close();
        target.close();
    }

    private Socket dial() throws IOException {
        Socket socket = new Socket();
        socket.connect(proxy.address(), 5_000);
        socket.setSoTimeout(10_000);
        return socket;
    }

    private static byte[] readExactly(InputStream in, int n) throws IOException {
        byte[] bytes = in.readNBytes(n);
        assertEquals(n, bytes.length, "stream ended early");
        return bytes;
    }

    @Test
    void passesBytesBothWays() throws IOException {
        try (Socket client = dial(); Socket server = target.accept()) {
            server.setSoTimeout(10_000);
            client.getOutputStream().write("hello".getBytes(StandardCharsets.UTF_8));
            assertArrayEquals("hello".getBytes(StandardCharsets.UTF_8), readExactly(server.getInputStream(), 5));
            server.getOutputStream().write("world".getBytes(StandardCharsets.UTF_8));
            assertArrayEquals("world".getBytes(StandardCharsets.UTF_8), readExactly(client.getInputStream(), 5));
            assertEquals(1, proxy.connections());
        }
    }

    /** A cut link drops bytes silently, like a DROP rule; healing closes the connection that lost them. */
    @Test
    void cutDropsWithoutClosingAndHealClosesWhatLostBytes() throws Exception {
        try (Socket client = dial(); Socket server = target.accept()) {
            server.setSoTimeout(1_000);
            proxy.cut();
            client.getOutputStream().write("lost".getBytes(StandardCharsets.UTF_8));
            assertThrows(SocketTimeoutException.class, () -> server.getInputStream().read());
            server.getOutputStream().write("gone".getBytes(StandardCharsets.UTF_8));
            client.setSoTimeout(1_000);
            assertThrows(SocketTimeoutException.class, () -> client.getInputStream().read());
            assertEquals(1, proxy.connections(), "a cut link keeps its connections open");

            proxy.heal();
            client.setSoTimeout(10_000);
            assertEquals(-1, client.getInputStream().read(), "healing closes a connection that lost bytes");
        }
        // A new connection after the heal carries bytes again.
        try (Socket client = dial(); Socket server = target.accept()) {
            server.setSoTimeout(10_000);
            client.getOutputStream().write("again".getBytes(StandardCharsets.UTF_8));
            assertArrayEquals("again".getBytes(StandardCharsets.UTF_8), readExactly(server.getInputStream(), 5));
        }
    }

    @Test
    void connectionsOpenedWhileCutAreBlackholed() throws Exception {
        proxy.cut();
        try (Socket client = dial(); Socket server = target.accept()) {
            server.setSoTimeout(1_000);
            client.getOutputStream().write("x".getBytes(StandardCharsets.UTF_8));
            assertThrows(SocketTimeoutException.class, () -> server.getInputStream().read());
        }
    }

    @Test
    void delayHoldsEachChunkInOrder() throws IOException {
        proxy.delay(300);
        try (Socket client = dial(); Socket server = target.accept()) {
            server.setSoTimeout(10_000);
            long start = System.nanoTime();
            client.getOutputStream().write("one".getBytes(StandardCharsets.UTF_8));
            client.getOutputStream().write("two".getBytes(StandardCharsets.UTF_8));
            assertArrayEquals("onetwo".getBytes(StandardCharsets.UTF_8), readExactly(server.getInputStream(), 6));
            long elapsedMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
            assertTrue(elapsedMs >= 300, "delivered after " + elapsedMs + " ms, before the 300 ms delay");
        }
        assertThrows(IllegalArgumentException.class, () -> proxy.delay(-1));
    }

    /** A dead target: the dialer sees its connection closed, as when dialing a killed node. */
    @Test
    void deadTargetClosesTheDialer() throws IOException {
        target.close();
        try (Socket client = dial()) {
            assertEquals(-1, client.getInputStream().read());
        }
    }
}

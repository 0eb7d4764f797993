package io.confman.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.zip.CRC32C;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.CleanupMode;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code confman server} as a real process, checked from outside, for what needs no HTTP
 * front: configurations refused with exit status 2 and one line on stderr, and a peer port
 * that accepts nothing from a connection without the cluster secret.
 */
class ServerProcessTest {

    @TempDir(cleanup = CleanupMode.ON_SUCCESS) // A failed run keeps its node logs.
    Path root;

    private ProcessCluster cluster;

    @AfterEach
    void killEverything() {
        if (cluster != null) {
            cluster.close();
        }
    }

    private static void assertRefused(ProcessCluster.Exited exited, String expected) {
        assertEquals(2, exited.status(), "stderr: " + exited.stderr());
        List<String> lines = exited.stderr().lines().toList();
        assertEquals(1, lines.size(), "one line on stderr, got: " + exited.stderr());
        assertTrue(lines.get(0).contains(expected), lines.get(0));
    }

    private static List<String> with(List<String> args, String flag, String value) {
        List<String> copy = new ArrayList<>(args);
        int at = copy.indexOf(flag);
        if (at >= 0) {
            copy.set(at + 1, value);
        } else {
            copy.addAll(List.of(flag, value));
        }
        return copy;
    }

    @Test
    void misconfiguredTimingIsRefusedNamingTheRule() throws Exception {
        cluster = new ProcessCluster(root, 3, List.of());
        List<String> args = with(with(cluster.serverArgs("n1"), "--heartbeat-ms", "1000"),
                "--election-timeout-ms", "500");
        assertRefused(cluster.runUntilExit("timing", args), "heartbeatMs < electionTimeoutMs");
    }

    @Test
    void anIdOutsideThePeerListIsRefused() throws Exception {
        cluster = new ProcessCluster(root, 3, List.of());
        assertRefused(cluster.runUntilExit("stranger", with(cluster.serverArgs("n1"), "--id", "n9")),
                "--id n9 is not in --peers");
    }

    @Test
    void aDataDirectoryOfAnotherMemberSetIsRefused() throws Exception {
        cluster = new ProcessCluster(root, 2, List.of());
        // First life: n1 alone (members {n1}); it initialises its data directory.
        List<String> alone = with(cluster.serverArgs("n1"), "--peers", "n1=127.0.0.1:" + cluster.node("n1").peerPort);
        Path firstLog = root.resolve("first-life.log");
        Process first = cluster.launchLogged(alone, firstLog);
        try {
            Await.fileContains(firstLog, "event=start");
            ProcessCluster.stopProcess(first);
            assertTrue(java.nio.file.Files.readString(firstLog).contains("event=stop"),
                    "SIGTERM runs the shutdown hook, which closes the node");
        } finally {
            first.destroyForcibly();
        }
        // Second life: the same directory under the list {n1, n2}.
        assertRefused(cluster.runUntilExit("second-life", cluster.serverArgs("n1")), "belongs to another member set");
    }

    @Test
    void aPeerAddressInUseIsRefused() throws Exception {
        cluster = new ProcessCluster(root, 1, List.of());
        try (java.net.ServerSocket taken = new java.net.ServerSocket()) {
            taken.bind(new InetSocketAddress("127.0.0.1", cluster.node("n1").peerPort));
            assertRefused(cluster.runUntilExit("in-use", cluster.serverArgs("n1")), "cannot listen on");
        }
    }

    @Test
    void thePeerPortAcceptsNothingWithoutTheSecret() throws Exception {
        cluster = new ProcessCluster(root, 1, List.of());
        cluster.start("n1");
        cluster.awaitLogLine("n1", "event=start");
        cluster.awaitLogLine("n1", "role=LEADER");
        int peerPort = cluster.node("n1").peerPort;

        // Garbage: an HTTP request line is an oversized frame header to the transport.
        assertClosedWithoutAnswer(peerPort, "GET / HTTP/1.1\r\nHost: x\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
        // A well-formed HELLO from a member id the node does not know, for another cluster.
        assertClosedWithoutAnswer(peerPort, helloFrame("intruder", "0".repeat(64)));

        cluster.await("two refused peer connections in the log", () -> cluster.log("n1").lines()
                .filter(line -> line.contains("peer connection closed") && line.contains("authenticated=false"))
                .count() >= 2);
        assertTrue(cluster.alive("n1"), "the node keeps running");
        assertEquals(1, cluster.log("n1").lines()
                .filter(line -> line.contains("event=role-change") && line.contains("role=LEADER")).count(),
                "no role change: " + cluster.log("n1"));
    }

    /** Sends {@code bytes}; the node must close the connection without sending a single byte. */
    private static void assertClosedWithoutAnswer(int port, byte[] bytes) throws IOException {
        try (Socket socket = new Socket()) {
            socket.connect(new InetSocketAddress("127.0.0.1", port), 5_000);
            socket.setSoTimeout((int) ProcessCluster.DEADLINE.toMillis());
            OutputStream out = socket.getOutputStream();
            out.write(bytes);
            out.flush();
            InputStream in = socket.getInputStream();
            int first;
            try {
                first = in.read();
            } catch (SocketTimeoutException e) {
                throw new AssertionError("the node kept an unauthenticated connection open", e);
            } catch (IOException reset) {
                first = -1; // A reset is a close too.
            }
            assertEquals(-1, first, "the node answered an unauthenticated connection");
        }
    }

    /** A HELLO frame (TRANSPORT.md sections 2 and 3.1) with the given id and cluster identity. */
    static byte[] helloFrame(String nodeId, String clusterHex) {
        byte[] id = nodeId.getBytes(StandardCharsets.UTF_8);
        byte[] cluster = clusterHex.getBytes(StandardCharsets.US_ASCII);
        ByteBuffer body = ByteBuffer.allocate(2 + 32 + 2 + id.length + 2 + cluster.length);
        body.putShort((short) 1).put(new byte[32]).putShort((short) id.length).put(id)
                .putShort((short) cluster.length).put(cluster);
        CRC32C crc = new CRC32C();
        crc.update(1);
        crc.update(body.array());
        return ByteBuffer.allocate(9 + body.capacity()).putInt(body.capacity()).put((byte) 1)
                .putInt((int) crc.getValue()).put(body.array()).array();
    }
}

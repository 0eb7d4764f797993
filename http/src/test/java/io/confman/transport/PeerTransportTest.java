package io.confman.transport;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import io.confman.cli.FreePorts;
import io.confman.raft.ClusterIdentity;
import io.confman.raft.Entry;
import io.confman.raft.Message;
import io.confman.raft.SnapshotMetadata;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.ByteBufUtil;
import io.netty.channel.epoll.Epoll;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketException;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Real transports on 127.0.0.1. Every wait is a condition with a generous deadline; the
 * assertions about timing are about order, never about milliseconds.
 */
class PeerTransportTest {

    @org.junit.jupiter.api.BeforeAll
    static void trackEveryBuffer() {
        // Every buffer is tracked, so a frame body the handlers forget to release shows up
        // as a LEAK line in the test output.
        io.netty.util.ResourceLeakDetector.setLevel(io.netty.util.ResourceLeakDetector.Level.PARANOID);
    }


    private static final long DEADLINE_MS = 20_000;
    private static final byte[] SECRET = "test cluster secret, 32 bytes ok".getBytes(StandardCharsets.UTF_8);
    private static final List<String> IDS = List.of("a", "b", "c");
    private static final ClusterIdentity CLUSTER = ClusterIdentity.of(IDS);

    private final List<AutoCloseable> toClose = new ArrayList<>();
    private Map<String, InetSocketAddress> members;

    /** A transport with the inbox the node loop would read. */
    private record Node(PeerTransport transport, BlockingQueue<Message> inbox) {
    }

    @BeforeEach
    void pickPorts() throws IOException {
        members = new HashMap<>();
        for (String id : IDS) {
            members.put(id, new InetSocketAddress(InetAddress.getLoopbackAddress(), FreePorts.pick()));
        }
    }

    @AfterEach
    void closeEverything() throws Exception {
        for (AutoCloseable closeable : toClose) {
            closeable.close();
        }
    }

    private TransportConfig config(String id) {
        return TransportConfig.withDefaults(id, members, CLUSTER, SECRET)
                .withReconnectBackoffMs(10, 200);
    }

    private Node start(TransportConfig config) {
        BlockingQueue<Message> inbox = new ArrayBlockingQueue<>(10_000);
        PeerTransport transport = PeerTransport.start(config, message -> {
            if (!inbox.offer(message)) {
                throw new IllegalStateException("test inbox full");
            }
        });
        toClose.add(transport);
        return new Node(transport, inbox);
    }

    private static void await(String what, BooleanSupplier condition) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(DEADLINE_MS);
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                fail("timed out waiting until " + what);
            }
            Thread.sleep(5);
        }
    }

    private static Message take(Node node) throws InterruptedException {
        Message message = node.inbox().poll(DEADLINE_MS, TimeUnit.MILLISECONDS);
        assertNotNull(message, "no message arrived within " + DEADLINE_MS + " ms");
        return message;
    }

    @Test
    void usesEpollExactlyWhenAvailable() {
        Node a = start(config("a"));
        assertEquals(Epoll.isAvailable(), a.transport().usesEpoll());
    }

    @Test
    void threeTransportsExchangeEveryMessageType() throws InterruptedException {
        Map<String, Node> nodes = new HashMap<>();
        for (String id : IDS) {
            // Several event loops, so links and connections land on different threads.
            nodes.put(id, start(config(id).withEventLoopThreads(3)));
        }
        Random random = new Random(7);
        Map<String, List<Message>> expected = new HashMap<>();
        for (String from : IDS) {
            for (String to : IDS) {
                if (from.equals(to)) {
                    continue;
                }
                for (FrameType type : RandomMessages.MESSAGE_TYPES) {
                    Message message = RandomMessages.of(type, random, CLUSTER, from, to);
                    assertTrue(nodes.get(from).transport().send(message));
                    expected.computeIfAbsent(to, k -> new ArrayList<>()).add(message);
                }
            }
            nodes.get(from).transport().flush();
        }
        for (String id : IDS) {
            List<Message> received = new ArrayList<>();
            for (int i = 0; i < expected.get(id).size(); i++) {
                received.add(take(nodes.get(id)));
            }
            for (Message message : expected.get(id)) {
                assertTrue(received.removeIf(r -> RandomMessages.sameMessage(message, r)),
                        "not received intact: " + message);
            }
        }
        for (Node node : nodes.values()) {
            assertEquals(0, node.transport().stats().authFailures());
        }
    }

    @Test
    void wrongSecretIsRefusedAndNothingIsDelivered() throws InterruptedException {
        Node a = start(config("a"));
        byte[] wrong = "another secret, also 32 bytes ok".getBytes(StandardCharsets.UTF_8);
        Node b = start(new TransportConfig("b", members, CLUSTER, wrong, 1 << 20, 100,
                1L << 24, 5_000, 5_000, 10, 200, 1));
        b.transport().send(new Message.Heartbeat(CLUSTER, "b", "a", 1, 0, 1));
        b.transport().flush();
        await("a refused b twice", () -> a.transport().stats().authFailures() >= 2);
        await("b refused a twice", () -> b.transport().stats().authFailures() >= 2);
        long failures = a.transport().stats().authFailures();
        // A few more refused attempts after the send prove the heartbeat had its chances.
        b.transport().flush();
        await("a refused b again", () -> a.transport().stats().authFailures() >= failures + 2);
        assertTrue(a.inbox().isEmpty());
        assertEquals(0, a.transport().stats().messagesReceived());
        assertEquals(0, b.transport().stats().messagesSent());
        assertEquals(0, b.transport().stats().linksUp());
        assertTrue(a.transport().stats().closes(CloseReason.AUTH_FAILED) >= 2);
    }

    @Test
    void rawSocketSendingGarbageGetsNothingAndIsClosed() throws Exception {
        Node a = start(config("a"));
        try (Socket socket = connect(a)) {
            socket.getOutputStream().write("GET / HTTP/1.1\r\nHost: a\r\n\r\n"
                    .getBytes(StandardCharsets.US_ASCII));
            assertEquals(0, readUntilClosed(socket.getInputStream()).length);
        }
        await("counted", () -> a.transport().stats().authFailures() >= 1);
        assertEquals(1, a.transport().stats().closes(CloseReason.OVERSIZE));
        assertTrue(a.inbox().isEmpty());
    }

    @Test
    void rawSocketSendingAValidMessageBeforeAuthenticatingGetsNothing() throws Exception {
        Node a = start(config("a"));
        try (Socket socket = connect(a)) {
            socket.getOutputStream().write(bytes(MessageCodec.encode(ByteBufAllocator.DEFAULT,
                    new Message.Heartbeat(CLUSTER, "b", "a", 9, 0, 1))));
            assertEquals(0, readUntilClosed(socket.getInputStream()).length);
        }
        await("counted", () -> a.transport().stats().authFailures() >= 1);
        assertEquals(1, a.transport().stats().closes(CloseReason.UNEXPECTED_FRAME));
        assertTrue(a.inbox().isEmpty());
    }

    @Test
    void silentConnectionIsClosedAtTheHandshakeTimeout() throws Exception {
        Node a = start(config("a").withHandshakeTimeoutMs(200));
        try (Socket socket = connect(a)) {
            assertEquals(0, readUntilClosed(socket.getInputStream()).length);
        }
        await("counted", () -> a.transport().stats().closes(CloseReason.HANDSHAKE_TIMEOUT) == 1);
        assertEquals(1, a.transport().stats().authFailures());
    }

    @Test
    void helloWithAnIdOutsideTheMemberListIsRefused() throws Exception {
        Node a = start(config("a"));
        assertHelloRefused(a, "mallory", CLUSTER.value());
        assertHelloRefused(a, "a", CLUSTER.value());
        assertHelloRefused(a, "b", ClusterIdentity.of(List.of("a", "b")).value());
        await("counted", () -> a.transport().stats().closes(CloseReason.AUTH_FAILED) == 3);
    }

    @Test
    void helloOfAnotherProtocolVersionIsRefusedAsSuch() throws Exception {
        Node a = start(config("a"));
        try (Socket socket = connect(a)) {
            // Version 1's HELLO: version, nonce, id, cluster, and no client URL.
            io.netty.buffer.ByteBuf frame = Frame.begin(ByteBufAllocator.DEFAULT, FrameType.HELLO,
                    2 + Handshake.NONCE_BYTES + 2 + 1 + 2 + CLUSTER.value().length());
            frame.writeShort(1).writeBytes(new byte[Handshake.NONCE_BYTES]);
            MessageCodec.writeString(frame, "b");
            MessageCodec.writeString(frame, CLUSTER.value());
            socket.getOutputStream().write(bytes(Frame.seal(frame)));
            assertEquals(0, readUntilClosed(socket.getInputStream()).length);
        }
        await("refused as an authentication failure, not a malformed frame",
                () -> a.transport().stats().closes(CloseReason.AUTH_FAILED) == 1);
        assertEquals(0, a.transport().stats().closes(CloseReason.MALFORMED));
    }

    @Test
    void peersLearnEachOthersClientUrlsFromTheHandshake() throws InterruptedException {
        Map<String, PeerTransport> transports = new HashMap<>();
        for (String id : IDS) {
            PeerTransport transport = PeerTransport.start(config(id), message -> { }, null,
                    "http://127.0.0.1:80" + id.charAt(0) % 10);
            toClose.add(transport);
            transports.put(id, transport);
        }
        for (String id : IDS) {
            Map<String, String> expected = new HashMap<>();
            for (String peer : IDS) {
                if (!peer.equals(id)) {
                    expected.put(peer, "http://127.0.0.1:80" + peer.charAt(0) % 10);
                }
            }
            await(id + " knows every peer's URL", () -> transports.get(id).peerClientUrls().equals(expected));
        }
    }

    @Test
    void aClientUrlChangedOnTheWayFailsTheProof() throws Exception {
        Node a = start(config("a"));
        try (Socket socket = connect(a)) {
            socket.setSoTimeout((int) DEADLINE_MS);
            DataInputStream in = new DataInputStream(socket.getInputStream());
            OutputStream out = socket.getOutputStream();
            byte[] nonce = Handshake.newNonce(new SecureRandom());
            out.write(bytes(Handshake.encodeHello(ByteBufAllocator.DEFAULT, new Handshake.Hello(
                    Handshake.PROTOCOL_VERSION, nonce, "b", CLUSTER.value(), "http://attacker.example:1"))));
            Handshake.Hello acceptorHello = Handshake.decodeHello(
                    io.netty.buffer.Unpooled.wrappedBuffer(readFrame(in, FrameType.HELLO)));
            // b knows the secret but proves the URL it meant to send, not the one that arrived.
            out.write(bytes(Handshake.encodeProof(ByteBufAllocator.DEFAULT, Handshake.proof(SECRET,
                    Handshake.DIALER_LABEL, nonce, acceptorHello.nonce(), "b", "a", CLUSTER.value(),
                    "http://127.0.0.1:8080", acceptorHello.clientUrl()))));
            assertEquals(0, readUntilClosed(in).length, "no PROOF for a proof over other URLs");
        }
        await("refused", () -> a.transport().stats().closes(CloseReason.AUTH_FAILED) == 1);
        assertEquals(Map.of(), a.transport().peerClientUrls(), "the rewritten URL was not kept");
    }

    @Test
    void onlyPlainHttpUrlsAreAnnouncedOrKept() {
        assertTrue(PeerTransport.acceptableClientUrl("http://127.0.0.1:8080"));
        assertTrue(PeerTransport.acceptableClientUrl("https://[::1]:8443"));
        assertFalse(PeerTransport.acceptableClientUrl("javascript:alert(1)"));
        assertFalse(PeerTransport.acceptableClientUrl("http://a b"));
        assertFalse(PeerTransport.acceptableClientUrl("http://a\"<x>"));
        assertFalse(PeerTransport.acceptableClientUrl("http://" + "h".repeat(Handshake.CLIENT_URL_BYTES_MAX)));
    }

    private void assertHelloRefused(Node node, String claimedId, String cluster) throws Exception {
        try (Socket socket = connect(node)) {
            socket.getOutputStream().write(bytes(Handshake.encodeHello(ByteBufAllocator.DEFAULT,
                    new Handshake.Hello(Handshake.PROTOCOL_VERSION, new byte[Handshake.NONCE_BYTES],
                            claimedId, cluster, ""))));
            assertEquals(0, readUntilClosed(socket.getInputStream()).length,
                    "an acceptor answers nothing to a HELLO it refuses");
        }
    }

    @Test
    void replayedHandshakeFromACapturedSessionFails() throws Exception {
        Node a = start(config("a"));
        ByteArrayOutputStream captured = new ByteArrayOutputStream();
        try (Socket socket = connect(a)) {
            OutputStream recorder = tee(socket.getOutputStream(), captured);
            DataInputStream in = new DataInputStream(socket.getInputStream());
            rawHandshake(recorder, in, "b");
            recorder.write(bytes(MessageCodec.encode(ByteBufAllocator.DEFAULT,
                    new Message.Heartbeat(CLUSTER, "b", "a", 4, 0, 1))));
            assertEquals(new Message.Heartbeat(CLUSTER, "b", "a", 4, 0, 1), take(a));
        }
        long failuresBefore = a.transport().stats().authFailures();
        try (Socket socket = connect(a)) {
            socket.getOutputStream().write(captured.toByteArray());
            DataInputStream in = new DataInputStream(socket.getInputStream());
            readFrame(in, FrameType.HELLO);
            assertEquals(0, readUntilClosed(in).length, "no PROOF for a replayed session");
        }
        await("counted", () -> a.transport().stats().authFailures() == failuresBefore + 1);
        assertTrue(a.inbox().isEmpty(), "the replayed heartbeat was not delivered");
    }

    /** Runs the dialer's half of the handshake by hand, as node {@code asId}. */
    private static void rawHandshake(OutputStream out, DataInputStream in, String asId)
            throws IOException {
        byte[] nonce = Handshake.newNonce(new SecureRandom());
        out.write(bytes(Handshake.encodeHello(ByteBufAllocator.DEFAULT,
                new Handshake.Hello(Handshake.PROTOCOL_VERSION, nonce, asId, CLUSTER.value(), ""))));
        Handshake.Hello acceptorHello = Handshake.decodeHello(
                io.netty.buffer.Unpooled.wrappedBuffer(readFrame(in, FrameType.HELLO)));
        out.write(bytes(Handshake.encodeProof(ByteBufAllocator.DEFAULT, Handshake.proof(SECRET,
                Handshake.DIALER_LABEL, nonce, acceptorHello.nonce(), asId,
                acceptorHello.nodeId(), CLUSTER.value(), "", acceptorHello.clientUrl()))));
        byte[] acceptorProof = readFrame(in, FrameType.PROOF);
        assertTrue(Handshake.proofMatches(Handshake.proof(SECRET, Handshake.ACCEPTOR_LABEL,
                nonce, acceptorHello.nonce(), asId, acceptorHello.nodeId(), CLUSTER.value(), "",
                acceptorHello.clientUrl()), acceptorProof));
    }

    @Test
    void authenticatedPeerSendingAsAnotherNodeIsClosed() throws Exception {
        Node a = start(config("a"));
        try (Socket socket = connect(a)) {
            DataInputStream in = new DataInputStream(socket.getInputStream());
            rawHandshake(socket.getOutputStream(), in, "b");
            socket.getOutputStream().write(bytes(MessageCodec.encode(ByteBufAllocator.DEFAULT,
                    new Message.Heartbeat(CLUSTER, "c", "a", 4, 0, 1))));
            assertEquals(0, readUntilClosed(in).length);
        }
        await("counted", () -> a.transport().stats().closes(CloseReason.UNEXPECTED_FRAME) == 1);
        assertTrue(a.inbox().isEmpty());
        assertEquals(0, a.transport().stats().authFailures(), "it did authenticate");
    }

    @Test
    void authenticatedPeerCutOffInsideAFrameDeliversNothingOfIt() throws Exception {
        Node a = start(config("a"));
        try (Socket socket = connect(a)) {
            DataInputStream in = new DataInputStream(socket.getInputStream());
            rawHandshake(socket.getOutputStream(), in, "b");
            byte[] frame = bytes(MessageCodec.encode(ByteBufAllocator.DEFAULT,
                    new Message.TimeoutNow(CLUSTER, "b", "a", 4)));
            socket.getOutputStream().write(frame, 0, frame.length - 1);
            socket.shutdownOutput();
            assertEquals(0, readUntilClosed(in).length);
        }
        await("counted", () -> a.transport().stats().closes(CloseReason.TRUNCATED) == 1);
        assertTrue(a.inbox().isEmpty());
    }

    @Test
    void authenticatedPeerAnnouncingAnOversizeFrameIsClosed() throws Exception {
        Node a = start(config("a").withFrameBytesMax(8192));
        try (Socket socket = connect(a)) {
            DataInputStream in = new DataInputStream(socket.getInputStream());
            rawHandshake(socket.getOutputStream(), in, "b");
            byte[] header = {0, 0, 0x20, 0, (byte) FrameType.APPEND_ENTRIES.code, 0, 0, 0, 0};
            socket.getOutputStream().write(header);
            assertEquals(0, readUntilClosed(in).length);
        }
        await("counted", () -> a.transport().stats().closes(CloseReason.OVERSIZE) == 1);
        assertTrue(a.inbox().isEmpty());
    }

    @Test
    void dialerRefusesFramesFromTheAcceptorAndAcceptorsWithAnotherId() throws Exception {
        try (ServerSocket fakeB = new ServerSocket()) {
            fakeB.setReuseAddress(true);
            fakeB.bind(members.get("b"));
            Node a = start(config("a"));
            try (Socket socket = fakeB.accept()) {
                socket.setSoTimeout((int) DEADLINE_MS);
                DataInputStream in = new DataInputStream(socket.getInputStream());
                OutputStream out = socket.getOutputStream();
                Handshake.Hello dialerHello = Handshake.decodeHello(
                        io.netty.buffer.Unpooled.wrappedBuffer(readFrame(in, FrameType.HELLO)));
                assertEquals("a", dialerHello.nodeId());
                byte[] nonce = Handshake.newNonce(new SecureRandom());
                out.write(bytes(Handshake.encodeHello(ByteBufAllocator.DEFAULT, new Handshake.Hello(
                        Handshake.PROTOCOL_VERSION, nonce, "b", CLUSTER.value(), ""))));
                byte[] dialerProof = readFrame(in, FrameType.PROOF);
                assertTrue(Handshake.proofMatches(Handshake.proof(SECRET, Handshake.DIALER_LABEL,
                        dialerHello.nonce(), nonce, "a", "b", CLUSTER.value(), dialerHello.clientUrl(), ""),
                        dialerProof));
                out.write(bytes(Handshake.encodeProof(ByteBufAllocator.DEFAULT, Handshake.proof(
                        SECRET, Handshake.ACCEPTOR_LABEL, dialerHello.nonce(), nonce, "a", "b",
                        CLUSTER.value(), dialerHello.clientUrl(), ""))));
                await("a's link to b is up", () -> a.transport().stats().linksUp() >= 1);
                // Connections are one-way: an acceptor that sends a message is refused.
                out.write(bytes(MessageCodec.encode(ByteBufAllocator.DEFAULT,
                        new Message.TimeoutNow(CLUSTER, "b", "a", 4))));
                readUntilClosed(in);
            }
            await("counted", () -> a.transport().stats().closes(CloseReason.UNEXPECTED_FRAME) == 1);
            assertTrue(a.inbox().isEmpty());
            // The redial reaches an acceptor that claims to be c, at b's address.
            try (Socket socket = fakeB.accept()) {
                socket.setSoTimeout((int) DEADLINE_MS);
                DataInputStream in = new DataInputStream(socket.getInputStream());
                readFrame(in, FrameType.HELLO);
                socket.getOutputStream().write(bytes(Handshake.encodeHello(ByteBufAllocator.DEFAULT,
                        new Handshake.Hello(Handshake.PROTOCOL_VERSION,
                                new byte[Handshake.NONCE_BYTES], "c", CLUSTER.value(), ""))));
                assertEquals(0, readUntilClosed(in).length, "no PROOF for the wrong peer");
            }
            await("counted", () -> a.transport().stats().closes(CloseReason.AUTH_FAILED) >= 1);
        }
    }

    @Test
    void reconnectsAfterThePeerRestarts() throws Exception {
        Node a = start(config("a"));
        Node b = start(config("b"));
        a.transport().send(new Message.Heartbeat(CLUSTER, "a", "b", 1, 0, 0));
        a.transport().flush();
        assertEquals(0, ((Message.Heartbeat) take(b)).readRound());
        b.transport().close();
        Node restarted = start(config("b"));
        // Messages written into the dead connection before a notices are lost, as Raft
        // allows; the node loop resends on its next heartbeat, which this loop imitates.
        long round = 1;
        Message received = null;
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(DEADLINE_MS);
        while (received == null && System.nanoTime() < deadline) {
            a.transport().send(new Message.Heartbeat(CLUSTER, "a", "b", 1, 0, round++));
            a.transport().flush();
            received = restarted.inbox().poll(50, TimeUnit.MILLISECONDS);
        }
        assertNotNull(received, "a never reached the restarted b");
        assertTrue(((Message.Heartbeat) received).readRound() >= 1);
    }

    @Test
    void fullOutboundQueueDropsAndCounts() {
        // b is never started, so nothing drains a's queues.
        Node a = start(config("a").withFrameBytesMax(4096).withOutboundQueue(10, 8192));
        int accepted = 0;
        for (int i = 0; i < 15; i++) {
            accepted += a.transport().send(new Message.Heartbeat(CLUSTER, "a", "b", 1, 0, i))
                    ? 1 : 0;
        }
        assertEquals(10, accepted);
        assertEquals(5, a.transport().stats().messagesDropped());
        // The snapshot lane has its own queue, so a full control queue does not block it.
        assertTrue(a.transport().send(chunk("a", "c", 0, 1000)));
        // The byte bound: three chunks of about 3 KiB exceed 8 KiB.
        assertTrue(a.transport().send(chunk("a", "c", 1000, 3000)));
        assertTrue(a.transport().send(chunk("a", "c", 4000, 3000)));
        assertFalse(a.transport().send(chunk("a", "c", 7000, 3000)));
        assertEquals(6, a.transport().stats().messagesDropped());
    }

    @Test
    void messageLargerThanAFrameIsAConfigurationError() {
        Node a = start(config("a").withFrameBytesMax(4096));
        try {
            a.transport().send(chunk("a", "b", 0, 5000));
            fail("a message over frameBytesMax must be refused loudly");
        } catch (IllegalArgumentException expected) {
            assertTrue(expected.getMessage().contains("frameBytesMax"));
        }
    }

    @Test
    void snapshotChunksDoNotDelayHeartbeats() throws InterruptedException {
        int chunkBytes = 512 * 1024;
        int chunks = 48;
        TransportConfig big = config("a").withFrameBytesMax(chunkBytes + 4096)
                .withOutboundQueue(1000, 64L * 1024 * 1024);
        Node a = start(big);
        Node b = start(config("b").withFrameBytesMax(chunkBytes + 4096));
        await("every lane from a to b is up", () -> a.transport().stats().linksUp() == Lane.values().length);
        for (int i = 0; i < chunks; i++) {
            assertTrue(a.transport().send(chunk("a", "b", (long) i * chunkBytes, chunkBytes)));
        }
        a.transport().send(new Message.Heartbeat(CLUSTER, "a", "b", 1, 0, 42));
        a.transport().flush();
        int chunksBeforeHeartbeat = -1;
        for (int i = 0; i <= chunks; i++) {
            Message message = take(b);
            if (message instanceof Message.Heartbeat) {
                chunksBeforeHeartbeat = i;
            }
        }
        // On one FIFO connection the heartbeat, queued after every chunk, would arrive last.
        assertTrue(chunksBeforeHeartbeat >= 0 && chunksBeforeHeartbeat < chunks,
                "heartbeat arrived after " + chunksBeforeHeartbeat + " of " + chunks + " chunks");
    }

    @Test
    void backoffStaysWithinItsWindowAndCap() {
        for (int attempt = 0; attempt < 40; attempt++) {
            long window = Math.min(2_000, 50L << Math.min(attempt, 20));
            for (int i = 0; i < 50; i++) {
                long delay = PeerLink.backoffMs(attempt, 50, 2_000);
                assertTrue(delay >= window / 2 && delay <= window, attempt + ": " + delay);
            }
        }
    }

    @Test
    void backoffCannotOverflow() {
        long huge = Long.MAX_VALUE / 2;
        long delay = PeerLink.backoffMs(40, huge, huge);
        assertTrue(delay >= huge / 2 && delay <= huge, Long.toString(delay));
    }

    @Test
    void callbackFailureClosesTheConnectionAndIsCountedAsABug() throws InterruptedException {
        BlockingQueue<Message> calls = new ArrayBlockingQueue<>(100);
        PeerTransport a = PeerTransport.start(config("a"), message -> {
            calls.add(message);
            throw new IllegalStateException("node inbox bug");
        });
        toClose.add(a);
        Node b = start(config("b"));
        b.transport().send(new Message.TimeoutNow(CLUSTER, "b", "a", 3));
        b.transport().flush();
        assertNotNull(calls.poll(DEADLINE_MS, TimeUnit.MILLISECONDS));
        await("counted", () -> a.stats().closes(CloseReason.INTERNAL_ERROR) == 1);
    }

    private static Message.InstallSnapshot chunk(String from, String to, long offset, int bytes) {
        return new Message.InstallSnapshot(CLUSTER, from, to, 1,
                new SnapshotMetadata(100, 1, 1L << 30), offset, new byte[bytes], false);
    }

    private static Socket connect(Node node) throws IOException {
        Socket socket = new Socket();
        socket.connect(node.transport().localAddress(), (int) DEADLINE_MS);
        socket.setSoTimeout((int) DEADLINE_MS);
        return socket;
    }

    /** Everything the other side sends until it closes; a reset counts as closed. */
    private static byte[] readUntilClosed(InputStream in) throws IOException {
        ByteArrayOutputStream received = new ByteArrayOutputStream();
        byte[] buffer = new byte[4096];
        try {
            for (int n; (n = in.read(buffer)) >= 0; ) {
                received.write(buffer, 0, n);
            }
        } catch (SocketException reset) {
            // Closing with unread input makes the kernel send RST instead of FIN: closed too.
            assertTrue(reset.getMessage() != null, reset.toString());
        }
        return received.toByteArray();
    }

    /** Reads one frame of the expected type and returns its body. */
    private static byte[] readFrame(DataInputStream in, FrameType expected) throws IOException {
        try {
            int length = in.readInt();
            int type = in.readUnsignedByte();
            in.readInt();
            assertEquals(expected.code, type);
            byte[] body = new byte[length];
            in.readFully(body);
            return body;
        } catch (EOFException e) {
            throw new AssertionError("closed before a " + expected + " frame", e);
        }
    }

    private static byte[] bytes(ByteBuf frame) {
        try {
            return ByteBufUtil.getBytes(frame);
        } finally {
            frame.release();
        }
    }

    private static OutputStream tee(OutputStream first, ByteArrayOutputStream second) {
        return new OutputStream() {
            @Override
            public void write(int b) throws IOException {
                first.write(b);
                second.write(b);
            }

            @Override
            public void write(byte[] b, int off, int len) throws IOException {
                first.write(b, off, len);
                second.write(b, off, len);
            }
        };
    }
}

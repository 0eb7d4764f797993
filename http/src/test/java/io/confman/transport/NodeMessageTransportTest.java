package io.confman.transport;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import io.confman.cli.FreePorts;
import io.confman.raft.ClusterIdentity;
import io.confman.raft.Message;
import io.confman.raft.SnapshotMetadata;
import io.confman.transport.NodeMessage.BlobChunk;
import io.confman.transport.NodeMessage.BlobFetch;
import io.confman.transport.NodeMessage.BlobOffer;
import io.confman.transport.NodeMessage.BlobStatus;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.function.IntFunction;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Node messages travel between real transports on 127.0.0.1, blob chunks on their own lane;
 * a transport that takes none refuses them. Every wait is a condition with a generous
 * deadline; assertions about timing are about order, never about milliseconds.
 */
class NodeMessageTransportTest {

    private static final List<String> IDS = List.of("a", "b");
    private static final ClusterIdentity CLUSTER = ClusterIdentity.of(IDS);
    private static final long DEADLINE_MS = 20_000;
    private static final byte[] SECRET = "test cluster secret, 32 bytes ok".getBytes(StandardCharsets.UTF_8);
    private static final byte[] DIGEST = new byte[NodeMessage.DIGEST_BYTES];

    private final List<AutoCloseable> toClose = new ArrayList<>();
    private Map<String, InetSocketAddress> members;

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
        return TransportConfig.withDefaults(id, members, CLUSTER, SECRET).withReconnectBackoffMs(10, 200);
    }

    /** A transport that puts Raft and node messages into one inbox, in the order they arrive. */
    private PeerTransport start(TransportConfig config, BlockingQueue<Object> inbox) {
        PeerTransport transport = PeerTransport.start(config, inbox::add, inbox::add);
        toClose.add(transport);
        return transport;
    }

    /** A transport that takes no node messages. */
    private PeerTransport startWithoutNodeCallback(TransportConfig config) {
        PeerTransport transport = PeerTransport.start(config, message -> {
        });
        toClose.add(transport);
        return transport;
    }

    private static void await(String what, BooleanSupplier condition) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(DEADLINE_MS);
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() - deadline > 0) {
                fail("timed out waiting until " + what);
            }
            Thread.sleep(5);
        }
    }

    private static Object take(BlockingQueue<Object> inbox) throws InterruptedException {
        Object message = inbox.poll(DEADLINE_MS, TimeUnit.MILLISECONDS);
        assertNotNull(message, "no message arrived within " + DEADLINE_MS + " ms");
        return message;
    }

    @Test
    void nodeMessagesArriveIntactBothWaysInTheOrderOfTheirLane() throws InterruptedException {
        BlockingQueue<Object> inboxA = new LinkedBlockingQueue<>();
        BlockingQueue<Object> inboxB = new LinkedBlockingQueue<>();
        PeerTransport a = start(config("a"), inboxA);
        PeerTransport b = start(config("b"), inboxB);
        Random random = new Random(11);
        List<NodeMessage> toB = new ArrayList<>();
        List<NodeMessage> toA = new ArrayList<>();
        for (int i = 0; i < 80; i++) {
            toB.add(NodeMessageCodecTest.random(random, CLUSTER, "a", "b"));
            toA.add(NodeMessageCodecTest.random(random, CLUSTER, "b", "a"));
        }
        toB.forEach(message -> assertTrue(a.send(message)));
        toA.forEach(message -> assertTrue(b.send(message)));
        a.flush();
        b.flush();
        assertArrivedInLaneOrder(toB, inboxB);
        assertArrivedInLaneOrder(toA, inboxA);
    }

    /** One connection per direction and lane keeps order within a lane, and promises none across lanes. */
    private static void assertArrivedInLaneOrder(List<NodeMessage> sent, BlockingQueue<Object> inbox)
            throws InterruptedException {
        Map<Lane, List<NodeMessage>> expected = new EnumMap<>(Lane.class);
        Map<Lane, List<NodeMessage>> received = new EnumMap<>(Lane.class);
        for (NodeMessage message : sent) {
            expected.computeIfAbsent(Lane.of(message), lane -> new ArrayList<>()).add(message);
            NodeMessage arrived = (NodeMessage) take(inbox);
            received.computeIfAbsent(Lane.of(arrived), lane -> new ArrayList<>()).add(arrived);
        }
        assertEquals(expected.keySet(), received.keySet());
        assertTrue(expected.containsKey(Lane.BLOB) && expected.containsKey(Lane.CONTROL), "both lanes were used");
        for (Lane lane : expected.keySet()) {
            assertEquals(expected.get(lane).size(), received.get(lane).size(), lane.name());
            for (int i = 0; i < expected.get(lane).size(); i++) {
                NodeMessageCodecTest.assertSame(expected.get(lane).get(i), received.get(lane).get(i));
            }
        }
    }

    @Test
    void aTransportWithoutANodeCallbackClosesTheConnectionOnANodeMessage() throws InterruptedException {
        PeerTransport a = start(config("a"), new LinkedBlockingQueue<>());
        PeerTransport b = startWithoutNodeCallback(config("b"));
        await("a's links are up", () -> a.stats().linksUp() == Lane.values().length);
        assertTrue(a.send(new NodeMessage.ReadIndexRequest(CLUSTER, "a", "b", 1, 1)));
        a.flush();
        await("b closes the connection", () -> b.stats().closes(CloseReason.UNEXPECTED_FRAME) == 1);
        assertEquals(0, b.stats().messagesReceived());
    }

    @Test
    void blobChunksDelayNeitherHeartbeatsNorSnapshotChunks() throws InterruptedException {
        int chunkBytes = 1024 * 1024;
        int chunks = 32;
        BlockingQueue<Object> inboxB = new LinkedBlockingQueue<>();
        // The defaults: 4 MiB frames, 64 MiB per peer and lane, so 32 chunks of 1 MiB fit the queue.
        PeerTransport a = start(config("a"), new LinkedBlockingQueue<>());
        start(config("b"), inboxB);
        await("every lane from a to b is up", () -> a.stats().linksUp() == Lane.values().length);
        byte[] data = new byte[chunkBytes]; // Shared by every chunk, and never changed.
        long sizeBytes = (long) chunks * chunkBytes;
        for (int i = 0; i < chunks; i++) {
            assertTrue(a.send(new BlobChunk(CLUSTER, "a", "b", 1, 9, DIGEST, sizeBytes, (long) i * chunkBytes,
                    data)));
        }
        assertTrue(a.send(new Message.InstallSnapshot(CLUSTER, "a", "b", 1, new SnapshotMetadata(100, 1, 1 << 20),
                0, new byte[512 * 1024], false)));
        assertTrue(a.send(new Message.Heartbeat(CLUSTER, "a", "b", 1, 0, 42)));
        a.flush();
        int chunksBeforeHeartbeat = -1;
        int chunksBeforeSnapshotChunk = -1;
        int chunksReceived = 0;
        while (chunksReceived < chunks || chunksBeforeHeartbeat < 0 || chunksBeforeSnapshotChunk < 0) {
            Object message = take(inboxB);
            if (message instanceof BlobChunk chunk) {
                assertEquals((long) chunksReceived * chunkBytes, chunk.offset(), "chunks keep their order");
                assertEquals(chunkBytes, chunk.data().length);
                chunksReceived++;
            } else if (message instanceof Message.Heartbeat) {
                chunksBeforeHeartbeat = chunksReceived;
            } else if (message instanceof Message.InstallSnapshot) {
                chunksBeforeSnapshotChunk = chunksReceived;
            } else {
                fail("unexpected " + message);
            }
        }
        // On one FIFO connection both, queued after every blob chunk, would arrive after the last.
        assertTrue(chunksBeforeHeartbeat < chunks,
                "heartbeat arrived after " + chunksBeforeHeartbeat + " of " + chunks + " blob chunks");
        assertTrue(chunksBeforeSnapshotChunk < chunks,
                "snapshot chunk arrived after " + chunksBeforeSnapshotChunk + " of " + chunks + " blob chunks");
    }

    @Test
    void sendRoutesBlobChunksToAQueueOfTheirOwn() {
        // b is never started, so nothing drains a's queues: each lane's queue fills on its own.
        PeerTransport a = startWithoutNodeCallback(config("a").withOutboundQueue(4, 4L * 1024 * 1024));
        for (int i = 0; i < 4; i++) {
            assertTrue(a.send(new NodeMessage.ReadIndexRequest(CLUSTER, "a", "b", 1, i)));
        }
        assertFalse(a.send(new NodeMessage.ReadIndexRequest(CLUSTER, "a", "b", 1, 4)));
        assertFalse(a.send(new BlobOffer(CLUSTER, "a", "b", 1, 1, DIGEST, 8)), "offers go on CONTROL");
        assertFalse(a.send(new BlobStatus(CLUSTER, "a", "b", 1, 1, DIGEST, BlobStatus.State.NEXT, 0, "")),
                "statuses go on CONTROL");
        assertFalse(a.send(new BlobFetch(CLUSTER, "a", "b", 1, 1, DIGEST, 8)), "fetches go on CONTROL");
        assertEquals(4, a.stats().messagesDropped());
        for (int i = 0; i < 4; i++) {
            assertTrue(a.send(new BlobChunk(CLUSTER, "a", "b", 1, 1, DIGEST, 8, i, new byte[1])),
                    "chunks go on BLOB, whose queue is empty");
        }
        assertFalse(a.send(new BlobChunk(CLUSTER, "a", "b", 1, 1, DIGEST, 8, 4, new byte[1])));
        assertEquals(5, a.stats().messagesDropped());
        assertTrue(a.send(new Message.InstallSnapshot(CLUSTER, "a", "b", 1, new SnapshotMetadata(1, 1, 8), 0,
                new byte[1], false)), "a full blob queue does not block the snapshot lane");
    }

    @Test
    void theLargestChunkIsSentAndALargerOneIsAConfigurationError() {
        PeerTransport a = startWithoutNodeCallback(config("a"));
        int largest = a.blobChunkDataBytesMax();
        assertEquals(NodeMessageCodec.blobChunkDataBytesMax(config("a").frameBytesMax()), largest);
        assertTrue(a.send(new BlobChunk(CLUSTER, "a", "b", 1, 1, DIGEST, largest, 0, new byte[largest])));
        int frameBytesMax = config("a").frameBytesMax();
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> a.send(
                new BlobChunk(CLUSTER, "a", "b", 1, 1, DIGEST, frameBytesMax, 0, new byte[frameBytesMax])));
        assertTrue(e.getMessage().contains("frameBytesMax"), e.getMessage());
    }

    @Test
    void threadsSendingAtOnceEachKeepTheirOrder() throws Exception {
        int perSender = 500;
        BlockingQueue<Object> inboxB = new LinkedBlockingQueue<>();
        PeerTransport a = start(config("a"), new LinkedBlockingQueue<>());
        start(config("b"), inboxB);
        // As a node would: its loop sends Raft messages while a blob thread sends statuses on
        // CONTROL and chunks on BLOB; each flushes after every send.
        CountDownLatch go = new CountDownLatch(1);
        List<Callable<Void>> senders = List.of(
                sender(go, perSender, a, i -> new Message.Heartbeat(CLUSTER, "a", "b", 1, 0, i)),
                sender(go, perSender, a, i -> new BlobStatus(CLUSTER, "a", "b", 1, 2, DIGEST,
                        BlobStatus.State.NEXT, i, "")),
                sender(go, perSender, a, i -> new BlobChunk(CLUSTER, "a", "b", 1, 3, DIGEST, perSender, i,
                        new byte[] {(byte) i})));
        ExecutorService threads = Executors.newFixedThreadPool(senders.size());
        try {
            List<Future<Void>> running = new ArrayList<>();
            senders.forEach(sender -> running.add(threads.submit(sender)));
            go.countDown();
            for (Future<Void> sender : running) {
                sender.get(DEADLINE_MS, TimeUnit.MILLISECONDS);
            }
        } finally {
            threads.shutdownNow();
            assertTrue(threads.awaitTermination(DEADLINE_MS, TimeUnit.MILLISECONDS));
        }
        long heartbeats = 0;
        long statuses = 0;
        long chunks = 0;
        for (int i = 0; i < senders.size() * perSender; i++) {
            Object message = take(inboxB);
            if (message instanceof Message.Heartbeat heartbeat) {
                assertEquals(heartbeats++, heartbeat.readRound());
            } else if (message instanceof BlobStatus status) {
                assertEquals(statuses++, status.nextOffset());
            } else if (message instanceof BlobChunk chunk) {
                assertEquals(chunks++, chunk.offset());
                assertEquals((byte) chunk.offset(), chunk.data()[0]);
            } else {
                fail("unexpected " + message);
            }
        }
        assertEquals(List.of((long) perSender, (long) perSender, (long) perSender), List.of(heartbeats, statuses,
                chunks));
        assertEquals(0, a.stats().messagesDropped());
    }

    /** Waits for {@code go}, then sends {@code count} messages, flushing after each. */
    private static Callable<Void> sender(CountDownLatch go, int count, PeerTransport transport,
                                         IntFunction<Object> message) {
        return () -> {
            go.await();
            for (int i = 0; i < count; i++) {
                Object next = message.apply(i);
                boolean queued = next instanceof Message raft ? transport.send(raft)
                        : transport.send((NodeMessage) next);
                assertTrue(queued, "message " + i + " dropped");
                transport.flush();
            }
            return null;
        };
    }
}

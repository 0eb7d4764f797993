package io.confman.transport;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import io.confman.cli.FreePorts;
import io.confman.raft.ClusterIdentity;
import io.confman.raft.Message;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
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

/** Node messages travel between real transports; a transport that takes none refuses them. */
class NodeMessageTransportTest {

    private static final List<String> IDS = List.of("a", "b");
    private static final ClusterIdentity CLUSTER = ClusterIdentity.of(IDS);
    private static final long DEADLINE_MS = 20_000;
    private static final byte[] SECRET = "test cluster secret, 32 bytes ok".getBytes(StandardCharsets.UTF_8);

    private final List<PeerTransport> toClose = new ArrayList<>();
    private Map<String, InetSocketAddress> members;

    @BeforeEach
    void pickPorts() throws IOException {
        members = new HashMap<>();
        for (String id : IDS) {
            members.put(id, new InetSocketAddress(InetAddress.getLoopbackAddress(), FreePorts.pick()));
        }
    }

    @AfterEach
    void closeEverything() {
        toClose.forEach(PeerTransport::close);
    }

    private PeerTransport start(String id, BlockingQueue<NodeMessage> nodeInbox) {
        TransportConfig config = TransportConfig.withDefaults(id, members, CLUSTER, SECRET)
                .withReconnectBackoffMs(10, 200);
        BlockingQueue<Message> inbox = new ArrayBlockingQueue<>(1000);
        PeerTransport transport = nodeInbox == null
                ? PeerTransport.start(config, inbox::offer)
                : PeerTransport.start(config, inbox::offer, nodeInbox::offer);
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

    @Test
    void nodeMessagesArriveIntactBothWays() throws InterruptedException {
        BlockingQueue<NodeMessage> inboxA = new ArrayBlockingQueue<>(1000);
        BlockingQueue<NodeMessage> inboxB = new ArrayBlockingQueue<>(1000);
        PeerTransport a = start("a", inboxA);
        PeerTransport b = start("b", inboxB);
        Random random = new Random(11);
        List<NodeMessage> toB = new ArrayList<>();
        List<NodeMessage> toA = new ArrayList<>();
        for (int i = 0; i < 50; i++) {
            toB.add(NodeMessageCodecTest.random(random, CLUSTER, "a", "b"));
            toA.add(NodeMessageCodecTest.random(random, CLUSTER, "b", "a"));
        }
        toB.forEach(message -> assertTrue(a.send(message)));
        toA.forEach(message -> assertTrue(b.send(message)));
        a.flush();
        b.flush();
        // One connection per direction and lane keeps order, and node messages use the control lane.
        for (NodeMessage expected : toB) {
            NodeMessage received = inboxB.poll(DEADLINE_MS, TimeUnit.MILLISECONDS);
            assertNotNull(received, "nothing arrived at b");
            NodeMessageCodecTest.assertSame(expected, received);
        }
        for (NodeMessage expected : toA) {
            NodeMessage received = inboxA.poll(DEADLINE_MS, TimeUnit.MILLISECONDS);
            assertNotNull(received, "nothing arrived at a");
            NodeMessageCodecTest.assertSame(expected, received);
        }
    }

    @Test
    void aTransportWithoutANodeCallbackClosesTheConnectionOnANodeMessage() throws InterruptedException {
        PeerTransport a = start("a", new ArrayBlockingQueue<>(10));
        PeerTransport b = start("b", null);
        await("a's links are up", () -> a.stats().linksUp() == 2);
        assertTrue(a.send(new NodeMessage.ReadIndexRequest(CLUSTER, "a", "b", 1, 1)));
        a.flush();
        await("b closes the connection", () -> b.stats().closes(CloseReason.UNEXPECTED_FRAME) == 1);
        assertEquals(0, b.stats().messagesReceived());
    }
}

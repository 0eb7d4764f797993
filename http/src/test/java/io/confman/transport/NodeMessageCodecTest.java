package io.confman.transport;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.confman.raft.ClusterIdentity;
import io.confman.transport.NodeMessage.ForwardWrite;
import io.confman.transport.NodeMessage.ForwardWriteResponse;
import io.confman.transport.NodeMessage.Outcome;
import io.confman.transport.NodeMessage.ReadIndexRequest;
import io.confman.transport.NodeMessage.ReadIndexResponse;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The node messages (TRANSPORT.md section 4.4) survive framing exactly; bad bodies are MALFORMED. */
class NodeMessageCodecTest {

    private static final long SEED = 20261126L;
    private static final int RUNS = 300;
    private static final ClusterIdentity CLUSTER = ClusterIdentity.of(List.of("a", "b", "c"));

    @BeforeAll
    static void trackEveryBuffer() {
        io.netty.util.ResourceLeakDetector.setLevel(io.netty.util.ResourceLeakDetector.Level.PARANOID);
    }

    static NodeMessage random(Random random, ClusterIdentity cluster, String from, String to) {
        long term = random.nextLong();
        Outcome outcome = Outcome.values()[random.nextInt(Outcome.values().length)];
        String detail = random.nextBoolean() ? "" : "detail-" + random.nextInt(1000);
        return switch (random.nextInt(4)) {
            case 0 -> new ForwardWrite(cluster, from, to, term, RandomMessages.bytes(random, random.nextInt(200)));
            case 1 -> new ForwardWriteResponse(cluster, from, to, term, random.nextLong(), random.nextLong(), outcome,
                    random.nextLong(), detail);
            case 2 -> new ReadIndexRequest(cluster, from, to, term, random.nextLong());
            default -> new ReadIndexResponse(cluster, from, to, term, random.nextLong(), outcome,
                    random.nextLong() & Long.MAX_VALUE, detail);
        };
    }

    static void assertSame(NodeMessage expected, NodeMessage actual) {
        if (expected instanceof ForwardWrite e && actual instanceof ForwardWrite a) {
            assertEquals(List.of(e.cluster(), e.from(), e.to(), e.term()), List.of(a.cluster(), a.from(), a.to(),
                    a.term()));
            assertArrayEquals(e.command(), a.command());
        } else {
            assertEquals(expected, actual);
        }
    }

    @Test
    void everyNodeMessageRoundTripsThroughAFrame() {
        Random random = new Random(SEED);
        for (int run = 0; run < RUNS; run++) {
            NodeMessage message = random(random, CLUSTER, "a", "b");
            ByteBuf frame = NodeMessageCodec.encode(ByteBufAllocator.DEFAULT, message);
            assertEquals(NodeMessageCodec.frameBytes(message), frame.readableBytes(), "run " + run);
            EmbeddedChannel channel = new EmbeddedChannel(new FrameDecoder(Integer.MAX_VALUE));
            channel.writeInbound(frame);
            Frame decoded = channel.readInbound();
            try {
                assertTrue(decoded.type().isNodeMessage());
                assertSame(message, NodeMessageCodec.decode(decoded.type(), decoded.body()));
            } finally {
                decoded.body().release();
            }
            assertFalse(channel.finish());
        }
    }

    @Test
    void mutatedBodiesDecodeOrAreMalformed() {
        Random random = new Random(SEED + 1);
        for (int run = 0; run < RUNS; run++) {
            NodeMessage message = random(random, CLUSTER, "a", "b");
            ByteBuf body = bodyOf(message);
            switch (random.nextInt(3)) {
                case 0 -> body.setByte(random.nextInt(body.writerIndex()), random.nextInt(256));
                case 1 -> body.writerIndex(random.nextInt(body.writerIndex()));
                default -> body.writeBytes(RandomMessages.bytes(random, 16));
            }
            try {
                NodeMessageCodec.decode(NodeMessageCodec.typeOf(message), body);
            } catch (FrameException e) {
                assertEquals(CloseReason.MALFORMED, e.reason, e.getMessage());
            }
        }
    }

    @Test
    void anUnknownOutcomeIsMalformed() {
        ByteBuf body = bodyOf(new ReadIndexResponse(CLUSTER, "a", "b", 1, 7, Outcome.OK, 9, ""));
        int outcomeIndex = body.writerIndex() - 2 - 8 - 1; // before readIndex and the empty detail
        assertEquals(Outcome.OK.code, body.getByte(outcomeIndex));
        body.setByte(outcomeIndex, 0);
        FrameException e = assertThrows(FrameException.class,
                () -> NodeMessageCodec.decode(FrameType.READ_INDEX_RESPONSE, body));
        assertEquals(CloseReason.MALFORMED, e.reason);
    }

    private static ByteBuf bodyOf(NodeMessage message) {
        ByteBuf frame = NodeMessageCodec.encode(ByteBufAllocator.DEFAULT, message);
        try {
            return Unpooled.copiedBuffer(frame.slice(Frame.FRAME_HEADER_BYTES,
                    frame.readableBytes() - Frame.FRAME_HEADER_BYTES));
        } finally {
            frame.release();
        }
    }
}

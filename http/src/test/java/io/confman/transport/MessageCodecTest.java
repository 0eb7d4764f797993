package io.confman.transport;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.confman.raft.ClusterIdentity;
import io.confman.raft.Entry;
import io.confman.raft.Message;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** Every message type survives encode, framing and decode exactly; bad bodies are refused. */
class MessageCodecTest {

    @org.junit.jupiter.api.BeforeAll
    static void trackEveryBuffer() {
        // Every buffer is tracked, so a frame body the handlers forget to release shows up
        // as a LEAK line in the test output.
        io.netty.util.ResourceLeakDetector.setLevel(io.netty.util.ResourceLeakDetector.Level.PARANOID);
    }


    private static final long SEED = 20261125L;
    private static final int RUNS_PER_TYPE = 300;
    private static final ClusterIdentity CLUSTER = ClusterIdentity.of(List.of("a", "b", "c"));

    @Test
    void everyMessageTypeRoundTripsThroughAFrame() {
        Random random = new Random(SEED);
        for (FrameType type : RandomMessages.MESSAGE_TYPES) {
            for (int run = 0; run < RUNS_PER_TYPE; run++) {
                Message message = RandomMessages.of(type, random, CLUSTER,
                        RandomMessages.id(random), RandomMessages.id(random));
                assertRoundTrip(message, "seed " + SEED + " type " + type + " run " + run);
            }
        }
    }

    private static void assertRoundTrip(Message message, String context) {
        ByteBuf frame = MessageCodec.encode(ByteBufAllocator.DEFAULT, message);
        assertEquals(MessageCodec.frameBytes(message), frame.readableBytes(), context);
        EmbeddedChannel channel = new EmbeddedChannel(new FrameDecoder(Integer.MAX_VALUE));
        // Feed the frame in two pieces, so reassembly across reads is exercised as well.
        int split = frame.readableBytes() / 2;
        channel.writeInbound(frame.readRetainedSlice(split));
        channel.writeInbound(frame);
        Frame decoded = channel.readInbound();
        try {
            assertEquals(MessageCodec.typeOf(message), decoded.type(), context);
            RandomMessages.assertSameMessage(message,
                    MessageCodec.decode(decoded.type(), decoded.body()));
        } finally {
            decoded.body().release();
        }
        assertFalse(channel.finish(), context);
    }

    @Test
    void mutatedBodiesDecodeOrAreMalformedNeverAnythingElse() {
        Random random = new Random(SEED + 1);
        for (FrameType type : RandomMessages.MESSAGE_TYPES) {
            for (int run = 0; run < RUNS_PER_TYPE; run++) {
                ByteBuf body = bodyOf(RandomMessages.of(type, random, CLUSTER, "a", "b"));
                mutate(body, random);
                try {
                    MessageCodec.decode(type, body);
                } catch (FrameException e) {
                    assertEquals(CloseReason.MALFORMED, e.reason, e.getMessage());
                } catch (RuntimeException e) {
                    throw new AssertionError("seed " + SEED + " type " + type + " run " + run
                            + ": a bad body must be MALFORMED, not " + e, e);
                }
            }
        }
    }

    /** Flips bytes, cuts the end or appends garbage, as corruption or a hostile peer would. */
    private static void mutate(ByteBuf body, Random random) {
        switch (random.nextInt(3)) {
            case 0:
                for (int i = 0; i < 1 + random.nextInt(4); i++) {
                    int index = random.nextInt(body.writerIndex());
                    body.setByte(index, random.nextInt(256));
                }
                break;
            case 1:
                body.writerIndex(random.nextInt(body.writerIndex()));
                break;
            default:
                body.writeBytes(RandomMessages.bytes(random, 16));
                break;
        }
    }

    @Test
    void trailingBytesAreMalformed() {
        Message heartbeat = heartbeat();
        ByteBuf body = bodyOf(heartbeat).writeByte(0);
        assertMalformed(FrameType.HEARTBEAT, body);
    }

    @Test
    void bodyCutShortIsMalformed() {
        ByteBuf body = bodyOf(heartbeat());
        assertMalformed(FrameType.HEARTBEAT, body.slice(0, body.readableBytes() - 3));
    }

    @Test
    void booleanOtherThanZeroOrOneIsMalformed() {
        ByteBuf body = bodyOf(new Message.PreVoteResponse(CLUSTER, "a", "b", 3, true));
        body.setByte(body.writerIndex() - 1, 2);
        assertMalformed(FrameType.PRE_VOTE_RESPONSE, body);
    }

    @Test
    void forgedEntryCountIsMalformedWithoutAllocatingForIt() {
        Message append = new Message.AppendEntries(CLUSTER, "a", "b", 3, 0, 0,
                List.of(Entry.noOp(1, 3)), 0);
        ByteBuf body = bodyOf(append);
        int countIndex = 2 + 64 + 2 + 1 + 2 + 1 + 8 + 3 * 8;
        assertEquals(1, body.getInt(countIndex));
        body.setInt(countIndex, Integer.MAX_VALUE);
        assertMalformed(FrameType.APPEND_ENTRIES, body);
    }

    @Test
    void valuesTheRecordsRejectAreMalformed() {
        // An entry index that does not follow prevLogIndex: the AppendEntries constructor
        // throws, and the codec must report that as a malformed frame.
        Message append = new Message.AppendEntries(CLUSTER, "a", "b", 3, 0, 0,
                List.of(Entry.noOp(1, 3)), 0);
        ByteBuf body = bodyOf(append);
        int prevLogIndex = 2 + 64 + 2 + 1 + 2 + 1 + 8;
        body.setLong(prevLogIndex, 7);
        assertMalformed(FrameType.APPEND_ENTRIES, body);
    }

    @Test
    void sizeMatchesEncodingForEdgeIds() {
        Message message = new Message.TimeoutNow(CLUSTER, "𝄞".repeat(100), "", 1);
        ByteBuf frame = MessageCodec.encode(ByteBufAllocator.DEFAULT, message);
        assertEquals(MessageCodec.frameBytes(message), frame.readableBytes());
        frame.release();
        assertThrows(IllegalArgumentException.class, () -> MessageCodec.frameBytes(
                new Message.TimeoutNow(CLUSTER, "x".repeat(70_000), "b", 1)));
    }

    private static Message heartbeat() {
        return new Message.Heartbeat(CLUSTER, "a", "b", 5, 10, 11);
    }

    private static ByteBuf bodyOf(Message message) {
        ByteBuf frame = MessageCodec.encode(ByteBufAllocator.DEFAULT, message);
        try {
            return Unpooled.copiedBuffer(frame.slice(Frame.FRAME_HEADER_BYTES,
                    frame.readableBytes() - Frame.FRAME_HEADER_BYTES));
        } finally {
            frame.release();
        }
    }

    private static void assertMalformed(FrameType type, ByteBuf body) {
        FrameException e = assertThrows(FrameException.class,
                () -> MessageCodec.decode(type, body));
        assertEquals(CloseReason.MALFORMED, e.reason, e.getMessage());
        assertTrue(e.getMessage().length() > 0);
    }
}

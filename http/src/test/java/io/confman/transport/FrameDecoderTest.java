package io.confman.transport;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.confman.raft.ClusterIdentity;
import io.confman.raft.Message;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Defensive decoding: each kind of bad input closes the connection, is counted under its
 * reason, and lets no frame through; good frames around it are unaffected.
 */
class FrameDecoderTest {

    @org.junit.jupiter.api.BeforeAll
    static void trackEveryBuffer() {
        // Every buffer is tracked, so a frame body the handlers forget to release shows up
        // as a LEAK line in the test output.
        io.netty.util.ResourceLeakDetector.setLevel(io.netty.util.ResourceLeakDetector.Level.PARANOID);
    }


    private static final ClusterIdentity CLUSTER = ClusterIdentity.of(List.of("a", "b"));
    private static final int FRAME_BYTES_MAX = 4096;

    private final TransportCounters counters = new TransportCounters();

    private EmbeddedChannel channel() {
        return new EmbeddedChannel(new FrameDecoder(FRAME_BYTES_MAX),
                new ConnectionGuard(counters, "test", () -> false));
    }

    private static ByteBuf heartbeatFrame() {
        return MessageCodec.encode(ByteBufAllocator.DEFAULT,
                new Message.Heartbeat(CLUSTER, "a", "b", 2, 3, 4));
    }

    @Test
    void intactFrameSplitIntoSingleBytesIsDecodedOnce() {
        EmbeddedChannel channel = channel();
        ByteBuf frame = heartbeatFrame();
        while (frame.isReadable()) {
            channel.writeInbound(frame.readRetainedSlice(1));
        }
        frame.release();
        Frame decoded = channel.readInbound();
        assertEquals(FrameType.HEARTBEAT, decoded.type());
        decoded.body().release();
        assertTrue(channel.isOpen());
        assertFalse(channel.finish());
    }

    @Test
    void badCrcClosesTheConnection() {
        ByteBuf frame = heartbeatFrame();
        int last = frame.writerIndex() - 1;
        frame.setByte(last, frame.getByte(last) ^ 0x01);
        assertRejected(frame, CloseReason.BAD_CRC);
    }

    @Test
    void typeZeroIsUnknown() {
        ByteBuf frame = heartbeatFrame();
        frame.setByte(Frame.TYPE_OFFSET, 0);
        assertRejected(frame, CloseReason.UNKNOWN_TYPE);
    }

    @Test
    void unassignedTypeIsUnknown() {
        ByteBuf frame = heartbeatFrame();
        frame.setByte(Frame.TYPE_OFFSET, 200);
        assertRejected(frame, CloseReason.UNKNOWN_TYPE);
    }

    @Test
    void lengthAboveTheLimitIsRefusedBeforeTheBodyArrives() {
        ByteBuf header = Unpooled.buffer().writeInt(FRAME_BYTES_MAX - Frame.FRAME_HEADER_BYTES + 1)
                .writeByte(FrameType.HEARTBEAT.code).writeInt(0);
        assertRejected(header, CloseReason.OVERSIZE);
    }

    @Test
    void lengthOfFourGigabytesIsOversizeNotNegative() {
        ByteBuf header = Unpooled.buffer().writeInt(0xFFFFFFFF)
                .writeByte(FrameType.HEARTBEAT.code).writeInt(0);
        assertRejected(header, CloseReason.OVERSIZE);
    }

    @Test
    void connectionEndingInsideABodyIsTruncated() {
        EmbeddedChannel channel = channel();
        ByteBuf frame = heartbeatFrame();
        channel.writeInbound(frame.readRetainedSlice(frame.readableBytes() - 5));
        frame.release();
        assertNull(channel.readInbound());
        channel.close();
        assertNull(channel.readInbound());
        assertEquals(1, counters.snapshot().closes(CloseReason.TRUNCATED));
    }

    @Test
    void goodFrameBeforeABadOneIsDeliveredAndNothingAfterIt() {
        EmbeddedChannel channel = channel();
        ByteBuf bad = heartbeatFrame();
        bad.setByte(Frame.TYPE_OFFSET, 0);
        channel.writeInbound(Unpooled.wrappedBuffer(heartbeatFrame(), bad, heartbeatFrame()));
        Frame first = channel.readInbound();
        assertEquals(FrameType.HEARTBEAT, first.type());
        first.body().release();
        assertNull(channel.readInbound());
        assertFalse(channel.isOpen());
        assertEquals(1, counters.snapshot().closes(CloseReason.UNKNOWN_TYPE));
    }

    private void assertRejected(ByteBuf input, CloseReason reason) {
        EmbeddedChannel channel = channel();
        channel.writeInbound(input);
        assertNull(channel.readInbound(), "no frame may pass");
        assertFalse(channel.isOpen(), "the connection must be closed");
        TransportStats stats = counters.snapshot();
        assertEquals(1, stats.closes(reason));
        assertEquals(1, stats.authFailures(), "it never authenticated");
    }
}

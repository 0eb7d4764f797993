package io.confman.transport;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.confman.raft.ClusterIdentity;
import io.confman.transport.NodeMessage.BlobChunk;
import io.confman.transport.NodeMessage.BlobFetch;
import io.confman.transport.NodeMessage.BlobOffer;
import io.confman.transport.NodeMessage.BlobStatus;
import io.confman.transport.NodeMessage.ForwardWrite;
import io.confman.transport.NodeMessage.ForwardWriteResponse;
import io.confman.transport.NodeMessage.Outcome;
import io.confman.transport.NodeMessage.ReadIndexRequest;
import io.confman.transport.NodeMessage.ReadIndexResponse;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import java.lang.reflect.RecordComponent;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The node messages (TRANSPORT.md sections 4.4 and 4.5) survive framing exactly; bad bodies are MALFORMED. */
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
        long transferId = random.nextLong();
        byte[] digest = exactly(random, NodeMessage.DIGEST_BYTES);
        return switch (random.nextInt(8)) {
            case 0 -> new ForwardWrite(cluster, from, to, term, RandomMessages.bytes(random, random.nextInt(200)));
            case 1 -> new ForwardWriteResponse(cluster, from, to, term, random.nextLong(), random.nextLong(), outcome,
                    random.nextLong(), detail);
            case 2 -> new ReadIndexRequest(cluster, from, to, term, random.nextLong());
            case 3 -> new ReadIndexResponse(cluster, from, to, term, random.nextLong(), outcome,
                    random.nextLong() & Long.MAX_VALUE, detail);
            case 4 -> new BlobOffer(cluster, from, to, term, transferId, digest, random.nextLong() & Long.MAX_VALUE);
            case 5 -> blobChunk(random, cluster, from, to, term, transferId, digest);
            case 6 -> {
                BlobStatus.State state = BlobStatus.State.values()[random.nextInt(BlobStatus.State.values().length)];
                long nextOffset = state == BlobStatus.State.NEXT ? random.nextLong() & Long.MAX_VALUE : 0;
                yield new BlobStatus(cluster, from, to, term, transferId, digest, state, nextOffset, detail);
            }
            default -> new BlobFetch(cluster, from, to, term, transferId, digest, random.nextLong() & Long.MAX_VALUE);
        };
    }

    /** A chunk of an empty blob, the first or the last chunk of a small or a huge blob, or one between. */
    private static BlobChunk blobChunk(Random random, ClusterIdentity cluster, String from, String to, long term,
                                       long transferId, byte[] digest) {
        if (random.nextInt(8) == 0) {
            return new BlobChunk(cluster, from, to, term, transferId, digest, 0, 0, new byte[0]);
        }
        long sizeBytes = random.nextBoolean() ? 1 + random.nextInt(4096) : Long.MAX_VALUE - random.nextInt(1000);
        int dataBytes = 1 + random.nextInt((int) Math.min(sizeBytes, 300));
        long offset = switch (random.nextInt(3)) {
            case 0 -> 0;
            case 1 -> sizeBytes - dataBytes;
            default -> random.nextLong(sizeBytes - dataBytes + 1);
        };
        return new BlobChunk(cluster, from, to, term, transferId, digest, sizeBytes, offset,
                exactly(random, dataBytes));
    }

    private static byte[] exactly(Random random, int length) {
        byte[] bytes = new byte[length];
        random.nextBytes(bytes);
        return bytes;
    }

    /** Field by field, arrays by content: records compare arrays by identity. */
    static void assertSame(NodeMessage expected, NodeMessage actual) {
        assertEquals(expected.getClass(), actual.getClass());
        for (RecordComponent component : expected.getClass().getRecordComponents()) {
            Object e = value(component, expected);
            Object a = value(component, actual);
            if (e instanceof byte[] bytes) {
                assertArrayEquals(bytes, (byte[]) a, component.getName() + " of " + expected);
            } else {
                assertEquals(e, a, component.getName());
            }
        }
    }

    private static Object value(RecordComponent component, NodeMessage message) {
        try {
            return component.getAccessor().invoke(message);
        } catch (ReflectiveOperationException e) {
            throw new AssertionError("cannot read " + component.getName() + " of " + message, e);
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

    @Test
    void everyBlobMessageRoundTripsAtItsEdges() {
        byte[] digest = digest();
        List<NodeMessage> edges = List.of(
                new BlobOffer(CLUSTER, "a", "b", 0, Long.MIN_VALUE, digest, 0),
                new BlobOffer(CLUSTER, "a", "b", Long.MAX_VALUE, -1, digest, Long.MAX_VALUE),
                new BlobChunk(CLUSTER, "a", "b", 1, 7, digest, 0, 0, new byte[0]),
                new BlobChunk(CLUSTER, "a", "b", 1, 7, digest, 1, 0, new byte[] {42}),
                new BlobChunk(CLUSTER, "a", "b", 1, 7, digest, Long.MAX_VALUE, Long.MAX_VALUE - 3, new byte[3]),
                new BlobStatus(CLUSTER, "b", "a", 1, 7, digest, BlobStatus.State.HELD, 0, ""),
                new BlobStatus(CLUSTER, "b", "a", 1, 7, digest, BlobStatus.State.NEXT, Long.MAX_VALUE, ""),
                new BlobStatus(CLUSTER, "b", "a", 1, 7, digest, BlobStatus.State.MISSING, 0, ""),
                new BlobStatus(CLUSTER, "b", "a", 1, 7, digest, BlobStatus.State.FAILED, 0, "digest mismatch: 𝄞"),
                new BlobFetch(CLUSTER, "b", "a", 1, 7, digest, 12345));
        for (NodeMessage message : edges) {
            ByteBuf body = bodyOf(message);
            assertEquals(NodeMessageCodec.bodyBytes(message), body.readableBytes(), message.toString());
            assertSame(message, NodeMessageCodec.decode(NodeMessageCodec.typeOf(message), body));
        }
    }

    @Test
    void blobMessagesHaveTheirFrameTypes() {
        byte[] digest = digest();
        assertEquals(FrameType.BLOB_OFFER, NodeMessageCodec.typeOf(new BlobOffer(CLUSTER, "a", "b", 1, 1, digest, 1)));
        assertEquals(FrameType.BLOB_CHUNK, NodeMessageCodec.typeOf(
                new BlobChunk(CLUSTER, "a", "b", 1, 1, digest, 1, 0, new byte[1])));
        assertEquals(FrameType.BLOB_STATUS, NodeMessageCodec.typeOf(
                new BlobStatus(CLUSTER, "a", "b", 1, 1, digest, BlobStatus.State.HELD, 0, "")));
        assertEquals(FrameType.BLOB_FETCH, NodeMessageCodec.typeOf(new BlobFetch(CLUSTER, "a", "b", 1, 1, digest, 1)));
        assertEquals(List.of(36, 37, 38, 39), List.of(FrameType.BLOB_OFFER.code, FrameType.BLOB_CHUNK.code,
                FrameType.BLOB_STATUS.code, FrameType.BLOB_FETCH.code));
    }

    @Test
    void aDigestOtherThan32BytesIsRefused() {
        for (int length : new int[] {0, 31, 33}) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> new BlobOffer(CLUSTER, "a", "b", 1, 1, new byte[length], 1));
            assertTrue(e.getMessage().contains("32 bytes") && e.getMessage().contains("was " + length), e.getMessage());
        }
        assertThrows(NullPointerException.class, () -> new BlobFetch(CLUSTER, "a", "b", 1, 1, null, 1));
        // On the wire the digest has no length of its own: one byte short shifts every later
        // field and the body ends early; one byte more leaves a byte after the last field.
        ByteBuf offer = bodyOf(new BlobOffer(CLUSTER, "a", "b", 1, 1, digest(), 1));
        int digestIndex = offer.writerIndex() - 8 - NodeMessage.DIGEST_BYTES;
        assertMalformed(FrameType.BLOB_OFFER, Unpooled.wrappedBuffer(offer.copy(0, digestIndex + 31),
                offer.copy(digestIndex + 32, 8)));
        assertMalformed(FrameType.BLOB_OFFER, Unpooled.wrappedBuffer(offer.copy(0, digestIndex + 32),
                Unpooled.wrappedBuffer(new byte[1]), offer.copy(digestIndex + 32, 8)));
    }

    @Test
    void aChunkOutsideItsBlobIsRefused() {
        byte[] digest = digest();
        assertThrows(IllegalArgumentException.class,
                () -> new BlobChunk(CLUSTER, "a", "b", 1, 1, digest, 100, 91, new byte[10]));
        assertThrows(IllegalArgumentException.class,
                () -> new BlobChunk(CLUSTER, "a", "b", 1, 1, digest, 100, -1, new byte[10]));
        assertThrows(IllegalArgumentException.class,
                () -> new BlobChunk(CLUSTER, "a", "b", 1, 1, digest, Long.MAX_VALUE, Long.MAX_VALUE, new byte[1]));
        assertThrows(IllegalArgumentException.class,
                () -> new BlobChunk(CLUSTER, "a", "b", 1, 1, digest, 100, 0, new byte[0]));
        assertThrows(IllegalArgumentException.class,
                () -> new BlobChunk(CLUSTER, "a", "b", 1, 1, digest, -1, 0, new byte[0]));
        BlobChunk last = new BlobChunk(CLUSTER, "a", "b", 1, 1, digest, 100, 90, new byte[10]);
        int offsetIndex = bodyOf(last).writerIndex() - 10 - 4 - 8; // before the data and its length
        ByteBuf pastSize = bodyOf(last);
        assertEquals(90, pastSize.getLong(offsetIndex));
        pastSize.setLong(offsetIndex, 91);
        assertMalformed(FrameType.BLOB_CHUNK, pastSize);
        ByteBuf negative = bodyOf(last);
        negative.setLong(offsetIndex, -1);
        assertMalformed(FrameType.BLOB_CHUNK, negative);
        ByteBuf shrunk = bodyOf(last);
        assertEquals(100, shrunk.getLong(offsetIndex - 8));
        shrunk.setLong(offsetIndex - 8, 99);
        assertMalformed(FrameType.BLOB_CHUNK, shrunk);
        ByteBuf emptyData = bodyOf(new BlobChunk(CLUSTER, "a", "b", 1, 1, digest, 0, 0, new byte[0]));
        emptyData.setLong(emptyData.writerIndex() - 4 - 8 - 8, 1); // sizeBytes: an empty chunk of a 1-byte blob
        assertMalformed(FrameType.BLOB_CHUNK, emptyData);
    }

    @Test
    void anUnknownBlobStateIsMalformed() {
        for (int code : new int[] {0, 5, 255}) {
            ByteBuf body = bodyOf(new BlobStatus(CLUSTER, "b", "a", 1, 7, digest(), BlobStatus.State.HELD, 0, ""));
            int stateIndex = body.writerIndex() - 2 - 8 - 1; // before nextOffset and the empty detail
            assertEquals(BlobStatus.State.HELD.code, body.getByte(stateIndex));
            body.setByte(stateIndex, code);
            FrameException e = assertThrows(FrameException.class,
                    () -> NodeMessageCodec.decode(FrameType.BLOB_STATUS, body));
            assertEquals(CloseReason.MALFORMED, e.reason);
            assertTrue(e.getMessage().contains("unknown blob transfer state " + code), e.getMessage());
        }
    }

    @Test
    void aNextOffsetOutsideNextIsMalformed() {
        assertThrows(IllegalArgumentException.class,
                () -> new BlobStatus(CLUSTER, "b", "a", 1, 7, digest(), BlobStatus.State.NEXT, -1, ""));
        assertThrows(IllegalArgumentException.class,
                () -> new BlobStatus(CLUSTER, "b", "a", 1, 7, digest(), BlobStatus.State.HELD, 5, ""));
        ByteBuf body = bodyOf(new BlobStatus(CLUSTER, "b", "a", 1, 7, digest(), BlobStatus.State.MISSING, 0, ""));
        body.setLong(body.writerIndex() - 2 - 8, 5);
        assertMalformed(FrameType.BLOB_STATUS, body);
    }

    @Test
    void trailingBytesAfterABlobMessageAreMalformed() {
        byte[] digest = digest();
        for (NodeMessage message : List.of(
                new BlobOffer(CLUSTER, "a", "b", 1, 1, digest, 10),
                new BlobChunk(CLUSTER, "a", "b", 1, 1, digest, 10, 0, new byte[10]),
                new BlobStatus(CLUSTER, "b", "a", 1, 1, digest, BlobStatus.State.FAILED, 0, "disk full"),
                new BlobFetch(CLUSTER, "b", "a", 1, 1, digest, 10))) {
            FrameException e = assertThrows(FrameException.class,
                    () -> NodeMessageCodec.decode(NodeMessageCodec.typeOf(message), bodyOf(message).writeByte(0)));
            assertEquals(CloseReason.MALFORMED, e.reason);
            assertTrue(e.getMessage().contains("1 bytes after its last field"), e.getMessage());
        }
    }

    @Test
    void theLargestChunkFillsAFrameExactlyWhateverTheIds() {
        assertEquals(4 * 1024 * 1024 - 657, NodeMessageCodec.blobChunkDataBytesMax(4 * 1024 * 1024));
        String longest = "i".repeat(Handshake.NODE_ID_BYTES_MAX);
        for (int frameBytesMax : new int[] {TransportConfig.FRAME_BYTES_MIN, 4 * 1024 * 1024}) {
            int dataBytes = NodeMessageCodec.blobChunkDataBytesMax(frameBytesMax);
            BlobChunk chunk = new BlobChunk(CLUSTER, longest, longest.toUpperCase(), 1, 1, digest(),
                    dataBytes, 0, new byte[dataBytes]);
            assertEquals(frameBytesMax, NodeMessageCodec.frameBytes(chunk));
            ByteBuf frame = NodeMessageCodec.encode(ByteBufAllocator.DEFAULT, chunk);
            assertEquals(frameBytesMax, frame.readableBytes());
            frame.release();
        }
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> NodeMessageCodec.blobChunkDataBytesMax(TransportConfig.FRAME_BYTES_MIN - 1));
        assertTrue(e.getMessage().contains("frameBytesMax"), e.getMessage());
    }

    @Test
    void theCommonHeaderWithOneLetterIdsIs80Bytes() {
        // TRANSPORT.md section 4.2; READ_INDEX adds one long.
        assertEquals(80 + 8, NodeMessageCodec.bodyBytes(new ReadIndexRequest(CLUSTER, "a", "b", 1, 1)));
    }

    private static byte[] digest() {
        return exactly(new Random(SEED), NodeMessage.DIGEST_BYTES);
    }

    private static void assertMalformed(FrameType type, ByteBuf body) {
        FrameException e = assertThrows(FrameException.class, () -> NodeMessageCodec.decode(type, body));
        assertEquals(CloseReason.MALFORMED, e.reason, e.getMessage());
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

package io.confman.storage.wal;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.zip.CRC32C;

/**
 * The byte layout of segment files, with the names used in {@code storage/FORMAT.md}.
 * Every method here is pure: it encodes into or decodes from a buffer and never does I/O,
 * so that the format can be tested without files.
 */
public final class Format {
    /** The ASCII bytes {@code CONFMWAL}, read as a little-endian u64. */
    public static final long SEGMENT_MAGIC = ByteBuffer.wrap("CONFMWAL".getBytes(StandardCharsets.US_ASCII))
            .order(ByteOrder.LITTLE_ENDIAN).getLong();
    public static final int FORMAT_VERSION = 1;
    public static final int SEGMENT_HEADER_BYTES = 32;
    public static final int FRAME_HEADER_BYTES = 28;
    public static final int FRAME_ALIGNMENT_BYTES = 8;
    /** Offset of {@code frameCrc} in the frame header; the CRC covers the bytes before it. */
    public static final int FRAME_CRC_OFFSET = 24;
    /** Offset of {@code headerCrc} in the segment header; the CRC covers the bytes before it. */
    public static final int HEADER_CRC_OFFSET = 24;
    /** Type 0 is invalid so that zero bytes (padding, unwritten space) never start a frame. */
    public static final int TYPE_INVALID = 0;
    public static final int TYPE_MAX = 255;
    /**
     * The largest entry index: indexes and terms are signed-positive 63-bit values (Java
     * longs), and one less than Long.MAX_VALUE keeps "next index" representable.
     */
    public static final long INDEX_MAX = Long.MAX_VALUE - 1;
    /** Offset of the frame's {@code flags} byte. */
    public static final int FRAME_FLAGS_OFFSET = 1;
    /**
     * Set on the first frame of every write batch (the frames one fdatasync covers). Recovery
     * uses it to tell a torn last batch from damage followed by later, durable data
     * (FORMAT.md section 4).
     */
    public static final int FLAG_BATCH_START = 1;
    /** The flag bits this version defines; any other set bit makes a frame invalid. */
    public static final int FLAGS_KNOWN = FLAG_BATCH_START;
    /** The smallest frame (empty payload, padded): no two frames start closer than this. */
    public static final int FRAME_BYTES_MIN = FRAME_HEADER_BYTES + 4;

    private Format() {
    }

    /** Bytes a frame with this payload occupies, padding included. */
    public static long frameBytes(int payloadLength) {
        return align(FRAME_HEADER_BYTES + (long) payloadLength);
    }

    static long align(long bytes) {
        return (bytes + FRAME_ALIGNMENT_BYTES - 1) / FRAME_ALIGNMENT_BYTES * FRAME_ALIGNMENT_BYTES;
    }

    /** The largest payload a segment of this size can hold in one frame. */
    public static long payloadBytesMax(long segmentSizeBytes) {
        return segmentSizeBytes - SEGMENT_HEADER_BYTES - FRAME_HEADER_BYTES - (FRAME_ALIGNMENT_BYTES - 1);
    }

    /** Writes a segment header at the buffer's position and advances it by 32 bytes. */
    public static void encodeSegmentHeader(ByteBuffer out, long firstIndex) {
        check(firstIndex >= 1, "firstIndex must be >= 1, was " + firstIndex);
        ByteBuffer header = ByteBuffer.allocate(SEGMENT_HEADER_BYTES).order(ByteOrder.LITTLE_ENDIAN);
        header.putLong(0, SEGMENT_MAGIC);
        header.putInt(8, FORMAT_VERSION);
        header.putLong(16, firstIndex);
        header.putInt(HEADER_CRC_OFFSET, crc(header, 0, HEADER_CRC_OFFSET));
        out.put(header);
    }

    /**
     * Reads the segment header at offset 0 of {@code segment}.
     *
     * @return the header's first index
     * @throws IllegalArgumentException with the reason when the header is not valid
     */
    public static long decodeSegmentHeader(ByteBuffer segment) {
        ByteBuffer in = segment.duplicate().order(ByteOrder.LITTLE_ENDIAN);
        check(in.limit() >= SEGMENT_HEADER_BYTES, "segment shorter than its header");
        check(in.getLong(0) == SEGMENT_MAGIC, "bad segment magic");
        check(in.getInt(8) == FORMAT_VERSION, "unsupported format version " + Integer.toUnsignedString(in.getInt(8)));
        check(in.getInt(12) == 0 && in.getInt(28) == 0, "non-zero reserved bytes in segment header");
        check(in.getInt(HEADER_CRC_OFFSET) == crc(in, 0, HEADER_CRC_OFFSET), "segment header CRC mismatch");
        long firstIndex = in.getLong(16);
        check(firstIndex >= 1, "segment header firstIndex " + firstIndex + " < 1");
        return firstIndex;
    }

    /**
     * Writes one frame (header, payload, zero padding) at the buffer's position.
     *
     * @param flags {@link #FLAG_BATCH_START} for the first frame of a write batch, else 0
     */
    public static void encodeFrame(ByteBuffer out, LogRecord record, int flags) {
        if ((flags & ~FLAGS_KNOWN) != 0) { // Not check(): its message would be built for every frame.
            throw new IllegalArgumentException("unknown frame flags " + flags);
        }
        int start = out.position();
        byte[] payload = record.payload();
        ByteBuffer header = out.duplicate().order(ByteOrder.LITTLE_ENDIAN);
        header.put(start, (byte) record.type());
        header.put(start + FRAME_FLAGS_OFFSET, (byte) flags).put(start + 2, (byte) 0).put(start + 3, (byte) 0);
        header.putInt(start + 4, payload.length);
        header.putLong(start + 8, record.term());
        header.putLong(start + 16, record.index());
        CRC32C crc = new CRC32C();
        crc.update(header.duplicate().position(start).limit(start + FRAME_CRC_OFFSET));
        crc.update(payload);
        header.putInt(start + FRAME_CRC_OFFSET, (int) crc.getValue());
        out.position(start + FRAME_HEADER_BYTES);
        out.put(payload);
        int end = start + (int) frameBytes(payload.length);
        while (out.position() < end) {
            out.put((byte) 0);
        }
    }

    /**
     * Parses the frame at {@code offset}, checking the rules of FORMAT.md section 2.3.
     *
     * @return the frame, or {@code null} when the bytes there are not a valid frame
     */
    public static Frame decodeFrame(ByteBuffer segment, int offset, int end) {
        ByteBuffer in = segment.duplicate().order(ByteOrder.LITTLE_ENDIAN);
        if ((long) offset + FRAME_HEADER_BYTES > end) {
            return null;
        }
        int type = Byte.toUnsignedInt(in.get(offset));
        int flags = Byte.toUnsignedInt(in.get(offset + FRAME_FLAGS_OFFSET));
        if (type == TYPE_INVALID || (flags & ~FLAGS_KNOWN) != 0 || in.get(offset + 2) != 0
                || in.get(offset + 3) != 0) {
            return null;
        }
        long payloadLength = Integer.toUnsignedLong(in.getInt(offset + 4));
        if (offset + FRAME_HEADER_BYTES + payloadLength > end) {
            return null;
        }
        long term = in.getLong(offset + 8);
        long index = in.getLong(offset + 16);
        if (term < 1 || index < 1) {
            return null;
        }
        int payloadOffset = offset + FRAME_HEADER_BYTES;
        CRC32C crc = new CRC32C();
        crc.update(in.duplicate().position(offset).limit(offset + FRAME_CRC_OFFSET));
        crc.update(in.duplicate().position(payloadOffset).limit(payloadOffset + (int) payloadLength));
        if ((int) crc.getValue() != in.getInt(offset + FRAME_CRC_OFFSET)) {
            return null;
        }
        return new Frame(offset, type, flags, term, index, (int) payloadLength);
    }

    /** A valid frame found in a segment; the payload starts at {@code offset + FRAME_HEADER_BYTES}. */
    public record Frame(int offset, int type, int flags, long term, long index, int payloadLength) {
        /** The offset just past the payload, where padding (if any) starts. */
        public int endOffset() {
            return offset + FRAME_HEADER_BYTES + payloadLength;
        }

        /** The offset just past the padding: where the next frame of the same write starts. */
        public long alignedEndOffset() {
            return offset + frameBytes(payloadLength);
        }

        public boolean batchStart() {
            return (flags & FLAG_BATCH_START) != 0;
        }
    }

    static int crc(ByteBuffer in, int from, int to) {
        CRC32C crc = new CRC32C();
        crc.update(in.duplicate().position(from).limit(to));
        return (int) crc.getValue();
    }

    private static void check(boolean condition, String reason) {
        if (!condition) {
            throw new IllegalArgumentException(reason);
        }
    }
}

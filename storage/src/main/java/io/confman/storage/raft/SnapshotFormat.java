package io.confman.storage.raft;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.zip.CRC32C;

/**
 * The bytes of a snapshot file ({@code storage/FORMAT.md} section 8): a 48-byte header,
 * then the state machine's bytes (the body). Constants carry the names of the document.
 */
final class SnapshotFormat {
    /** The ASCII bytes {@code CONFMSNP}, read as a little-endian long. */
    static final long SNAPSHOT_MAGIC = ByteBuffer.wrap("CONFMSNP".getBytes(StandardCharsets.US_ASCII))
            .order(ByteOrder.LITTLE_ENDIAN).getLong();
    static final int SNAPSHOT_FORMAT_VERSION = 1;
    static final int SNAPSHOT_HEADER_BYTES = 48;
    /** The header CRC covers bytes 0..43. */
    static final int HEADER_CRC_OFFSET = 44;

    private SnapshotFormat() {
    }

    /** The decoded header of a snapshot file. */
    record Header(long lastIncludedIndex, long lastIncludedTerm, long bodyLengthBytes, int bodyCrc) {
        long fileLengthBytes() {
            return SNAPSHOT_HEADER_BYTES + bodyLengthBytes;
        }
    }

    static ByteBuffer encodeHeader(Header header) {
        ByteBuffer out = ByteBuffer.allocate(SNAPSHOT_HEADER_BYTES).order(ByteOrder.LITTLE_ENDIAN);
        out.putLong(SNAPSHOT_MAGIC).putInt(SNAPSHOT_FORMAT_VERSION).putInt(0);
        out.putLong(header.lastIncludedIndex()).putLong(header.lastIncludedTerm());
        out.putLong(header.bodyLengthBytes()).putInt(header.bodyCrc());
        out.putInt(crc(out.array(), 0, HEADER_CRC_OFFSET));
        return out.flip();
    }

    /**
     * Decodes and checks a header (FORMAT.md section 8.3, steps 1 and 2).
     *
     * @throws IllegalArgumentException naming the first check that fails
     */
    static Header decodeHeader(ByteBuffer bytes) {
        ByteBuffer in = bytes.duplicate().order(ByteOrder.LITTLE_ENDIAN);
        if (in.remaining() < SNAPSHOT_HEADER_BYTES) {
            throw new IllegalArgumentException("shorter than the " + SNAPSHOT_HEADER_BYTES + "-byte header");
        }
        byte[] raw = new byte[SNAPSHOT_HEADER_BYTES];
        in.get(raw);
        ByteBuffer header = ByteBuffer.wrap(raw).order(ByteOrder.LITTLE_ENDIAN);
        if (header.getLong(0) != SNAPSHOT_MAGIC) {
            throw new IllegalArgumentException("bad magic");
        }
        if (header.getInt(8) != SNAPSHOT_FORMAT_VERSION) {
            throw new IllegalArgumentException("unknown format version " + header.getInt(8));
        }
        int storedCrc = header.getInt(HEADER_CRC_OFFSET);
        int computedCrc = crc(raw, 0, HEADER_CRC_OFFSET);
        if (storedCrc != computedCrc) {
            throw new IllegalArgumentException("header CRC " + Integer.toHexString(storedCrc) + " != computed "
                    + Integer.toHexString(computedCrc));
        }
        if (header.getInt(12) != 0) {
            throw new IllegalArgumentException("reserved bytes 12..15 are not zero");
        }
        long index = header.getLong(16);
        long term = header.getLong(24);
        long bodyLength = header.getLong(32);
        if (index < 1 || term < 1) {
            throw new IllegalArgumentException("lastIncludedIndex " + index + " and lastIncludedTerm " + term
                    + " must be >= 1");
        }
        if (bodyLength < 0) {
            throw new IllegalArgumentException("negative body length " + bodyLength);
        }
        return new Header(index, term, bodyLength, header.getInt(40));
    }

    static int crc(byte[] bytes, int from, int to) {
        CRC32C crc = new CRC32C();
        crc.update(bytes, from, to - from);
        return (int) crc.getValue();
    }
}

package io.confman.transport;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import java.util.zip.CRC32C;

/**
 * One verified frame: its type and its body. The body is a retained slice of the read
 * buffer; whoever takes a frame from the pipeline releases it.
 *
 * <p>Layout (TRANSPORT.md section 2), all integers big-endian (network byte order):
 * {@code length u32 | type u8 | crc u32 | body}, where {@code length} counts the body
 * only and {@code crc} is CRC32C over the type byte followed by the body.
 */
record Frame(FrameType type, ByteBuf body) {

    static final int LENGTH_BYTES = 4;
    static final int TYPE_BYTES = 1;
    static final int CRC_BYTES = 4;
    /** {@code FRAME_HEADER_BYTES} of TRANSPORT.md: length, type and CRC. */
    static final int FRAME_HEADER_BYTES = LENGTH_BYTES + TYPE_BYTES + CRC_BYTES;
    static final int TYPE_OFFSET = LENGTH_BYTES;
    static final int CRC_OFFSET = LENGTH_BYTES + TYPE_BYTES;

    /**
     * A buffer with room for a frame of {@code bodyBytes}, its header written but for the
     * CRC; write the body, then call {@link #seal}.
     */
    static ByteBuf begin(ByteBufAllocator allocator, FrameType type, int bodyBytes) {
        ByteBuf buffer = allocator.ioBuffer(FRAME_HEADER_BYTES + bodyBytes);
        buffer.writeInt(bodyBytes);
        buffer.writeByte(type.code);
        buffer.writeInt(0);
        return buffer;
    }

    /** Checks the body has the announced length and fills in the CRC. */
    static ByteBuf seal(ByteBuf frame) {
        int bodyBytes = frame.readableBytes() - FRAME_HEADER_BYTES;
        int announced = frame.getInt(frame.readerIndex());
        if (bodyBytes != announced) {
            frame.release();
            throw new IllegalStateException("encoder wrote " + bodyBytes
                    + " body bytes but announced " + announced);
        }
        int base = frame.readerIndex();
        int crc = crc32c(frame.getByte(base + TYPE_OFFSET), frame, base + FRAME_HEADER_BYTES,
                bodyBytes);
        frame.setInt(base + CRC_OFFSET, crc);
        return frame;
    }

    /** CRC32C over the type byte followed by {@code length} bytes of {@code buffer}. */
    static int crc32c(byte type, ByteBuf buffer, int index, int length) {
        CRC32C crc = new CRC32C();
        crc.update(type);
        if (length > 0) {
            crc.update(buffer.nioBuffer(index, length));
        }
        return (int) crc.getValue();
    }
}

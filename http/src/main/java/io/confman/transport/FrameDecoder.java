package io.confman.transport;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.ByteToMessageDecoder;
import java.util.List;

/**
 * Cuts the byte stream into verified {@link Frame}s. A frame is passed on only once its
 * whole body is here and its CRC matches, so no half-received or corrupt frame ever reaches
 * the handlers above. On the first violation the decoder discards everything after it and
 * throws a {@link FrameException}; the connection is then closed by {@link ConnectionGuard}.
 *
 * <p>The limit starts small ({@link Handshake#HANDSHAKE_FRAME_BYTES_MAX}) so that a
 * stranger cannot make us buffer {@code frameBytesMax} bytes before proving anything; the
 * handshake raises it once the peer is authenticated.
 */
final class FrameDecoder extends ByteToMessageDecoder {

    private int frameBytesMax;
    private boolean failed;

    FrameDecoder(int frameBytesMax) {
        this.frameBytesMax = frameBytesMax;
    }

    void frameBytesMax(int value) {
        frameBytesMax = value;
    }

    @Override
    protected void decode(ChannelHandlerContext ctx, ByteBuf in, List<Object> out) {
        if (failed) {
            in.skipBytes(in.readableBytes());
            return;
        }
        if (in.readableBytes() < Frame.FRAME_HEADER_BYTES) {
            return;
        }
        int base = in.readerIndex();
        long bodyBytes = in.getUnsignedInt(base);
        int typeCode = in.getUnsignedByte(base + Frame.TYPE_OFFSET);
        if (bodyBytes > frameBytesMax - Frame.FRAME_HEADER_BYTES) {
            throw fail(in, CloseReason.OVERSIZE, "frame body of " + bodyBytes
                    + " bytes exceeds frameBytesMax " + frameBytesMax);
        }
        FrameType type = FrameType.ofCode(typeCode);
        if (type == null) {
            throw fail(in, CloseReason.UNKNOWN_TYPE, "unknown frame type " + typeCode);
        }
        if (in.readableBytes() < Frame.FRAME_HEADER_BYTES + bodyBytes) {
            return;
        }
        int expectedCrc = in.getInt(base + Frame.CRC_OFFSET);
        int bodyIndex = base + Frame.FRAME_HEADER_BYTES;
        int actualCrc = Frame.crc32c((byte) typeCode, in, bodyIndex, (int) bodyBytes);
        if (actualCrc != expectedCrc) {
            throw fail(in, CloseReason.BAD_CRC, "CRC32C mismatch on a " + type + " frame of "
                    + bodyBytes + " body bytes");
        }
        in.skipBytes(Frame.FRAME_HEADER_BYTES);
        out.add(new Frame(type, in.readRetainedSlice((int) bodyBytes)));
    }

    @Override
    protected void decodeLast(ChannelHandlerContext ctx, ByteBuf in, List<Object> out) {
        decode(ctx, in, out);
        if (!failed && in.isReadable()) {
            // Reported directly rather than thrown: a throw from here would reach the guard
            // only after channelInactive, too late to be counted under its own reason.
            ctx.fireExceptionCaught(fail(in, CloseReason.TRUNCATED, "connection ended "
                    + in.readableBytes() + " bytes into a frame"));
        }
    }

    private FrameException fail(ByteBuf in, CloseReason reason, String detail) {
        failed = true;
        in.skipBytes(in.readableBytes());
        return new FrameException(reason, detail);
    }
}

package io.confman.transport;

import io.confman.raft.ClusterIdentity;
import io.confman.transport.NodeMessage.ForwardWrite;
import io.confman.transport.NodeMessage.ForwardWriteResponse;
import io.confman.transport.NodeMessage.Outcome;
import io.confman.transport.NodeMessage.ReadIndexRequest;
import io.confman.transport.NodeMessage.ReadIndexResponse;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.ByteBufUtil;

/**
 * Encodes the node-to-node messages (TRANSPORT.md section 4.4) into frames and back. They
 * share the Raft messages' common header (section 4.2) and field encodings (section 4.1),
 * and decoding is as strict: every byte used, known outcome codes, record checks applied.
 */
final class NodeMessageCodec {

    static final int OUTCOME_BYTES = 1;

    private NodeMessageCodec() {
    }

    static FrameType typeOf(NodeMessage message) {
        if (message instanceof ForwardWrite) return FrameType.FORWARD_WRITE;
        if (message instanceof ForwardWriteResponse) return FrameType.FORWARD_WRITE_RESPONSE;
        if (message instanceof ReadIndexRequest) return FrameType.READ_INDEX;
        if (message instanceof ReadIndexResponse) return FrameType.READ_INDEX_RESPONSE;
        throw new IllegalStateException("a NodeMessage type the codec does not know: " + message);
    }

    static long frameBytes(NodeMessage message) {
        return Frame.FRAME_HEADER_BYTES + bodyBytes(message);
    }

    static long bodyBytes(NodeMessage message) {
        long header = stringBytes(message.cluster().value()) + stringBytes(message.from())
                + stringBytes(message.to()) + MessageCodec.LONG_BYTES;
        return header + specificBytes(message);
    }

    private static long specificBytes(NodeMessage message) {
        if (message instanceof ForwardWrite m) {
            return MessageCodec.DATA_LENGTH_BYTES + (long) m.command().length;
        }
        if (message instanceof ForwardWriteResponse m) {
            return 2L * MessageCodec.LONG_BYTES + OUTCOME_BYTES + MessageCodec.LONG_BYTES
                    + stringBytes(m.detail());
        }
        if (message instanceof ReadIndexRequest) {
            return MessageCodec.LONG_BYTES;
        }
        if (message instanceof ReadIndexResponse m) {
            return MessageCodec.LONG_BYTES + OUTCOME_BYTES + MessageCodec.LONG_BYTES + stringBytes(m.detail());
        }
        throw new IllegalStateException("a NodeMessage type the codec does not know: " + message);
    }

    private static int stringBytes(String value) {
        int bytes = ByteBufUtil.utf8Bytes(value);
        if (bytes > MessageCodec.STRING_BYTES_MAX) {
            throw new IllegalArgumentException("a string on the wire is at most "
                    + MessageCodec.STRING_BYTES_MAX + " UTF-8 bytes, was " + bytes);
        }
        return MessageCodec.STRING_LENGTH_BYTES + bytes;
    }

    /** The complete, sealed frame for {@code message}. */
    static ByteBuf encode(ByteBufAllocator allocator, NodeMessage message) {
        long bodyBytes = bodyBytes(message);
        if (bodyBytes > Integer.MAX_VALUE - Frame.FRAME_HEADER_BYTES) {
            throw new IllegalArgumentException("message too large for one frame: " + bodyBytes);
        }
        ByteBuf frame = Frame.begin(allocator, typeOf(message), (int) bodyBytes);
        MessageCodec.writeString(frame, message.cluster().value());
        MessageCodec.writeString(frame, message.from());
        MessageCodec.writeString(frame, message.to());
        frame.writeLong(message.term());
        if (message instanceof ForwardWrite m) {
            frame.writeInt(m.command().length).writeBytes(m.command());
        } else if (message instanceof ForwardWriteResponse m) {
            frame.writeLong(m.clientId()).writeLong(m.sequence()).writeByte(m.outcome().code);
            frame.writeLong(m.index());
            MessageCodec.writeString(frame, m.detail());
        } else if (message instanceof ReadIndexRequest m) {
            frame.writeLong(m.readId());
        } else if (message instanceof ReadIndexResponse m) {
            frame.writeLong(m.readId()).writeByte(m.outcome().code).writeLong(m.readIndex());
            MessageCodec.writeString(frame, m.detail());
        }
        return Frame.seal(frame);
    }

    /**
     * The node message a frame body holds; throws {@link FrameException} with
     * {@link CloseReason#MALFORMED} when the body is not exactly one valid message.
     */
    static NodeMessage decode(FrameType type, ByteBuf body) {
        MessageCodec.BodyReader in = new MessageCodec.BodyReader(body);
        NodeMessage message;
        try {
            message = decodeChecked(type, in);
        } catch (IllegalArgumentException | NullPointerException e) {
            throw new FrameException(CloseReason.MALFORMED, type + " body rejected: " + e.getMessage());
        }
        in.requireEnd(type);
        return message;
    }

    private static NodeMessage decodeChecked(FrameType type, MessageCodec.BodyReader in) {
        ClusterIdentity cluster = new ClusterIdentity(in.string());
        String from = in.string();
        String to = in.string();
        long term = in.longValue();
        switch (type) {
            case FORWARD_WRITE:
                return new ForwardWrite(cluster, from, to, term, in.data());
            case FORWARD_WRITE_RESPONSE:
                return new ForwardWriteResponse(cluster, from, to, term, in.longValue(), in.longValue(),
                        Outcome.ofCode(in.unsignedByte()), in.longValue(), in.string());
            case READ_INDEX:
                return new ReadIndexRequest(cluster, from, to, term, in.longValue());
            case READ_INDEX_RESPONSE:
                return new ReadIndexResponse(cluster, from, to, term, in.longValue(),
                        Outcome.ofCode(in.unsignedByte()), in.longValue(), in.string());
            default:
                throw new FrameException(CloseReason.UNEXPECTED_FRAME, type + " is not a node message frame");
        }
    }
}

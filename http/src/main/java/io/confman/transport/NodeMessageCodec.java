package io.confman.transport;

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
import io.netty.buffer.ByteBufUtil;

/**
 * Encodes the node-to-node messages (TRANSPORT.md sections 4.4 and 4.5) into frames and back.
 * They share the Raft messages' common header (section 4.2) and field encodings (section 4.1),
 * and decoding is as strict: every byte used, known outcome and state codes, record checks
 * applied. Public only for {@link #blobChunkDataBytesMax}; the encoding itself stays inside
 * the transport.
 */
public final class NodeMessageCodec {

    static final int OUTCOME_BYTES = 1;
    static final int BLOB_STATE_BYTES = 1;
    /** A {@link ClusterIdentity} is 64 hex digits, so 64 UTF-8 bytes. */
    static final int CLUSTER_IDENTITY_BYTES = 64;
    /**
     * The largest common header (section 4.2) any message of a running transport can have:
     * {@code PeerTransport.start} refuses member ids longer than {@link Handshake#NODE_ID_BYTES_MAX}.
     */
    static final int COMMON_HEADER_BYTES_MAX = MessageCodec.STRING_LENGTH_BYTES + CLUSTER_IDENTITY_BYTES
            + 2 * (MessageCodec.STRING_LENGTH_BYTES + Handshake.NODE_ID_BYTES_MAX) + MessageCodec.LONG_BYTES;
    /** transferId, digest, sizeBytes, offset, data length: a BLOB_CHUNK body after the header, but for the data. */
    static final int BLOB_CHUNK_FIXED_BYTES = MessageCodec.LONG_BYTES + NodeMessage.DIGEST_BYTES
            + 2 * MessageCodec.LONG_BYTES + MessageCodec.DATA_LENGTH_BYTES;

    private NodeMessageCodec() {
    }

    /**
     * The most data one {@link BlobChunk} can carry in a frame of {@code frameBytesMax}
     * (TRANSPORT.md section 4.5), whatever the member ids: {@code frameBytesMax} less the frame
     * header, the largest common header and the chunk's fixed fields, 657 bytes in all. A
     * chunk of at most this much data never makes {@link PeerTransport#send(NodeMessage)} throw.
     *
     * @throws IllegalArgumentException if {@code frameBytesMax} is below
     *                                  {@link TransportConfig#FRAME_BYTES_MIN}, which no
     *                                  transport accepts
     */
    public static int blobChunkDataBytesMax(int frameBytesMax) {
        if (frameBytesMax < TransportConfig.FRAME_BYTES_MIN) {
            throw new IllegalArgumentException("frameBytesMax must be at least " + TransportConfig.FRAME_BYTES_MIN
                    + ", was " + frameBytesMax);
        }
        return frameBytesMax - Frame.FRAME_HEADER_BYTES - COMMON_HEADER_BYTES_MAX - BLOB_CHUNK_FIXED_BYTES;
    }

    static FrameType typeOf(NodeMessage message) {
        if (message instanceof ForwardWrite) return FrameType.FORWARD_WRITE;
        if (message instanceof ForwardWriteResponse) return FrameType.FORWARD_WRITE_RESPONSE;
        if (message instanceof ReadIndexRequest) return FrameType.READ_INDEX;
        if (message instanceof ReadIndexResponse) return FrameType.READ_INDEX_RESPONSE;
        if (message instanceof BlobOffer) return FrameType.BLOB_OFFER;
        if (message instanceof BlobChunk) return FrameType.BLOB_CHUNK;
        if (message instanceof BlobStatus) return FrameType.BLOB_STATUS;
        if (message instanceof BlobFetch) return FrameType.BLOB_FETCH;
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
        if (message instanceof BlobOffer || message instanceof BlobFetch) {
            return MessageCodec.LONG_BYTES + NodeMessage.DIGEST_BYTES + MessageCodec.LONG_BYTES;
        }
        if (message instanceof BlobChunk m) {
            return BLOB_CHUNK_FIXED_BYTES + (long) m.data().length;
        }
        if (message instanceof BlobStatus m) {
            return MessageCodec.LONG_BYTES + NodeMessage.DIGEST_BYTES + BLOB_STATE_BYTES + MessageCodec.LONG_BYTES
                    + stringBytes(m.detail());
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
        } else if (message instanceof BlobOffer m) {
            frame.writeLong(m.transferId()).writeBytes(m.digest()).writeLong(m.sizeBytes());
        } else if (message instanceof BlobChunk m) {
            frame.writeLong(m.transferId()).writeBytes(m.digest()).writeLong(m.sizeBytes()).writeLong(m.offset());
            frame.writeInt(m.data().length).writeBytes(m.data());
        } else if (message instanceof BlobStatus m) {
            frame.writeLong(m.transferId()).writeBytes(m.digest()).writeByte(m.state().code);
            frame.writeLong(m.nextOffset());
            MessageCodec.writeString(frame, m.detail());
        } else if (message instanceof BlobFetch m) {
            frame.writeLong(m.transferId()).writeBytes(m.digest()).writeLong(m.sizeBytes());
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
            case BLOB_OFFER:
                return new BlobOffer(cluster, from, to, term, in.longValue(), in.bytes(NodeMessage.DIGEST_BYTES),
                        in.longValue());
            case BLOB_CHUNK:
                return new BlobChunk(cluster, from, to, term, in.longValue(), in.bytes(NodeMessage.DIGEST_BYTES),
                        in.longValue(), in.longValue(), in.data());
            case BLOB_STATUS:
                return new BlobStatus(cluster, from, to, term, in.longValue(), in.bytes(NodeMessage.DIGEST_BYTES),
                        BlobStatus.State.ofCode(in.unsignedByte()), in.longValue(), in.string());
            case BLOB_FETCH:
                return new BlobFetch(cluster, from, to, term, in.longValue(), in.bytes(NodeMessage.DIGEST_BYTES),
                        in.longValue());
            default:
                throw new FrameException(CloseReason.UNEXPECTED_FRAME, type + " is not a node message frame");
        }
    }
}

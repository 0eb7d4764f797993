package io.confman.transport;

import io.confman.raft.ClusterIdentity;
import java.util.Objects;

/**
 * Messages between node runtimes that are not Raft RPCs: a follower forwarding a client's
 * write to the leader, a follower asking the leader for a read index (thesis §6.4, "follower
 * reads"), both TRANSPORT.md section 4.4, and the transfer of a blob from one node to another
 * (section 4.5). They travel on the same authenticated connections as Raft messages, with the
 * same common header, but the Raft core never sees them: the node handles them itself.
 *
 * <p>A record keeps the arrays it is given ({@code command}, {@code digest}, {@code data})
 * without copying them, as Raft's {@code Entry} does: whoever builds a message must not change
 * them afterwards, not even once {@link PeerTransport#send(NodeMessage)} has returned, since
 * the transport encodes the message later, on its own thread. A decoded message holds arrays
 * of its own. {@code equals} compares arrays by identity, as for every record.
 */
public sealed interface NodeMessage {

    ClusterIdentity cluster();

    String from();

    String to();

    /** The sender's current term, for the reader of a capture; receivers do not act on it. */
    long term();

    /** Bytes of a blob's digest, the SHA-256 of its content. */
    int DIGEST_BYTES = 32;

    /** What the leader did with a forwarded request. Codes as on the wire; 0 is invalid. */
    enum Outcome {
        /** Write: appended to the leader's log. Read: the read index is confirmed. */
        OK(1),
        /** The receiver does not lead; {@code detail} names the leader it knows of, or is empty. */
        NOT_LEADER(2),
        /** The leader refused (a leadership transfer, the uncommitted-bytes bound). */
        REJECTED(3),
        /** The leader holds too many requests of this kind. */
        OVERLOADED(4),
        /** The forwarded command does not decode or is too large: a bug on the sender. */
        INVALID(5),
        /** The leader lost its leadership before it could confirm the read. */
        LEADERSHIP_LOST(6);

        final int code;

        Outcome(int code) {
            this.code = code;
        }

        static Outcome ofCode(int code) {
            for (Outcome outcome : values()) {
                if (outcome.code == code) {
                    return outcome;
                }
            }
            throw new FrameException(CloseReason.MALFORMED, "unknown outcome " + code);
        }
    }

    /** A follower asks the leader to propose {@code command}, an encoded store command. */
    record ForwardWrite(ClusterIdentity cluster, String from, String to, long term, byte[] command)
            implements NodeMessage {
        public ForwardWrite {
            requireAddressed(cluster, from, to);
            Objects.requireNonNull(command, "command");
        }
    }

    /**
     * The leader's answer to a {@link ForwardWrite}, naming the command by its request id
     * ({@code clientId}, {@code sequence}); {@code index} is the log index on {@code OK}, else 0.
     */
    record ForwardWriteResponse(ClusterIdentity cluster, String from, String to, long term, long clientId,
                                long sequence, Outcome outcome, long index, String detail)
            implements NodeMessage {
        public ForwardWriteResponse {
            requireAddressed(cluster, from, to);
            Objects.requireNonNull(outcome, "outcome");
            Objects.requireNonNull(detail, "detail");
        }
    }

    /** A follower asks the leader for a read index for its read {@code readId}. */
    record ReadIndexRequest(ClusterIdentity cluster, String from, String to, long term, long readId)
            implements NodeMessage {
        public ReadIndexRequest {
            requireAddressed(cluster, from, to);
        }
    }

    /** The leader's answer to a {@link ReadIndexRequest}; {@code readIndex} is set on {@code OK}, else 0. */
    record ReadIndexResponse(ClusterIdentity cluster, String from, String to, long term, long readId,
                             Outcome outcome, long readIndex, String detail) implements NodeMessage {
        public ReadIndexResponse {
            requireAddressed(cluster, from, to);
            Objects.requireNonNull(outcome, "outcome");
            Objects.requireNonNull(detail, "detail");
            if (readIndex < 0) {
                throw new IllegalArgumentException("readIndex must be >= 0, was " + readIndex);
            }
        }
    }

    /**
     * "I want to send you this blob": the first message of a push (TRANSPORT.md section 4.5).
     * {@code transferId} names the transfer, and every later message of it carries it;
     * {@code digest} is the blob's SHA-256 and {@code sizeBytes} its length. The receiver
     * answers with a {@link BlobStatus}: {@code HELD}, {@code NEXT} or {@code FAILED}. The
     * holder of a blob also sends one to answer a {@link BlobFetch}, with the fetch's
     * {@code transferId}.
     */
    record BlobOffer(ClusterIdentity cluster, String from, String to, long term, long transferId,
                     byte[] digest, long sizeBytes) implements NodeMessage {
        public BlobOffer {
            requireAddressed(cluster, from, to);
            requireDigest(digest);
            requireSize(sizeBytes);
        }
    }

    /**
     * The bytes {@code [offset, offset + data.length)} of the blob {@code digest} of
     * {@code sizeBytes} bytes, within transfer {@code transferId}. The only node message on
     * {@link Lane#BLOB}. {@code data} is empty only for the one chunk of an empty blob; at most
     * {@link NodeMessageCodec#blobChunkDataBytesMax} bytes fit in a frame.
     */
    record BlobChunk(ClusterIdentity cluster, String from, String to, long term, long transferId,
                     byte[] digest, long sizeBytes, long offset, byte[] data) implements NodeMessage {
        public BlobChunk {
            requireAddressed(cluster, from, to);
            requireDigest(digest);
            requireSize(sizeBytes);
            Objects.requireNonNull(data, "data");
            // Compared without adding, so that no offset near Long.MAX_VALUE can overflow past the check.
            if (offset < 0 || offset > sizeBytes - data.length) {
                throw new IllegalArgumentException("a chunk of " + data.length + " bytes at offset " + offset
                        + " does not lie within a blob of " + sizeBytes + " bytes");
            }
            if (data.length == 0 && sizeBytes != 0) {
                throw new IllegalArgumentException("an empty chunk is only allowed for an empty blob; this one has "
                        + sizeBytes + " bytes");
            }
        }
    }

    /**
     * Where transfer {@code transferId} of blob {@code digest} stands. The node receiving the
     * data says that it holds the blob ({@code HELD}) or wants the bytes from
     * {@code nextOffset} on ({@code NEXT}); a node asked for a blob it does not hold says
     * {@code MISSING}; either side ends a transfer that failed with {@code FAILED}, the reason
     * in {@code detail}. {@code nextOffset} is 0 in every state but {@code NEXT};
     * {@code detail} is empty unless something failed.
     */
    record BlobStatus(ClusterIdentity cluster, String from, String to, long term, long transferId,
                      byte[] digest, State state, long nextOffset, String detail) implements NodeMessage {
        public BlobStatus {
            requireAddressed(cluster, from, to);
            requireDigest(digest);
            Objects.requireNonNull(state, "state");
            Objects.requireNonNull(detail, "detail");
            if (nextOffset < 0 || (state != State.NEXT && nextOffset != 0)) {
                throw new IllegalArgumentException("nextOffset must be >= 0 with NEXT and 0 with " + state
                        + ", was " + nextOffset);
            }
        }

        /** Where a transfer stands. Codes as on the wire; 0 is invalid. */
        public enum State {
            /** The receiver holds the whole blob, verified against its digest and durable: the transfer is over. */
            HELD(1),
            /**
             * The receiver holds the bytes below {@code nextOffset} and wants the rest from
             * there: an acknowledgement that grants the sender credit (TRANSPORT.md section 4.5).
             */
            NEXT(2),
            /** The answer to a {@link BlobFetch}: the asked node does not hold the blob. */
            MISSING(3),
            /** The transfer failed (digest mismatch, disk error, ...), as {@code detail} says; it is over. */
            FAILED(4);

            final int code;

            State(int code) {
                this.code = code;
            }

            static State ofCode(int code) {
                for (State state : values()) {
                    if (state.code == code) {
                        return state;
                    }
                }
                throw new FrameException(CloseReason.MALFORMED, "unknown blob transfer state " + code);
            }
        }
    }

    /**
     * "Send me this blob": the first message of a fetch, named {@code transferId} by the
     * fetcher. The holder answers with a {@link BlobOffer} carrying the same
     * {@code transferId}, after which the transfer goes on as a push, or with a
     * {@link BlobStatus} of {@code MISSING}.
     */
    record BlobFetch(ClusterIdentity cluster, String from, String to, long term, long transferId,
                     byte[] digest, long sizeBytes) implements NodeMessage {
        public BlobFetch {
            requireAddressed(cluster, from, to);
            requireDigest(digest);
            requireSize(sizeBytes);
        }
    }

    private static void requireDigest(byte[] digest) {
        Objects.requireNonNull(digest, "digest");
        if (digest.length != DIGEST_BYTES) {
            throw new IllegalArgumentException("a blob digest is " + DIGEST_BYTES + " bytes (SHA-256), was "
                    + digest.length);
        }
    }

    private static void requireSize(long sizeBytes) {
        if (sizeBytes < 0) {
            throw new IllegalArgumentException("sizeBytes must be >= 0, was " + sizeBytes);
        }
    }

    private static void requireAddressed(ClusterIdentity cluster, String from, String to) {
        Objects.requireNonNull(cluster, "cluster");
        Objects.requireNonNull(from, "from");
        Objects.requireNonNull(to, "to");
    }
}

package io.confman.transport;

import io.confman.raft.ClusterIdentity;
import java.util.Objects;

/**
 * Messages between node runtimes that are not Raft RPCs (TRANSPORT.md section 4.4): a
 * follower forwarding a client's write to the leader, and a follower asking the leader for
 * a read index (thesis §6.4, "follower reads"). They travel on the same authenticated
 * connections as Raft messages, with the same common header, but the Raft core never sees
 * them: the node loop handles them itself.
 */
public sealed interface NodeMessage {

    ClusterIdentity cluster();

    String from();

    String to();

    /** The sender's current term, for the reader of a capture; receivers do not act on it. */
    long term();

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

    private static void requireAddressed(ClusterIdentity cluster, String from, String to) {
        Objects.requireNonNull(cluster, "cluster");
        Objects.requireNonNull(from, "from");
        Objects.requireNonNull(to, "to");
    }
}

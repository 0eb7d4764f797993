package io.confman.store.command;

/**
 * Who sent a write, which of that sender's writes it is, and the lowest of the sender's
 * writes still waiting for an answer (thesis §6.3, client sessions; LogCabin's
 * {@code firstOutstandingRPC}). The forwarding path retries a write with the same request
 * id, and the store applies it at most once.
 *
 * <p>A sender may have many writes in flight at once. The store keeps the result of every
 * applied write of a session whose sequence is at or above the highest
 * {@code firstOutstanding} it has seen from that session, so a retry of any write the sender
 * still waits for finds its first result; everything below can be forgotten, because the
 * sender promised never to send it again.
 *
 * <p>{@link #NONE} (client 0, sequence 0) marks a command outside any session, such as
 * one the node issues itself; such a command is not deduplicated.
 */
public record RequestId(long clientId, long sequence, long firstOutstanding) {

    /** The request id of a command outside any session. */
    public static final RequestId NONE = new RequestId(0, 0, 0);

    public RequestId {
        if (clientId == 0 && (sequence != 0 || firstOutstanding != 0)) {
            throw new IllegalArgumentException("client 0 means no session, so its sequence and first outstanding"
                    + " must be 0, were " + sequence + " and " + firstOutstanding);
        }
        if (clientId != 0 && sequence < 1) {
            throw new IllegalArgumentException("a session's sequence numbers start at 1, was " + sequence);
        }
        if (clientId != 0 && (firstOutstanding < 1 || firstOutstanding > sequence)) {
            throw new IllegalArgumentException("first outstanding must be in [1, sequence " + sequence + "], was "
                    + firstOutstanding);
        }
    }

    /** A request of a sender that waits for one write at a time: every earlier one is answered. */
    public RequestId(long clientId, long sequence) {
        this(clientId, sequence, clientId == 0 ? 0 : sequence);
    }

    public boolean hasSession() {
        return clientId != 0;
    }
}

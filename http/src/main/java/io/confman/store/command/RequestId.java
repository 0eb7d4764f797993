package io.confman.store.command;

/**
 * Who sent a write and which of that sender's writes it is (thesis §6.3, client sessions).
 * The forwarding path retries a write with the same request id, and the store applies it
 * at most once.
 *
 * <p>{@link #NONE} (client 0, sequence 0) marks a command outside any session, such as
 * one the node issues itself; such a command is not deduplicated.
 */
public record RequestId(long clientId, long sequence) {

    /** The request id of a command outside any session. */
    public static final RequestId NONE = new RequestId(0, 0);

    public RequestId {
        if (clientId == 0 && sequence != 0) {
            throw new IllegalArgumentException("client 0 means no session, so its sequence must be 0, was " + sequence);
        }
        if (clientId != 0 && sequence < 1) {
            throw new IllegalArgumentException("a session's sequence numbers start at 1, was " + sequence);
        }
    }

    public boolean hasSession() {
        return clientId != 0;
    }
}

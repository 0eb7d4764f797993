package io.confman.raft;

/**
 * A linearizable read that became safe (thesis §6.4): once the state machine has applied
 * up to {@code readIndex}, the runtime may answer the read named by {@code context}.
 */
public record ReadState(byte[] context, long readIndex) {
    @Override
    public String toString() {
        return "ReadState[" + new String(context, java.nio.charset.StandardCharsets.UTF_8)
                + " at " + readIndex + "]";
    }
}

package io.confman.raft;

/** A ReadIndex request the core will not serve; the runtime fails it or retries elsewhere. */
public record FailedRead(byte[] context, Reason reason) {

    public enum Reason {
        /** This node is not the leader; the runtime may forward the read to the leader. */
        NOT_LEADER,
        /** The node stopped being leader before it could confirm its leadership. */
        LEADERSHIP_LOST,
        /** A leadership transfer is under way (thesis §3.10: the leader stops serving). */
        TRANSFER_IN_PROGRESS,
        /** {@link RaftConfig#pendingReadsMax()} reads are already waiting. */
        TOO_MANY_PENDING
    }

    @Override
    public String toString() {
        return "FailedRead[" + new String(context, java.nio.charset.StandardCharsets.UTF_8)
                + " " + reason + "]";
    }
}

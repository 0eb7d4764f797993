package io.confman.transport;

import io.confman.raft.Message;

/**
 * The three outbound connections to each peer (TRANSPORT.md section 1). Snapshot chunks and
 * blob chunks each travel on a connection of their own so that megabytes of chunk data, once
 * in a socket buffer, can never sit in front of a heartbeat, nor one kind of chunk in front
 * of the other: TCP delivers one connection's bytes in order, so a priority queue on a single
 * connection could only reorder what has not been written yet.
 *
 * <p>The two {@code of} methods are the only place that decides which lane a message takes.
 */
public enum Lane {
    /**
     * Votes, AppendEntries, heartbeats and every reply, in the order the core sent them, and
     * every node message but {@link NodeMessage.BlobChunk}.
     */
    CONTROL,
    /** InstallSnapshot chunks only. */
    SNAPSHOT,
    /** {@link NodeMessage.BlobChunk}s only; their acknowledgements go back on the receiver's CONTROL lane. */
    BLOB;

    static Lane of(Message message) {
        return message instanceof Message.InstallSnapshot ? SNAPSHOT : CONTROL;
    }

    static Lane of(NodeMessage message) {
        return message instanceof NodeMessage.BlobChunk ? BLOB : CONTROL;
    }
}

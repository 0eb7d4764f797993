package io.confman.transport;

import io.confman.raft.Message;

/**
 * The two outbound connections to each peer (TRANSPORT.md section 1). Snapshot chunks
 * travel on their own connection so that megabytes of chunk data, once in a socket buffer,
 * can never sit in front of a heartbeat: TCP delivers one connection's bytes in order, so
 * a priority queue on a single connection could only reorder what has not been written yet.
 */
public enum Lane {
    /** Votes, AppendEntries, heartbeats and every reply, in the order the core sent them. */
    CONTROL,
    /** InstallSnapshot chunks only. */
    SNAPSHOT;

    static Lane of(Message message) {
        return message instanceof Message.InstallSnapshot ? SNAPSHOT : CONTROL;
    }
}

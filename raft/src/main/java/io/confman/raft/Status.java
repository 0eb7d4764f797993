package io.confman.raft;

import java.util.Map;

/**
 * A read-only view of a node, for the runtime, metrics and tests.
 *
 * @param progress the leader's view of each member's log (empty unless leader)
 * @param rejectedMessageCount messages refused since start (see {@link RejectedMessage})
 * @param transferee the target of a leadership transfer under way, or {@code null}
 */
public record Status(
        String id,
        Role role,
        long term,
        String votedFor,
        String leaderId,
        long commitIndex,
        long appliedIndex,
        long lastIndex,
        Map<String, PeerProgress> progress,
        long rejectedMessageCount,
        String transferee) {

    /** A leader's view of one member (etcd's tracker.Progress, reduced to what it shows). */
    public record PeerProgress(long matchIndex, long nextIndex, String state, int inflightMessages) {
    }
}

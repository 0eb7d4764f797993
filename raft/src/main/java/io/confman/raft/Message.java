package io.confman.raft;

import java.util.List;
import java.util.Objects;

/**
 * Every message Raft nodes exchange, one record per RPC and one per reply. Each carries the
 * cluster identity, the sender, the receiver and the sender's term; {@link RaftNode#step}
 * checks the identity and the term once, before any handler runs. See PROTOCOL.md for who
 * sends what, and what must be durable first.
 */
public sealed interface Message {

    ClusterIdentity cluster();

    String from();

    String to();

    long term();

    /**
     * "Would you vote for me at {@code term}?" asked before a real election, without
     * changing anyone's term (thesis §9.6). {@code term} is the term the sender would
     * campaign at, one above its own.
     */
    record PreVote(ClusterIdentity cluster, String from, String to, long term,
                   long lastLogIndex, long lastLogTerm) implements Message {
        public PreVote {
            requireAddressed(cluster, from, to);
        }
    }

    /** The answer to a {@link PreVote}; a grant carries the term asked about. */
    record PreVoteResponse(ClusterIdentity cluster, String from, String to, long term,
                           boolean voteGranted) implements Message {
        public PreVoteResponse {
            requireAddressed(cluster, from, to);
        }
    }

    /**
     * RequestVote of Figure 2. {@code leadershipTransfer} marks a campaign the old leader
     * asked for with {@link TimeoutNow}; voters then skip the leader-stickiness check
     * (thesis §3.10 and §4.2.3).
     */
    record RequestVote(ClusterIdentity cluster, String from, String to, long term,
                       long lastLogIndex, long lastLogTerm, boolean leadershipTransfer)
            implements Message {
        public RequestVote {
            requireAddressed(cluster, from, to);
        }
    }

    /** The reply to {@link RequestVote} of Figure 2. */
    record RequestVoteResponse(ClusterIdentity cluster, String from, String to, long term,
                               boolean voteGranted) implements Message {
        public RequestVoteResponse {
            requireAddressed(cluster, from, to);
        }
    }

    /** AppendEntries of Figure 2. */
    record AppendEntries(ClusterIdentity cluster, String from, String to, long term,
                         long prevLogIndex, long prevLogTerm, List<Entry> entries,
                         long leaderCommit) implements Message {
        public AppendEntries {
            requireAddressed(cluster, from, to);
            entries = List.copyOf(entries);
            for (int i = 0; i < entries.size(); i++) {
                if (entries.get(i).index() != prevLogIndex + 1 + i) {
                    throw new IllegalArgumentException("entries must follow prevLogIndex "
                            + prevLogIndex + " without gaps: " + entries);
                }
            }
        }

        public long entriesBytes() {
            long bytes = 0;
            for (Entry entry : entries) {
                bytes += entry.sizeBytes();
            }
            return bytes;
        }
    }

    /**
     * The reply to {@link AppendEntries}. On success, {@code matchIndex} is the last index the
     * follower now holds in agreement with the leader. On rejection, {@code rejectedIndex} is
     * the prevLogIndex that did not match and ({@code conflictIndex}, {@code conflictTerm}) is
     * the fast-backtracking hint: the follower's last entry at or before rejectedIndex whose
     * term is at most the prevLogTerm asked about (thesis §3.5, the optimization at its end).
     */
    record AppendEntriesResponse(ClusterIdentity cluster, String from, String to, long term,
                                 boolean success, long matchIndex, long rejectedIndex,
                                 long conflictIndex, long conflictTerm) implements Message {
        public AppendEntriesResponse {
            requireAddressed(cluster, from, to);
        }
    }

    /**
     * An AppendEntries without entries or consistency check, which keeps followers from
     * starting elections (thesis §3.4) and confirms leadership for ReadIndex (§6.4).
     * {@code leaderCommit} is at most what the follower is known to hold, so it can always
     * apply it. {@code readRound} numbers the leadership-confirmation round.
     */
    record Heartbeat(ClusterIdentity cluster, String from, String to, long term,
                     long leaderCommit, long readRound) implements Message {
        public Heartbeat {
            requireAddressed(cluster, from, to);
        }
    }

    /** The reply to {@link Heartbeat}, echoing its round. */
    record HeartbeatResponse(ClusterIdentity cluster, String from, String to, long term,
                             long readRound) implements Message {
        public HeartbeatResponse {
            requireAddressed(cluster, from, to);
        }
    }

    /** One chunk of InstallSnapshot (thesis §5.1; paper Figure 13). */
    record InstallSnapshot(ClusterIdentity cluster, String from, String to, long term,
                           SnapshotMetadata snapshot, long offset, byte[] data, boolean done)
            implements Message {
        public InstallSnapshot {
            requireAddressed(cluster, from, to);
            Objects.requireNonNull(snapshot, "snapshot");
            Objects.requireNonNull(data, "data");
        }
    }

    /**
     * The reply to {@link InstallSnapshot}: the follower holds the first {@code nextOffset}
     * bytes of {@code snapshot} durably, and has installed it when {@code done}.
     */
    record InstallSnapshotResponse(ClusterIdentity cluster, String from, String to, long term,
                                   SnapshotMetadata snapshot, long nextOffset, boolean done)
            implements Message {
        public InstallSnapshotResponse {
            requireAddressed(cluster, from, to);
            Objects.requireNonNull(snapshot, "snapshot");
        }
    }

    /**
     * "Start an election now": the last step of a leadership transfer (thesis §3.10).
     * ({@code lastLogIndex}, {@code lastLogTerm}) is the leader's last log entry when it sent
     * this; the target campaigns only if its own last entry is exactly that one, so a copy
     * left in the network by an aborted transfer, after which the leader appended more
     * entries, starts no election.
     */
    record TimeoutNow(ClusterIdentity cluster, String from, String to, long term,
                      long lastLogIndex, long lastLogTerm) implements Message {

        /** The log position of a TimeoutNow built without one; no log ends there. */
        public static final long NO_POSITION = -1;

        public TimeoutNow {
            requireAddressed(cluster, from, to);
        }

        /**
         * The form without the leader's log position (the first published form). Its target
         * cannot tell it is current, so it starts no election.
         */
        public TimeoutNow(ClusterIdentity cluster, String from, String to, long term) {
            this(cluster, from, to, term, NO_POSITION, NO_POSITION);
        }
    }

    private static void requireAddressed(ClusterIdentity cluster, String from, String to) {
        Objects.requireNonNull(cluster, "cluster");
        Objects.requireNonNull(from, "from");
        Objects.requireNonNull(to, "to");
    }
}

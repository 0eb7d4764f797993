package io.confman.raft;

import java.util.List;
import java.util.Objects;

/**
 * The configuration of one node. It checks itself when built and names the rule a bad
 * value breaks, so that a misconfigured node fails at start rather than in an election.
 * Time is counted in ticks; the runtime decides how long a tick is.
 *
 * @param id                      this node's id, one of {@code members}
 * @param members                 the fixed member list (static bootstrap; no membership changes)
 * @param heartbeatIntervalTicks  ticks between a leader's heartbeats
 * @param electionTimeoutTicks    the minimum election timeout; each follower waits a random
 *                                number of ticks in [electionTimeoutTicks, 2 * electionTimeoutTicks)
 *                                (thesis §3.4), and check-quorum runs once per this many ticks
 * @param requestTimeoutTicks     how long the runtime lets a client request wait
 * @param snapshotBudgetTicks     the longest the runtime may spend taking a snapshot
 * @param preVote                 run the pre-vote phase before an election (thesis §9.6); a node
 *                                that heard from a leader within the election timeout grants no
 *                                pre-vote, with or without check-quorum
 * @param checkQuorum             a leader checks every electionTimeoutTicks ticks that it heard
 *                                from a majority since the last check, and steps down if not
 *                                (thesis §6.2): more than one and at most two election timeouts
 *                                after it lost contact. This also enables leader
 *                                stickiness for RequestVote (§4.2.3)
 * @param inflightMessagesMax     AppendEntries messages a leader pipelines to one follower
 *                                before waiting for an acknowledgement
 * @param inflightBytesMax        entry bytes a leader pipelines to one follower before waiting; a
 *                                message goes out while fewer are in flight, so the bound is soft
 *                                by one message
 * @param appendEntriesBytesMax   entry bytes in one AppendEntries (at least one entry is sent)
 * @param applyBytesMax           committed entry bytes handed out in one {@link Ready}
 * @param snapshotChunkBytesMax   bytes in one InstallSnapshot chunk
 * @param pendingReadsMax         ReadIndex requests a leader holds while it confirms leadership
 * @param uncommittedBytesMax     bytes of proposed commands a leader holds uncommitted before it
 *                                refuses new ones (a leader cut off from its followers must not
 *                                grow its log without bound)
 */
public record RaftConfig(
        String id,
        List<String> members,
        int heartbeatIntervalTicks,
        int electionTimeoutTicks,
        int requestTimeoutTicks,
        int snapshotBudgetTicks,
        boolean preVote,
        boolean checkQuorum,
        int inflightMessagesMax,
        long inflightBytesMax,
        long appendEntriesBytesMax,
        long applyBytesMax,
        int snapshotChunkBytesMax,
        int pendingReadsMax,
        long uncommittedBytesMax) {

    /** The default bound on a leader's uncommitted command bytes. */
    public static final long UNCOMMITTED_BYTES_MAX_DEFAULT = 64L << 20;

    public RaftConfig {
        Objects.requireNonNull(id, "id");
        members = List.copyOf(ClusterIdentity.validMembers(members));
        if (!members.contains(id)) {
            throw new IllegalArgumentException(
                    "rule 'id is one of members' violated: " + id + " not in " + members);
        }
        requirePositive("heartbeatIntervalTicks", heartbeatIntervalTicks);
        requirePositive("snapshotBudgetTicks", snapshotBudgetTicks);
        if (heartbeatIntervalTicks >= electionTimeoutTicks) {
            throw new IllegalArgumentException("rule 'heartbeatIntervalTicks < electionTimeoutTicks'"
                    + " violated: " + heartbeatIntervalTicks + " >= " + electionTimeoutTicks
                    + " (followers would time out between heartbeats)");
        }
        if (electionTimeoutTicks >= requestTimeoutTicks) {
            throw new IllegalArgumentException("rule 'electionTimeoutTicks < requestTimeoutTicks'"
                    + " violated: " + electionTimeoutTicks + " >= " + requestTimeoutTicks
                    + " (a request would time out before a failed leader could be replaced)");
        }
        if (snapshotBudgetTicks >= electionTimeoutTicks) {
            throw new IllegalArgumentException("rule 'snapshotBudgetTicks < electionTimeoutTicks'"
                    + " violated: " + snapshotBudgetTicks + " >= " + electionTimeoutTicks
                    + " (taking a snapshot would stall the node past an election timeout)");
        }
        requirePositive("inflightMessagesMax", inflightMessagesMax);
        requirePositive("inflightBytesMax", inflightBytesMax);
        requirePositive("appendEntriesBytesMax", appendEntriesBytesMax);
        requirePositive("applyBytesMax", applyBytesMax);
        requirePositive("snapshotChunkBytesMax", snapshotChunkBytesMax);
        requirePositive("pendingReadsMax", pendingReadsMax);
        requirePositive("uncommittedBytesMax", uncommittedBytesMax);
    }

    /** The configuration without an explicit uncommitted-bytes bound (the first published form). */
    public RaftConfig(String id, List<String> members, int heartbeatIntervalTicks,
                      int electionTimeoutTicks, int requestTimeoutTicks, int snapshotBudgetTicks,
                      boolean preVote, boolean checkQuorum, int inflightMessagesMax,
                      long inflightBytesMax, long appendEntriesBytesMax, long applyBytesMax,
                      int snapshotChunkBytesMax, int pendingReadsMax) {
        this(id, members, heartbeatIntervalTicks, electionTimeoutTicks, requestTimeoutTicks,
                snapshotBudgetTicks, preVote, checkQuorum, inflightMessagesMax, inflightBytesMax,
                appendEntriesBytesMax, applyBytesMax, snapshotChunkBytesMax, pendingReadsMax,
                UNCOMMITTED_BYTES_MAX_DEFAULT);
    }

    private static void requirePositive(String name, long value) {
        if (value <= 0) {
            throw new IllegalArgumentException("rule '" + name + " > 0' violated: " + value);
        }
    }

    /** A configuration with the defaults Confman runs with (a tick of 100 ms is typical). */
    public static RaftConfig defaults(String id, List<String> members) {
        return new RaftConfig(id, members, 1, 10, 30, 5, true, true,
                256, 8L << 20, 1L << 20, 8L << 20, 64 << 10, 4096, UNCOMMITTED_BYTES_MAX_DEFAULT);
    }

    /** The cluster identity every message of this node carries. */
    public ClusterIdentity clusterIdentity() {
        return ClusterIdentity.of(members);
    }

    /** The number of members whose agreement makes a majority. */
    public int quorum() {
        return members.size() / 2 + 1;
    }

    public RaftConfig withTiming(int heartbeatIntervalTicks, int electionTimeoutTicks,
                                 int requestTimeoutTicks, int snapshotBudgetTicks) {
        return new RaftConfig(id, members, heartbeatIntervalTicks, electionTimeoutTicks,
                requestTimeoutTicks, snapshotBudgetTicks, preVote, checkQuorum, inflightMessagesMax,
                inflightBytesMax, appendEntriesBytesMax, applyBytesMax, snapshotChunkBytesMax,
                pendingReadsMax, uncommittedBytesMax);
    }

    public RaftConfig withElectionOptions(boolean preVote, boolean checkQuorum) {
        return new RaftConfig(id, members, heartbeatIntervalTicks, electionTimeoutTicks,
                requestTimeoutTicks, snapshotBudgetTicks, preVote, checkQuorum, inflightMessagesMax,
                inflightBytesMax, appendEntriesBytesMax, applyBytesMax, snapshotChunkBytesMax,
                pendingReadsMax, uncommittedBytesMax);
    }

    public RaftConfig withFlowControl(int inflightMessagesMax, long inflightBytesMax,
                                      long appendEntriesBytesMax, int snapshotChunkBytesMax) {
        return new RaftConfig(id, members, heartbeatIntervalTicks, electionTimeoutTicks,
                requestTimeoutTicks, snapshotBudgetTicks, preVote, checkQuorum, inflightMessagesMax,
                inflightBytesMax, appendEntriesBytesMax, applyBytesMax, snapshotChunkBytesMax,
                pendingReadsMax, uncommittedBytesMax);
    }

    public RaftConfig withUncommittedBytesMax(long uncommittedBytesMax) {
        return new RaftConfig(id, members, heartbeatIntervalTicks, electionTimeoutTicks,
                requestTimeoutTicks, snapshotBudgetTicks, preVote, checkQuorum, inflightMessagesMax,
                inflightBytesMax, appendEntriesBytesMax, applyBytesMax, snapshotChunkBytesMax,
                pendingReadsMax, uncommittedBytesMax);
    }
}

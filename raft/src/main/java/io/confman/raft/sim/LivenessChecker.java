package io.confman.raft.sim;

/**
 * Liveness after the faults heal (Raft thesis §3.4, §9: "Raft will be able to elect and
 * maintain a steady leader as long as broadcastTime << electionTimeout << MTBF"): within a
 * bounded number of ticks a leader is elected and a fresh proposal is applied on every node.
 *
 * <p>The bound, in ticks, with ET the election timeout, D the longest one-way delay, F the
 * longest fsync, and R = 2D + 2F one round trip that waits for a durable write at each end:
 * <ul>
 *   <li>2 ET: a follower ignores elections for ET after it last heard a leader (leader
 *       stickiness, §4.2.3), and a stale leader notices it lost its majority at its next
 *       check-quorum round, at most 2 ET away (§6.2);</li>
 *   <li>4 (2 ET + 2 R): an election ends within the largest randomized timeout (2 ET) plus a
 *       pre-vote and a vote round trip; we allow four attempts, since randomized timeouts make
 *       a split vote unlikely but not impossible (§3.4, §9.3);</li>
 *   <li>12 R: the new leader's no-op and the proposal commit in two round trips, and a follower
 *       catches up through a snapshot of at most five chunks;</li>
 *   <li>L / (P E) R: a follower L entries behind receives at most P AppendEntries of at least E
 *       entries per round trip (P the pipeline depth, E what appendEntriesBytesMax holds of the
 *       largest entry), so catching up takes that many round trips.</li>
 * </ul>
 * Total: 10 ET + 20 R + ceil(L / (P E)) R.
 */
final class LivenessChecker {

    static final String PROPERTY = "Liveness after healing (thesis §3.4, §9.3)";

    /** No simulated entry is larger: a 17-byte header and a command like "c12345". */
    static final int ENTRY_BYTES_MAX = 32;

    static long boundTicks(SimOptions options, long lagEntries) {
        long electionTimeoutTicks = options.electionTimeoutTicks();
        long roundTripTicks = 2L * options.delayTicksMax() + 2L * options.fsyncTicksMax();
        long entriesPerAppend = Math.max(1, options.appendEntriesBytesMax() / ENTRY_BYTES_MAX);
        long entriesPerRoundTrip = entriesPerAppend * options.inflightMessagesMax();
        long catchUpRoundTrips = (lagEntries + entriesPerRoundTrip - 1) / entriesPerRoundTrip;
        return 10 * electionTimeoutTicks + (20 + catchUpRoundTrips) * roundTripTicks;
    }

    private final byte[] command;
    private long proposedIndex;
    private long proposedTerm;

    LivenessChecker(byte[] command) {
        this.command = command.clone();
    }

    byte[] command() {
        return command.clone();
    }

    boolean hasProposal() {
        return proposedIndex != 0;
    }

    void proposed(long index, long term) {
        proposedIndex = index;
        proposedTerm = term;
    }

    /**
     * True once every node applied the proposal. Forgets it if another entry was applied at
     * its index (the leader lost its term before replicating it), so that it is proposed again.
     */
    boolean done(Iterable<SimNode> nodes, StateMachineSafetyChecker applied) {
        if (proposedIndex == 0) {
            return false;
        }
        long termApplied = applied.appliedTermAt(proposedIndex);
        if (termApplied != 0 && termApplied != proposedTerm
                || termApplied == 0 && !someoneLeads(nodes, proposedTerm)) {
            // Another entry took its index, or its leader is gone before committing it; a new
            // leader may have overwritten it, so a client would propose again.
            proposedIndex = 0;
            return false;
        }
        for (SimNode node : nodes) {
            if (!node.isUp() || node.appliedIndex < proposedIndex) {
                return false;
            }
        }
        return termApplied == proposedTerm;
    }

    private static boolean someoneLeads(Iterable<SimNode> nodes, long term) {
        for (SimNode node : nodes) {
            if (node.isLeader() && node.term == term) {
                return true;
            }
        }
        return false;
    }

    String evidence(Iterable<SimNode> nodes, long boundTicks) {
        StringBuilder text = new StringBuilder("no leader had a fresh proposal applied on all nodes within "
                + boundTicks + " ticks of healing (proposal " + (proposedIndex == 0 ? "not accepted"
                : "at " + proposedTerm + "/" + proposedIndex) + "); nodes:");
        for (SimNode node : nodes) {
            text.append(' ').append(node.id).append('[').append(node.isUp() ? node.role : "DOWN")
                    .append(" term=").append(node.term).append(" applied=").append(node.appliedIndex)
                    .append(" last=").append(node.shadow.lastIndex()).append(']');
        }
        return text.toString();
    }
}

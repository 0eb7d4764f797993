package io.confman.raft;

/** What {@link RaftNode#propose} did with a command. */
public sealed interface ProposeResult {

    /**
     * The command is in the leader's log at {@code index} in {@code term}. It is committed
     * when that entry appears in {@link Ready#committedEntries()}; if another entry appears
     * there at that index, the proposal was lost to a new leader.
     */
    record Accepted(long index, long term) implements ProposeResult {
    }

    /**
     * The command was not appended. {@code leaderHint} is the leader this node knows of, or
     * {@code null}.
     */
    record Rejected(String reason, String leaderHint) implements ProposeResult {
    }
}

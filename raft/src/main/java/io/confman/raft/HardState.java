package io.confman.raft;

/**
 * The state Figure 2 calls persistent, apart from the log: {@code currentTerm} and
 * {@code votedFor}, plus {@code commitIndex}, which Raft could recompute but which lets a
 * restarted node apply committed entries without waiting for a leader.
 *
 * @param votedFor the candidate this node voted for in {@code term}, or {@code null}
 */
public record HardState(long term, String votedFor, long commitIndex) {

    /** The state of a node that has never run. */
    public static final HardState EMPTY = new HardState(0, null, 0);

    public HardState {
        if (term < 0) {
            throw new IllegalArgumentException("term must be >= 0, was " + term);
        }
        if (commitIndex < 0) {
            throw new IllegalArgumentException("commitIndex must be >= 0, was " + commitIndex);
        }
    }
}

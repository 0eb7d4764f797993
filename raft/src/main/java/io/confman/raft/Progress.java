package io.confman.raft;

/**
 * A leader's view of one follower: Figure 2's {@code nextIndex} and {@code matchIndex}, plus
 * the flow-control state etcd's tracker keeps (tracker/progress.go):
 * <ul>
 *   <li>PROBE: the leader does not know where the logs agree; it sends one AppendEntries and
 *       waits for the answer (each rejection moves {@code nextIndex} back, fast backtracking);</li>
 *   <li>REPLICATE: the logs agree up to {@code matchIndex}; the leader streams entries and
 *       advances {@code nextIndex} optimistically, up to the inflight bounds;</li>
 *   <li>SNAPSHOT: the entries the follower needs are compacted; the leader streams a snapshot
 *       chunk by chunk and sends no entries until it is installed.</li>
 * </ul>
 */
final class Progress {

    enum State { PROBE, REPLICATE, SNAPSHOT }

    // Invariant: matchIndex < nextIndex
    long matchIndex;
    long nextIndex;
    State state = State.PROBE;
    /** In PROBE: an AppendEntries is out and unanswered, so wait. */
    boolean probeSent;
    final Inflights inflights;
    /** Heard from since the last check-quorum round (thesis §6.2). */
    boolean recentActive;

    // Invariant: (state == SNAPSHOT) == (pendingSnapshot != null)
    SnapshotMetadata pendingSnapshot;
    /** In SNAPSHOT: bytes the follower has acknowledged; the next chunk starts here. */
    long snapshotOffset;
    /** In SNAPSHOT: ticks since a chunk was sent or acknowledged. */
    int snapshotStallTicks;

    Progress(long nextIndex, int inflightMessagesMax, long inflightBytesMax) {
        this.nextIndex = nextIndex;
        this.inflights = new Inflights(inflightMessagesMax, inflightBytesMax);
    }

    boolean isPaused() {
        return switch (state) {
            case PROBE -> probeSent;
            case REPLICATE -> inflights.full();
            case SNAPSHOT -> true;
        };
    }

    /** Records an acknowledgement up to {@code index}; false if it tells nothing new. */
    boolean maybeUpdate(long index) {
        if (index <= matchIndex) {
            return false;
        }
        matchIndex = index;
        nextIndex = Math.max(nextIndex, index + 1);
        probeSent = false;
        checkInvariants();
        return true;
    }

    /**
     * Moves {@code nextIndex} back after the follower rejected prevLogIndex {@code rejected};
     * {@code matchHint} is where the leader's search says the logs may agree. Returns false if
     * the rejection is stale (answers a message sent before a newer decision).
     */
    boolean maybeDecreaseTo(long rejected, long matchHint) {
        if (state == State.REPLICATE) {
            if (rejected <= matchIndex) {
                return false;
            }
            nextIndex = matchIndex + 1;
            checkInvariants();
            return true;
        }
        if (nextIndex - 1 != rejected) {
            return false;
        }
        nextIndex = Math.max(Math.min(rejected, matchHint + 1), matchIndex + 1);
        probeSent = false;
        checkInvariants();
        return true;
    }

    /** Accounts for an AppendEntries just sent with {@code count} entries ending at {@code lastIndex}. */
    void sentEntries(int count, long lastIndex, long bytes) {
        if (state == State.REPLICATE) {
            if (count > 0) {
                nextIndex = lastIndex + 1;
                inflights.add(lastIndex, bytes);
            }
        } else if (state == State.PROBE) {
            probeSent = true;
        } else {
            throw new IllegalStateException("sent entries to a follower receiving a snapshot");
        }
        checkInvariants();
    }

    void becomeProbe() {
        if (state == State.SNAPSHOT) {
            nextIndex = Math.max(matchIndex + 1, pendingSnapshot.lastIncludedIndex() + 1);
            pendingSnapshot = null;
        } else {
            nextIndex = matchIndex + 1;
        }
        state = State.PROBE;
        probeSent = false;
        inflights.reset();
        checkInvariants();
    }

    void becomeReplicate() {
        state = State.REPLICATE;
        nextIndex = matchIndex + 1;
        pendingSnapshot = null;
        inflights.reset();
        checkInvariants();
    }

    void becomeSnapshot(SnapshotMetadata snapshot) {
        state = State.SNAPSHOT;
        pendingSnapshot = snapshot;
        snapshotOffset = 0;
        snapshotStallTicks = 0;
        inflights.reset();
        checkInvariants();
    }

    /** Called at the end of every mutator. */
    private void checkInvariants() {
        if (matchIndex >= nextIndex) {
            throw new IllegalStateException("matchIndex " + matchIndex + " >= nextIndex " + nextIndex);
        }
        if ((state == State.SNAPSHOT) != (pendingSnapshot != null)) {
            throw new IllegalStateException("state " + state + " with pending snapshot " + pendingSnapshot);
        }
    }

    Status.PeerProgress view() {
        return new Status.PeerProgress(matchIndex, nextIndex, state.name(), inflights.count());
    }
}

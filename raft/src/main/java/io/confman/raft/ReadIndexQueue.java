package io.confman.raft;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * A leader's ReadIndex requests (thesis §6.4). Each read records the commit index when it
 * arrived and the number of the heartbeat round started for it; it becomes safe once a
 * majority has answered a round at least that new, which proves that no other leader had
 * been elected when the read arrived.
 */
final class ReadIndexQueue {

    record PendingRead(byte[] context, long readIndex, long round) {
    }

    private final String selfId;
    private final List<String> members;
    private final int quorum;
    private final int pendingReadsMax;

    // Invariant: rounds never decrease along the queue, and size() <= pendingReadsMax.
    private final ArrayDeque<PendingRead> pending = new ArrayDeque<>();
    /** Reads that arrived before this leader committed an entry of its term (§6.4 step 1). */
    private final ArrayDeque<byte[]> waitingForCommit = new ArrayDeque<>();
    private final Map<String, Long> ackedRound = new HashMap<>();
    private long latestRound;

    ReadIndexQueue(String selfId, List<String> members, int pendingReadsMax) {
        this.selfId = selfId;
        this.members = members;
        this.quorum = members.size() / 2 + 1;
        this.pendingReadsMax = pendingReadsMax;
    }

    int size() {
        return pending.size() + waitingForCommit.size();
    }

    boolean isFull() {
        return size() >= pendingReadsMax;
    }

    long latestRound() {
        return latestRound;
    }

    void waitForCommit(byte[] context) {
        waitingForCommit.add(context);
        checkInvariants();
    }

    List<byte[]> drainWaitingForCommit() {
        List<byte[]> out = new ArrayList<>(waitingForCommit);
        waitingForCommit.clear();
        return out;
    }

    /** Queues a read at {@code readIndex} and returns the round to confirm it with. */
    long add(byte[] context, long readIndex) {
        latestRound++;
        ackedRound.put(selfId, latestRound);
        pending.add(new PendingRead(context, readIndex, latestRound));
        checkInvariants();
        return latestRound;
    }

    /** Queues a read at {@code readIndex} in the latest round, whose heartbeats have not left yet. */
    void join(byte[] context, long readIndex) {
        if (latestRound == 0) {
            throw new IllegalStateException("no round to join");
        }
        pending.add(new PendingRead(context, readIndex, latestRound));
        checkInvariants();
    }

    /** Called at the end of every mutator that adds a read. */
    private void checkInvariants() {
        if (size() > pendingReadsMax) {
            throw new IllegalStateException(size() + " pending reads exceed pendingReadsMax " + pendingReadsMax);
        }
    }

    /** Records that {@code member} answered round {@code round}; returns the reads now safe. */
    List<ReadState> acknowledge(String member, long round) {
        ackedRound.merge(member, round, Math::max);
        long confirmed = quorumRound();
        List<ReadState> safe = new ArrayList<>();
        while (!pending.isEmpty() && pending.peek().round() <= confirmed) {
            PendingRead read = pending.poll();
            safe.add(new ReadState(read.context(), read.readIndex()));
        }
        return safe;
    }

    /** The newest round a majority has answered. */
    private long quorumRound() {
        long[] rounds = new long[members.size()];
        for (int i = 0; i < rounds.length; i++) {
            rounds[i] = ackedRound.getOrDefault(members.get(i), 0L);
        }
        Arrays.sort(rounds);
        return rounds[rounds.length - quorum];
    }

    /** Every read still waiting, which the runtime must fail, in arrival order. */
    List<byte[]> drainAll() {
        List<byte[]> out = new ArrayList<>();
        out.addAll(waitingForCommit);
        for (PendingRead read : pending) {
            out.add(read.context());
        }
        waitingForCommit.clear();
        pending.clear();
        return out;
    }
}

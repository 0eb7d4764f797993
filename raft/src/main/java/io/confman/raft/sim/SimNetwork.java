package io.confman.raft.sim;

import io.confman.raft.Message;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.PriorityQueue;
import java.util.SplittableRandom;

/**
 * The simulated network: messages in flight ordered by delivery tick, then by send order, so
 * that a run never depends on anything but the seed. Random delays reorder messages; links
 * can be cut one way (asymmetric) or both ways (partitions). A cut link drops what is sent
 * over it and what is still in flight when it would arrive.
 */
final class SimNetwork {

    record InFlight(long deliverTick, long sequence, Message message) {
    }

    private final SplittableRandom random;
    private final int nodeCount;
    private final PriorityQueue<InFlight> inFlight = new PriorityQueue<>((a, b) ->
            a.deliverTick() != b.deliverTick()
                    ? Long.compare(a.deliverTick(), b.deliverTick())
                    : Long.compare(a.sequence(), b.sequence()));
    // blocked[from][to]: the link from -> to loses everything.
    private final boolean[][] blocked;
    private long sequence;
    private int dropPerMille;
    private int duplicatePerMille;
    private final int delayTicksMin;
    private final int delayTicksMax;

    SimNetwork(SplittableRandom random, SimOptions options) {
        this.random = random;
        this.nodeCount = options.nodeCount();
        this.blocked = new boolean[nodeCount][nodeCount];
        this.dropPerMille = options.dropPerMille();
        this.duplicatePerMille = options.duplicatePerMille();
        this.delayTicksMin = options.delayTicksMin();
        this.delayTicksMax = options.delayTicksMax();
    }

    /** What happened to a message handed to the network. */
    enum Fate { SENT, DUPLICATED, DROPPED, CUT }

    Fate send(Message message, long now) {
        if (isBlocked(message)) {
            return Fate.CUT;
        }
        if (random.nextInt(1000) < dropPerMille) {
            return Fate.DROPPED;
        }
        enqueue(message, now);
        if (random.nextInt(1000) < duplicatePerMille) {
            enqueue(message, now);
            return Fate.DUPLICATED;
        }
        return Fate.SENT;
    }

    /** Removes and returns, in order, every message due at or before {@code now}. */
    List<InFlight> takeDue(long now) {
        List<InFlight> due = new ArrayList<>();
        while (!inFlight.isEmpty() && inFlight.peek().deliverTick() <= now) {
            due.add(inFlight.poll());
        }
        return due;
    }

    boolean isBlocked(Message message) {
        return blocked[SimNode.number(message.from())][SimNode.number(message.to())];
    }

    int inFlightCount() {
        return inFlight.size();
    }

    /** Restores every link and stops losing or duplicating messages: the liveness phase. */
    void healAndCalm() {
        heal();
        dropPerMille = 0;
        duplicatePerMille = 0;
    }

    void heal() {
        for (boolean[] row : blocked) {
            Arrays.fill(row, false);
        }
    }

    /** Cuts every link between the two sides, both ways. */
    void partition(boolean[] side) {
        heal();
        for (int a = 0; a < nodeCount; a++) {
            for (int b = 0; b < nodeCount; b++) {
                blocked[a][b] = side[a] != side[b];
            }
        }
    }

    /** Cuts one direction of one link: {@code from} can no longer reach {@code to}. */
    void cutOneWay(int from, int to) {
        blocked[from][to] = true;
    }

    private void enqueue(Message message, long now) {
        long delay = delayTicksMin + random.nextInt(delayTicksMax - delayTicksMin + 1);
        inFlight.add(new InFlight(now + delay, sequence++, message));
    }
}

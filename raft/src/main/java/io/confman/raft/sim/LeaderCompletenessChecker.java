package io.confman.raft.sim;

import java.util.Arrays;
import java.util.Map;
import java.util.TreeMap;

/**
 * Leader Completeness (Raft paper Figure 3, §5.4): if a log entry is committed in a given
 * term, then that entry will be present in the logs of the leaders for all higher-numbered
 * terms. A node's commitIndex, seen in its Readies, tells what is committed; the term it is
 * in then is at least the term the entry was committed in, so every leader of a later term
 * must hold that prefix. It also checks that no node ever holds a different entry at an
 * index known to be committed.
 */
final class LeaderCompletenessChecker {

    /** The property's short name, as a trace lists the checks of a tick. */
    static final String NAME = "Leader Completeness";
    static final String PROPERTY = NAME + " (Figure 3, §5.4)";

    /** How many times the property was checked, for the trace's list of the checks of a tick. */
    private long checks;

    /** The prefix hash at each committed index; 0 where unknown (covered by a snapshot). */
    private long[] committedChain = new long[256];
    // Invariant: committedMax only grows.
    private long committedMax;
    /** For each term, the highest index a node of that term first reported committed. */
    private final TreeMap<Long, Long> committedMaxByTerm = new TreeMap<>();

    long committedMax() {
        return committedMax;
    }

    /** {@code node}, in {@code term}, reports {@code commitIndex}; its log is {@code log}. */
    void onCommitKnown(String node, long term, long commitIndex, ShadowLog log, long tick) {
        checks++;
        long known = Math.min(commitIndex, committedMax);
        if (known >= log.baseIndex() && committedChainAt(known) != 0
                && log.chainAt(known) != committedChainAt(known)) {
            throw new SafetyViolation(PROPERTY, node + " in term " + term + " holds a different"
                    + " log prefix up to index " + known + ", which was committed before (tick " + tick + ")");
        }
        if (commitIndex <= committedMax) {
            return;
        }
        ensureCapacity(commitIndex);
        for (long index = Math.max(committedMax + 1, log.baseIndex()); index <= commitIndex; index++) {
            committedChain[(int) index] = log.chainAt(index);
        }
        committedMax = commitIndex;
        committedMaxByTerm.merge(term, commitIndex, Math::max);
    }

    /** {@code node} is leader of {@code term} with log {@code log}. */
    void onLeaderLog(String node, long term, ShadowLog log, long tick) {
        checks++;
        long required = 0;
        for (Map.Entry<Long, Long> e : committedMaxByTerm.headMap(term).entrySet()) {
            required = Math.max(required, e.getValue());
        }
        if (required == 0) {
            return;
        }
        if (log.lastIndex() < required) {
            throw new SafetyViolation(PROPERTY, node + ", leader of term " + term + ", ends at index "
                    + log.lastIndex() + " but index " + required + " was committed in an earlier term"
                    + " (tick " + tick + ")");
        }
        long at = Math.max(required, log.baseIndex());
        if (committedChainAt(at) != 0 && at <= committedMax && log.chainAt(at) != committedChainAt(at)) {
            throw new SafetyViolation(PROPERTY, node + ", leader of term " + term + ", lacks the entries"
                    + " committed up to index " + at + " in an earlier term: its log differs there"
                    + " (tick " + tick + ")");
        }
    }

    private long committedChainAt(long index) {
        return index < committedChain.length ? committedChain[(int) index] : 0;
    }

    private void ensureCapacity(long index) {
        if (index >= committedChain.length) {
            committedChain = Arrays.copyOf(committedChain, (int) Math.max(index + 1, committedChain.length * 2L));
        }
    }

    long checks() {
        return checks;
    }
}

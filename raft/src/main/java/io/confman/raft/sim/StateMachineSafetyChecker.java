package io.confman.raft.sim;

import java.util.Arrays;

/**
 * State Machine Safety (Raft paper Figure 3, §5.4.3): if a server has applied a log entry at a
 * given index to its state machine, no other server will ever apply a different log entry for
 * the same index. The simulated state machine is the hash chain of what it applied, so two
 * nodes that applied the same entries at index i hold the same value there; a snapshot
 * restored at index i must carry that value too.
 */
final class StateMachineSafetyChecker {

    /** The property's short name, as a trace lists the checks of a tick. */
    static final String NAME = "State Machine Safety";
    static final String PROPERTY = NAME + " (Figure 3, §5.4.3)";

    /** How many times the property was checked, for the trace's list of the checks of a tick. */
    private long checks;

    private long[] appliedChain = new long[256];
    private long[] appliedTerm = new long[256];
    private String[] firstNode = new String[256];

    void onApply(String node, long index, long term, long chain, long tick) {
        record(node, index, term, chain, "applied", tick);
    }

    /** {@code node} restored a snapshot whose state machine stands at {@code index}. */
    void onRestore(String node, long index, long chain, long tick) {
        record(node, index, 0, chain, "restored a snapshot at", tick);
    }

    /**
     * {@code node} snapshots its state machine at {@code index}: the state, {@code stateChain},
     * must be the one its own log's prefix up to there gives, {@code logChain}.
     */
    void onSnapshot(String node, long index, long stateChain, long logChain, long tick) {
        checks++;
        if (stateChain != logChain) {
            throw new SafetyViolation(PROPERTY, node + " applied up to " + index
                    + " a state that differs from its own log (tick " + tick + ")");
        }
    }

    /** The term of the entry applied at {@code index}, or 0 if none was applied yet. */
    long appliedTermAt(long index) {
        return index < appliedTerm.length ? appliedTerm[(int) index] : 0;
    }

    private void record(String node, long index, long term, long chain, String what, long tick) {
        checks++;
        ensureCapacity(index);
        int i = (int) index;
        if (appliedChain[i] == 0) {
            appliedChain[i] = chain;
            appliedTerm[i] = term;
            firstNode[i] = node;
            return;
        }
        if (appliedChain[i] != chain) {
            throw new SafetyViolation(PROPERTY, node + " " + what + " index " + index
                    + (term > 0 ? " (term " + term + ")" : "") + " with a state different from the one "
                    + firstNode[i] + " reached there (term " + appliedTerm[i] + ", tick " + tick + ")");
        }
        if (appliedTerm[i] == 0) {
            appliedTerm[i] = term; // Known from a snapshot until now.
        }
    }

    private void ensureCapacity(long index) {
        if (index >= appliedChain.length) {
            int length = (int) Math.max(index + 1, appliedChain.length * 2L);
            appliedChain = Arrays.copyOf(appliedChain, length);
            appliedTerm = Arrays.copyOf(appliedTerm, length);
            firstNode = Arrays.copyOf(firstNode, length);
        }
    }

    long checks() {
        return checks;
    }
}

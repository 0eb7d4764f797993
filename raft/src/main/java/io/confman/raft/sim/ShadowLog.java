package io.confman.raft.sim;

import io.confman.raft.Entry;
import java.util.Arrays;

/**
 * The log as one node's core holds it, rebuilt from the entries its Readies hand out (which
 * replace any entry at the same or later index) and from its disk after a restart. Each slot
 * keeps the term and the hash chain of the prefix ending there, which is all the checkers
 * need. It is exact right after each {@code ready()} call, since a Ready carries every entry
 * the core has not yet seen stable.
 */
final class ShadowLog {

    /** The snapshot the log starts after: everything up to baseIndex is covered by it. */
    private long baseIndex;
    private long baseTerm;
    private long baseChain = Hashes.EMPTY_CHAIN;
    // Invariant: slot i holds index baseIndex + 1 + i, for i < size.
    private long[] terms = new long[64];
    private long[] chains = new long[64];
    private int size;

    long baseIndex() {
        return baseIndex;
    }

    long lastIndex() {
        return baseIndex + size;
    }

    boolean holds(long index) {
        return index >= baseIndex && index <= lastIndex();
    }

    long termAt(long index) {
        requireHeld(index);
        return index == baseIndex ? baseTerm : terms[slot(index)];
    }

    long chainAt(long index) {
        requireHeld(index);
        return index == baseIndex ? baseChain : chains[slot(index)];
    }

    /**
     * Writes {@code entry} at its index, dropping any later slot, and returns the new chain.
     * The entry must attach: at most one past the end, and after the base.
     */
    long put(Entry entry) {
        long index = entry.index();
        if (index <= baseIndex || index > lastIndex() + 1) {
            throw new IllegalStateException("entry " + entry + " does not attach to a log holding ("
                    + baseIndex + ", " + lastIndex() + "]");
        }
        size = slot(index);
        ensureCapacity(size + 1);
        long chain = Hashes.chain(chainAt(index - 1), entry);
        terms[size] = entry.term();
        chains[size] = chain;
        size++;
        return chain;
    }

    /** Replaces everything with a snapshot whose prefix hashes to {@code chain}. */
    void reset(long index, long term, long chain) {
        baseIndex = index;
        baseTerm = term;
        baseChain = chain;
        size = 0;
    }

    /** Forgets entries up to {@code index}, which a snapshot now covers. */
    void compact(long index) {
        requireHeld(index);
        long term = termAt(index);
        long chain = chainAt(index);
        int drop = slot(index) + 1;
        System.arraycopy(terms, drop, terms, 0, size - drop);
        System.arraycopy(chains, drop, chains, 0, size - drop);
        size -= drop;
        baseIndex = index;
        baseTerm = term;
        baseChain = chain;
    }

    private int slot(long index) {
        return Math.toIntExact(index - baseIndex - 1);
    }

    private void requireHeld(long index) {
        if (!holds(index)) {
            throw new IllegalArgumentException("index " + index + " outside the log ["
                    + baseIndex + ", " + lastIndex() + "]");
        }
    }

    private void ensureCapacity(int needed) {
        if (needed > terms.length) {
            int length = Math.max(needed, terms.length * 2);
            terms = Arrays.copyOf(terms, length);
            chains = Arrays.copyOf(chains, length);
        }
    }
}

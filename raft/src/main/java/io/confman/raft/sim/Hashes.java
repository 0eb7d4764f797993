package io.confman.raft.sim;

import io.confman.raft.Entry;

/**
 * 64-bit hash chains over log entries. The chain at index i stands for the whole log prefix
 * [1, i], so comparing two chains compares two prefixes in O(1): that is how the checkers
 * test Log Matching and State Machine Safety after every step without walking logs. The
 * simulator's state machine is this chain, too (its value after applying i is the chain at i).
 */
final class Hashes {

    private Hashes() {
    }

    /** The chain of the empty log. */
    static final long EMPTY_CHAIN = 0x5EED_0000_0000_0001L;

    static long chain(long previous, Entry entry) {
        long h = mix(previous ^ entry.index());
        h = mix(h ^ entry.term());
        h = mix(h ^ entry.type().ordinal());
        for (byte b : entry.data()) {
            h = (h ^ (b & 0xff)) * 0x100000001B3L;
        }
        return mix(h ^ entry.data().length);
    }

    /** SplitMix64's finalizer: every input bit affects every output bit. */
    static long mix(long z) {
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }
}

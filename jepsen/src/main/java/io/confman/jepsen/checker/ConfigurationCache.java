package io.confman.jepsen.checker;

/**
 * The configurations the search has already reached: a set of linearized operations with
 * the register's state after them. Lowe ("Testing for linearizability", 2017) observed that
 * the Wing &amp; Gong search reaches the same configuration along many orders of the same
 * operations, and that whatever follows depends on the configuration alone; remembering
 * them turns an exponential search into one bounded by the number of distinct
 * configurations.
 *
 * <p>An open-addressing table over flat arrays: the sets' compact forms
 * ({@link LinearizedSet#writeCompact}) are kept end to end in one {@code long[]}, so an
 * entry costs its words and four numbers, with no object per entry.
 */
final class ConfigurationCache {

    private int[] slots = new int[1 << 12]; // entry + 1, 0 when empty
    private long[] hashes = new long[1 << 11];
    private int[] states = new int[1 << 11];
    private int[] offsets = new int[1 << 11];
    private int[] lengths = new int[1 << 11];
    private long[] arena = new long[1 << 14];
    private int arenaUsed;
    private int size;

    int size() {
        return size;
    }

    /** The memory of the arrays as allocated, which is what a limit must bound. */
    long bytes() {
        return arena.length * 8L + hashes.length * 20L + slots.length * 4L;
    }

    /** Adds the configuration ({@code set}, {@code state}); false if it was already there. */
    boolean add(LinearizedSet set, int state) {
        long hash = mix(set.hash(), state);
        int mask = slots.length - 1;
        int slot = (int) hash & mask;
        while (slots[slot] != 0) {
            int entry = slots[slot] - 1;
            if (hashes[entry] == hash && states[entry] == state
                    && set.equalsCompact(arena, offsets[entry], lengths[entry])) {
                return false;
            }
            slot = (slot + 1) & mask;
        }
        if (size == hashes.length) {
            growEntries();
        }
        int length = set.compactLength();
        while (arenaUsed + length > arena.length) {
            long[] bigger = new long[Math.multiplyExact(arena.length, 2)];
            System.arraycopy(arena, 0, bigger, 0, arenaUsed);
            arena = bigger;
        }
        set.writeCompact(arena, arenaUsed);
        hashes[size] = hash;
        states[size] = state;
        offsets[size] = arenaUsed;
        lengths[size] = length;
        arenaUsed += length;
        slots[slot] = size + 1;
        size++;
        if (size * 2 > slots.length) {
            rehash();
        }
        return true;
    }

    private void growEntries() {
        int capacity = hashes.length * 2;
        hashes = java.util.Arrays.copyOf(hashes, capacity);
        states = java.util.Arrays.copyOf(states, capacity);
        offsets = java.util.Arrays.copyOf(offsets, capacity);
        lengths = java.util.Arrays.copyOf(lengths, capacity);
    }

    private void rehash() {
        int[] bigger = new int[slots.length * 2];
        int mask = bigger.length - 1;
        for (int entry = 0; entry < size; entry++) {
            int slot = (int) hashes[entry] & mask;
            while (bigger[slot] != 0) {
                slot = (slot + 1) & mask;
            }
            bigger[slot] = entry + 1;
        }
        slots = bigger;
    }

    private static long mix(long setHash, int state) {
        long h = setHash ^ LinearizedSet.zobrist(~(long) state);
        return h ^ (h >>> 32);
    }
}

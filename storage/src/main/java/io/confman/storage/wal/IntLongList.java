package io.confman.storage.wal;

import java.util.Arrays;

/**
 * A growable list of (int, long) pairs without boxing: a segment's frame offsets and
 * entry terms, kept in memory so that {@code term(index)} never reads the disk.
 */
final class IntLongList {
    private int[] ints = new int[64];
    private long[] longs = new long[64];
    // Invariant: 0 <= size <= ints.length == longs.length
    private int size;

    IntLongList() {
    }

    IntLongList(int[] ints, long[] longs, int size) {
        if (size < 0 || size > ints.length || ints.length != longs.length) {
            throw new IllegalArgumentException("size " + size + " does not fit arrays of " + ints.length + "/" + longs.length);
        }
        this.ints = Arrays.copyOf(ints, Math.max(64, size));
        this.longs = Arrays.copyOf(longs, Math.max(64, size));
        this.size = size;
    }

    void add(int intValue, long longValue) {
        if (size == ints.length) {
            ints = Arrays.copyOf(ints, size * 2);
            longs = Arrays.copyOf(longs, size * 2);
        }
        ints[size] = intValue;
        longs[size] = longValue;
        size++;
    }

    int intAt(int position) {
        checkPosition(position);
        return ints[position];
    }

    long longAt(int position) {
        checkPosition(position);
        return longs[position];
    }

    int size() {
        return size;
    }

    /** Drops every pair at and after {@code newSize}. */
    void truncate(int newSize) {
        if (newSize < 0 || newSize > size) {
            throw new IllegalArgumentException("cannot truncate " + size + " pairs to " + newSize);
        }
        size = newSize;
    }

    int[] ints() {
        return Arrays.copyOf(ints, size);
    }

    long[] longs() {
        return Arrays.copyOf(longs, size);
    }

    private void checkPosition(int position) {
        if (position < 0 || position >= size) {
            throw new IndexOutOfBoundsException("position " + position + " outside 0.." + (size - 1));
        }
    }
}

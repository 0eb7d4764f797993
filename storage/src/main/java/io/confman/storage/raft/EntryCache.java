package io.confman.storage.raft;

import io.confman.raft.Entry;

/**
 * The most recent durable entries, kept in a ring so that a leader sending entries it just
 * wrote does not read them back from the WAL. It always ends at the log's last index (or is
 * empty), so an entry is served from memory exactly when its index is at or after
 * {@link #firstIndex}.
 */
final class EntryCache {
    private final Entry[] slots;
    private final long bytesMax;
    private int head;
    // Invariant: 0 <= size <= slots.length; slots[head + i] holds index firstIndex + i.
    private int size;
    // Invariant: bytes == the sum of sizeBytes() of the cached entries, and <= bytesMax.
    private long bytes;

    EntryCache(int entriesMax, long bytesMax) {
        this.slots = new Entry[entriesMax];
        this.bytesMax = bytesMax;
    }

    /** The first cached index; {@code lastIndex + 1} (nothing cached) when empty. */
    long firstIndex(long lastIndex) {
        return size == 0 ? lastIndex + 1 : slot(0).index();
    }

    /** The last cached index, or -1 when empty. */
    long lastIndex() {
        return size == 0 ? -1 : slot(size - 1).index();
    }

    Entry get(long index) {
        long offset = size == 0 ? -1 : index - slot(0).index();
        if (offset < 0 || offset >= size) {
            throw new IllegalArgumentException("index " + index + " is not cached");
        }
        return slot((int) offset);
    }

    /** Adds entries that were just made durable; they continue the cache or replace all of it. */
    void append(Iterable<Entry> entries) {
        for (Entry entry : entries) {
            if (size > 0 && slot(size - 1).index() + 1 != entry.index()) {
                clear();
            }
            if (slots.length == 0 || entry.sizeBytes() > bytesMax) {
                clear(); // Too big to cache: the cache must still end at the last index.
                continue;
            }
            while (size == slots.length || bytes + entry.sizeBytes() > bytesMax) {
                removeFirst();
            }
            slots[(head + size) % slots.length] = entry;
            size++;
            bytes += entry.sizeBytes();
        }
        checkInvariant();
    }

    /** Forgets entries at and after {@code index} (a truncated suffix). */
    void truncateFrom(long index) {
        while (size > 0 && slot(size - 1).index() >= index) {
            Entry last = slot(size - 1);
            slots[(head + size - 1) % slots.length] = null;
            size--;
            bytes -= last.sizeBytes();
        }
        checkInvariant();
    }

    /** Forgets entries before {@code index} (compacted). */
    void dropBefore(long index) {
        while (size > 0 && slot(0).index() < index) {
            removeFirst();
        }
        checkInvariant();
    }

    void clear() {
        while (size > 0) {
            removeFirst();
        }
    }

    private void removeFirst() {
        Entry first = slot(0);
        slots[head] = null;
        head = (head + 1) % slots.length;
        size--;
        bytes -= first.sizeBytes();
    }

    private Entry slot(int offset) {
        return size == 0 ? null : slots[(head + offset) % slots.length];
    }

    private void checkInvariant() {
        if (bytes < 0 || bytes > bytesMax) {
            throw new IllegalStateException("entry cache holds " + bytes + " bytes, bound " + bytesMax);
        }
        if (size == 0 && bytes != 0) {
            throw new IllegalStateException("an empty entry cache counts " + bytes + " bytes");
        }
        if (size > 0 && slot(size - 1).index() - slot(0).index() != size - 1) {
            throw new IllegalStateException("entry cache holds " + size + " entries from " + slot(0).index()
                    + " to " + slot(size - 1).index());
        }
    }
}

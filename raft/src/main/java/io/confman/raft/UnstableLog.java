package io.confman.raft;

import java.util.ArrayList;
import java.util.List;

/**
 * The tail of the log that exists only in memory: entries (and possibly a received snapshot)
 * handed to the runtime in a {@link Ready} but not yet acknowledged as durable by
 * {@link RaftNode#advance}. It follows etcd's {@code unstable} (log_unstable.go).
 */
final class UnstableLog {

    /** A snapshot received from the leader and not yet installed, or {@code null}. */
    // Invariant: snapshot == null || offset == snapshot.lastIncludedIndex() + 1
    private SnapshotMetadata snapshot;

    // Invariant: entries.get(i).index() == offset + i
    private final ArrayList<Entry> entries = new ArrayList<>();

    /** The index the first unstable entry has, or would have. Everything before is durable. */
    private long offset;

    UnstableLog(long offset) {
        this.offset = offset;
    }

    long offset() {
        return offset;
    }

    SnapshotMetadata snapshot() {
        return snapshot;
    }

    List<Entry> entries() {
        return List.copyOf(entries);
    }

    boolean hasEntries() {
        return !entries.isEmpty();
    }

    /** The last index known here, or -1 if this part knows no last index. */
    long lastIndexOrUnknown() {
        if (!entries.isEmpty()) {
            return offset + entries.size() - 1;
        }
        return snapshot != null ? snapshot.lastIncludedIndex() : -1;
    }

    /** The term at {@code index} if this part knows it, or -1. */
    long termOrUnknown(long index) {
        if (index < offset) {
            return snapshot != null && snapshot.lastIncludedIndex() == index
                    ? snapshot.lastIncludedTerm() : -1;
        }
        long last = lastIndexOrUnknown();
        if (last < 0 || index > last) {
            return -1;
        }
        return entries.get(Math.toIntExact(index - offset)).term();
    }

    /**
     * Appends entries that follow the current log, or replace a suffix of it. When they start
     * at or before {@code offset}, they also replace durable entries; the runtime then
     * overwrites those when it persists them.
     */
    void truncateAndAppend(List<Entry> newEntries) {
        long first = newEntries.get(0).index();
        if (first > offset + entries.size()) {
            throw new IllegalStateException("entries starting at " + first + " leave a gap after "
                    + (offset + entries.size() - 1));
        }
        if (first == offset + entries.size()) {
            entries.addAll(newEntries);
        } else if (first <= offset) {
            offset = first;
            entries.clear();
            entries.addAll(newEntries);
        } else {
            entries.subList(Math.toIntExact(first - offset), entries.size()).clear();
            entries.addAll(newEntries);
        }
        checkInvariants();
    }

    /**
     * The runtime made entries up to {@code index} durable. If the entry there changed since
     * (a new leader replaced it), the acknowledgement is about entries that are gone, and the
     * new ones stay unstable.
     */
    void stableTo(long index, long term) {
        if (index < offset || termOrUnknown(index) != term) {
            return;
        }
        entries.subList(0, Math.toIntExact(index + 1 - offset)).clear();
        offset = index + 1;
        checkInvariants();
    }

    void stableSnapshotTo(long index) {
        if (snapshot != null && snapshot.lastIncludedIndex() == index) {
            snapshot = null;
        }
        checkInvariants();
    }

    /** Replaces the whole log with a received snapshot. */
    void restore(SnapshotMetadata received) {
        offset = received.lastIncludedIndex() + 1;
        entries.clear();
        snapshot = received;
        checkInvariants();
    }

    /**
     * Called at the end of every mutator. The entries are checked at both ends, which costs
     * nothing per entry; AppendEntries checks that the entries it carries have no gaps.
     */
    private void checkInvariants() {
        if (snapshot != null && offset != snapshot.lastIncludedIndex() + 1) {
            throw new IllegalStateException("unstable offset " + offset + " does not follow snapshot " + snapshot);
        }
        if (!entries.isEmpty() && entries.get(0).index() != offset) {
            throw new IllegalStateException("first unstable entry " + entries.get(0) + " is not at offset " + offset);
        }
        if (!entries.isEmpty() && entries.get(entries.size() - 1).index() != offset + entries.size() - 1) {
            throw new IllegalStateException("last unstable entry " + entries.get(entries.size() - 1)
                    + " is not at " + (offset + entries.size() - 1));
        }
    }

    /** Entries {@code [lo, hi)}, all of which lie in this part. */
    List<Entry> slice(long lo, long hi) {
        if (lo < offset || hi > offset + entries.size() || lo > hi) {
            throw new IllegalStateException("unstable slice [" + lo + ", " + hi + ") outside ["
                    + offset + ", " + (offset + entries.size()) + ")");
        }
        return new ArrayList<>(entries.subList(Math.toIntExact(lo - offset), Math.toIntExact(hi - offset)));
    }
}

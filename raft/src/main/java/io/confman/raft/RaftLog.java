package io.confman.raft;

import java.util.ArrayList;
import java.util.List;

/**
 * The log as Figure 2 sees it: durable entries read through {@link LogStorage}, followed by
 * the {@link UnstableLog}, with {@code commitIndex} and {@code lastApplied}.
 */
final class RaftLog {

    private final LogStorage storage;
    private final UnstableLog unstable;

    // Invariant: commitIndex <= lastIndex(), and it never decreases (committed entries are
    // never lost: Leader Completeness, thesis §3.6.3).
    private long commitIndex;

    // Invariant: appliedIndex <= commitIndex. It counts entries handed out in a Ready and
    // acknowledged with advance.
    private long appliedIndex;

    RaftLog(LogStorage storage, long commitIndex) {
        this.storage = storage;
        this.unstable = new UnstableLog(storage.lastIndex() + 1);
        SnapshotMetadata snapshot = storage.snapshot();
        if (commitIndex < snapshot.lastIncludedIndex()) {
            throw new IllegalStateException("stored commitIndex " + commitIndex
                    + " is below the snapshot index " + snapshot.lastIncludedIndex());
        }
        if (commitIndex > storage.lastIndex()) {
            throw new IllegalStateException("stored commitIndex " + commitIndex
                    + " is past the last stored index " + storage.lastIndex());
        }
        this.commitIndex = commitIndex;
        this.appliedIndex = snapshot.lastIncludedIndex();
    }

    long commitIndex() {
        return commitIndex;
    }

    long appliedIndex() {
        return appliedIndex;
    }

    long firstIndex() {
        SnapshotMetadata pending = unstable.snapshot();
        return pending != null ? pending.lastIncludedIndex() + 1 : storage.firstIndex();
    }

    long lastIndex() {
        long last = unstable.lastIndexOrUnknown();
        return last >= 0 ? last : storage.lastIndex();
    }

    long lastTerm() {
        return term(lastIndex());
    }

    LogPosition lastPosition() {
        return new LogPosition(lastIndex(), lastTerm());
    }

    /** The last index that is durable here: what the leader may count for itself. */
    long stableLastIndex() {
        return unstable.snapshot() != null ? 0 : unstable.offset() - 1;
    }

    /** True if the term at {@code index} is known: not compacted away, not past the end. */
    boolean hasTerm(long index) {
        return index >= firstIndex() - 1 && index <= lastIndex();
    }

    long term(long index) {
        if (!hasTerm(index)) {
            throw new IllegalStateException("no term known at " + index + ": log holds ["
                    + firstIndex() + ", " + lastIndex() + "]");
        }
        if (index == 0) {
            return 0;
        }
        long term = unstable.termOrUnknown(index);
        return term >= 0 ? term : storage.term(index);
    }

    boolean matchTerm(long index, long term) {
        return hasTerm(index) && term(index) == term;
    }

    /**
     * The election restriction (thesis §3.6.1): a log is at least as up-to-date as ours if
     * its last term is higher, or equal with an index at least as high.
     */
    boolean isUpToDate(long lastLogIndex, long lastLogTerm) {
        long ourLastTerm = lastTerm();
        return lastLogTerm > ourLastTerm || (lastLogTerm == ourLastTerm && lastLogIndex >= lastIndex());
    }

    /**
     * The largest index at or below {@code index} whose term is at most {@code term}, with
     * that term; the search for fast backtracking. Stops at the first index whose term is no
     * longer known (then its term is reported as 0).
     */
    LogPosition findConflictByTerm(long index, long term) {
        for (long i = index; i >= 0; i--) {
            if (!hasTerm(i)) {
                return new LogPosition(i, 0);
            }
            long t = term(i);
            if (t <= term) {
                return new LogPosition(i, t);
            }
        }
        return new LogPosition(0, 0);
    }

    /**
     * Appends entries a leader sent after a matching prevLogIndex (Figure 2, AppendEntries
     * steps 3 and 4): entries already present are skipped, and a conflicting suffix is
     * replaced. Entries already held are never truncated, so a delayed or duplicated message
     * cannot remove entries the follower has acknowledged.
     */
    void appendFromLeader(List<Entry> entries) {
        for (int i = 0; i < entries.size(); i++) {
            Entry entry = entries.get(i);
            if (!matchTerm(entry.index(), entry.term())) {
                if (entry.index() <= commitIndex) {
                    throw new IllegalStateException("leader sent " + entry + " conflicting with"
                            + " committed index " + commitIndex + " (State Machine Safety violated)");
                }
                unstable.truncateAndAppend(entries.subList(i, entries.size()));
                return;
            }
        }
    }

    /** A leader's own new entries (Leader Append-Only, thesis §3.5). */
    void appendAsLeader(Entry entry) {
        if (entry.index() != lastIndex() + 1) {
            throw new IllegalStateException("leader appends " + entry + " after " + lastIndex());
        }
        unstable.truncateAndAppend(List.of(entry));
    }

    void commitTo(long index) {
        if (index <= commitIndex) {
            return;
        }
        if (index > lastIndex()) {
            throw new IllegalStateException("commitIndex " + index + " past lastIndex " + lastIndex());
        }
        commitIndex = index;
    }

    void appliedTo(long index) {
        if (index > commitIndex) {
            throw new IllegalStateException("applied " + index + " past commitIndex " + commitIndex);
        }
        if (index < appliedIndex) {
            throw new IllegalStateException("applied index going back from " + appliedIndex + " to " + index);
        }
        appliedIndex = index;
    }

    /** Entries {@code [lo, lastIndex()]}, at most {@code maxBytes} of them but at least one. */
    List<Entry> entriesFrom(long lo, long maxBytes) {
        return entries(lo, lastIndex() + 1, maxBytes);
    }

    List<Entry> entries(long lo, long hi, long maxBytes) {
        if (lo >= hi) {
            return List.of();
        }
        if (lo < firstIndex() || hi > lastIndex() + 1) {
            throw new IllegalStateException("entries [" + lo + ", " + hi + ") outside ["
                    + firstIndex() + ", " + lastIndex() + "]");
        }
        List<Entry> out = new ArrayList<>();
        long offset = unstable.offset();
        if (lo < offset) {
            out.addAll(storage.entries(lo, Math.min(hi, offset), maxBytes));
            if (out.size() < Math.min(hi, offset) - lo) {
                return out; // The byte limit ended the batch inside the durable part.
            }
        }
        if (hi > offset) {
            out.addAll(unstable.slice(Math.max(lo, offset), hi));
        }
        return limitBytes(out, maxBytes);
    }

    private static List<Entry> limitBytes(List<Entry> entries, long maxBytes) {
        long bytes = 0;
        for (int i = 0; i < entries.size(); i++) {
            bytes += entries.get(i).sizeBytes();
            if (i > 0 && bytes > maxBytes) {
                return entries.subList(0, i);
            }
        }
        return entries;
    }

    /** Committed entries not yet handed out for applying, at most {@code maxBytes} of them. */
    List<Entry> nextCommittedEntries(long maxBytes) {
        if (unstable.snapshot() != null) {
            return List.of(); // The snapshot replaces them; apply after it is installed.
        }
        return entries(appliedIndex + 1, commitIndex + 1, maxBytes);
    }

    boolean hasCommittedEntriesToApply() {
        return unstable.snapshot() == null && commitIndex > appliedIndex;
    }

    List<Entry> unstableEntries() {
        return unstable.entries();
    }

    boolean hasUnstableEntries() {
        return unstable.hasEntries();
    }

    SnapshotMetadata unstableSnapshot() {
        return unstable.snapshot();
    }

    SnapshotMetadata storageSnapshot() {
        return storage.snapshot();
    }

    /**
     * The runtime says the contiguous {@code entries} of a Ready are durable. Checked against
     * what storage now holds, the other side of the disk (STYLE 8): the first and the last
     * entry, which between them catch a write that was cut short or began in the wrong place.
     */
    void stableTo(List<Entry> entries) {
        Entry first = entries.get(0);
        Entry last = entries.get(entries.size() - 1);
        requireStored(first);
        requireStored(last);
        unstable.stableTo(last.index(), last.term());
    }

    /** Storage holds {@code entry}, or held it and compacted it away since. */
    private void requireStored(Entry entry) {
        if (storage.lastIndex() < entry.index()) {
            throw new IllegalStateException("advance() acknowledged entry " + entry.term() + "/" + entry.index()
                    + " that storage does not hold (its last index is " + storage.lastIndex() + ")");
        }
        boolean readable = entry.index() >= storage.firstIndex() - 1;
        if (readable && storage.term(entry.index()) != entry.term()) {
            throw new IllegalStateException("advance() acknowledged entry " + entry.term() + "/" + entry.index()
                    + " that storage does not hold (it holds term " + storage.term(entry.index()) + " there)");
        }
    }

    /**
     * The runtime says it installed {@code snapshot}. Storage must hold exactly that one: the
     * runtime compacts only up to what it applied, and nothing past the snapshot was applied
     * before this acknowledgement, so any other snapshot there is a runtime bug.
     */
    void stableSnapshotTo(SnapshotMetadata snapshot) {
        if (!storage.snapshot().equals(snapshot)) {
            throw new IllegalStateException("advance() acknowledged snapshot " + snapshot
                    + " that storage does not hold (its snapshot is " + storage.snapshot() + ")");
        }
        unstable.stableSnapshotTo(snapshot.lastIncludedIndex());
        appliedIndex = Math.max(appliedIndex, snapshot.lastIncludedIndex());
    }

    /** The runtime says {@code hardState} is durable; storage must hold exactly it. */
    void stableHardState(HardState hardState) {
        if (!storage.hardState().equals(hardState)) {
            throw new IllegalStateException("advance() acknowledged hard state " + hardState
                    + " that storage does not hold (it holds " + storage.hardState() + ")");
        }
    }

    /**
     * Replaces the log with a snapshot from the leader, which covers entries this log does
     * not hold or holds with other terms (thesis §5.1: "the follower discards its entire log").
     */
    void restore(SnapshotMetadata snapshot) {
        if (snapshot.lastIncludedIndex() <= commitIndex) {
            throw new IllegalStateException("restoring " + snapshot + " at or below commitIndex " + commitIndex);
        }
        unstable.restore(snapshot);
        commitIndex = snapshot.lastIncludedIndex();
    }
}

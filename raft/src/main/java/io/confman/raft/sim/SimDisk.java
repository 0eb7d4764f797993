package io.confman.raft.sim;

import io.confman.raft.Entry;
import io.confman.raft.HardState;
import io.confman.raft.LogStorage;
import io.confman.raft.SnapshotMetadata;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * What a simulated node holds durably: the hard state, the log and the metadata of its
 * snapshot. Only {@link SimNode} writes here, and only when the simulated fsync of a Ready
 * completes, so anything a crash must lose was never written here in the first place.
 *
 * <p>Not final: a test subclass may plant a storage bug (a disk that forgets to truncate, or
 * one that loses the vote) by overriding {@link #writeEntries} or {@link #writeHardState}.
 */
public class SimDisk implements LogStorage {

    private HardState hardState = HardState.EMPTY;
    private SnapshotMetadata snapshot = SnapshotMetadata.EMPTY;
    // Invariant: entries.get(i).index() == snapshot.lastIncludedIndex() + 1 + i
    protected final ArrayList<Entry> entries = new ArrayList<>();

    @Override
    public HardState hardState() {
        return hardState;
    }

    @Override
    public SnapshotMetadata snapshot() {
        return snapshot;
    }

    @Override
    public long firstIndex() {
        return snapshot.lastIncludedIndex() + 1;
    }

    @Override
    public long lastIndex() {
        return snapshot.lastIncludedIndex() + entries.size();
    }

    @Override
    public long term(long index) {
        if (index == snapshot.lastIncludedIndex()) {
            return snapshot.lastIncludedTerm();
        }
        requireRange(index, index + 1);
        return entries.get(offsetOf(index)).term();
    }

    @Override
    public List<Entry> entries(long lo, long hi, long maxBytes) {
        requireRange(lo, hi);
        List<Entry> out = new ArrayList<>();
        long bytes = 0;
        for (long index = lo; index < hi; index++) {
            Entry entry = entries.get(offsetOf(index));
            bytes += entry.sizeBytes();
            if (!out.isEmpty() && bytes > maxBytes) {
                break;
            }
            out.add(entry);
        }
        return out;
    }

    /** Every entry the disk holds, oldest first. */
    public List<Entry> allEntries() {
        return List.copyOf(entries);
    }

    /** Writes the hard state of a Ready (term, vote and commit index). */
    protected void writeHardState(HardState state) {
        hardState = Objects.requireNonNull(state, "state");
    }

    /**
     * Writes entries of a Ready: the stored entry at the first new index and every later one
     * are replaced, since a new leader may overwrite an uncommitted suffix (thesis §3.5).
     */
    protected void writeEntries(List<Entry> newEntries) {
        if (newEntries.isEmpty()) {
            return;
        }
        long first = newEntries.get(0).index();
        requireAttaches(first);
        entries.subList(offsetOf(first), entries.size()).clear();
        entries.addAll(newEntries);
    }

    /** Replaces the whole log with a snapshot received from a leader (thesis §5.1). */
    void installSnapshot(SnapshotMetadata installed) {
        if (installed.lastIncludedIndex() < snapshot.lastIncludedIndex()) {
            throw new IllegalStateException("snapshot " + installed + " is older than " + snapshot);
        }
        entries.clear();
        snapshot = installed;
    }

    /** Drops the entries a snapshot the node took now covers; later entries stay. */
    void compact(SnapshotMetadata taken) {
        long index = taken.lastIncludedIndex();
        if (index <= snapshot.lastIncludedIndex() || index > lastIndex()) {
            throw new IllegalStateException("cannot compact to " + index + ": disk holds ["
                    + firstIndex() + ", " + lastIndex() + "]");
        }
        if (term(index) != taken.lastIncludedTerm()) {
            throw new IllegalStateException("snapshot term " + taken.lastIncludedTerm()
                    + " differs from the disk's term " + term(index) + " at " + index);
        }
        entries.subList(0, offsetOf(index) + 1).clear();
        snapshot = taken;
    }

    protected void requireAttaches(long first) {
        if (first < firstIndex() || first > lastIndex() + 1) {
            throw new IllegalStateException("entries starting at " + first
                    + " do not attach to a disk holding [" + firstIndex() + ", " + lastIndex() + "]");
        }
    }

    protected int offsetOf(long index) {
        return Math.toIntExact(index - firstIndex());
    }

    private void requireRange(long lo, long hi) {
        if (lo < firstIndex() || hi > lastIndex() + 1 || lo >= hi) {
            throw new IllegalArgumentException("range [" + lo + ", " + hi + ") is outside the disk ["
                    + firstIndex() + ", " + lastIndex() + "]");
        }
    }
}

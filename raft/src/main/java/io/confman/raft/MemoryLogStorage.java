package io.confman.raft;

import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * A {@link LogStorage} kept in memory, for tests, the simulator and the runtime's tests.
 * "Durable" here means "survives a {@link RaftNode} being thrown away and rebuilt", which is
 * how the scenario tests and the simulator model a crash.
 *
 * <p>Not final: the simulator's disk ({@code sim.SimDisk}) is this class, and its test
 * subclasses plant storage bugs by overriding what the disk writes. Production code has
 * its own durable storage and never extends this one.
 */
public class MemoryLogStorage implements LogStorage {

    private HardState hardState = HardState.EMPTY;
    private SnapshotMetadata snapshot = SnapshotMetadata.EMPTY;
    // Invariant: entries.get(i).index() == snapshot.lastIncludedIndex() + 1 + i
    private final ArrayList<Entry> entries = new ArrayList<>();

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

    /** Persists the hard state of a {@link Ready}. */
    public void setHardState(HardState state) {
        this.hardState = Objects.requireNonNull(state, "state");
    }

    /**
     * Persists entries of a {@link Ready}: any entry at or after the first new index is
     * replaced, since a new leader may overwrite an uncommitted suffix (thesis §3.5).
     */
    public void append(List<Entry> newEntries) {
        if (newEntries.isEmpty()) {
            return;
        }
        long first = newEntries.get(0).index();
        if (first < firstIndex() || first > lastIndex() + 1) {
            throw new IllegalArgumentException("entries starting at " + first
                    + " do not attach to a log holding [" + firstIndex() + ", " + lastIndex() + "]");
        }
        entries.subList(offsetOf(first), entries.size()).clear();
        entries.addAll(newEntries);
    }

    /**
     * Replaces the whole log with a snapshot received from the leader (the log was
     * inconsistent with it, or shorter).
     */
    public void installSnapshot(SnapshotMetadata installed) {
        if (installed.lastIncludedIndex() < snapshot.lastIncludedIndex()) {
            throw new IllegalArgumentException("snapshot " + installed + " is older than " + snapshot);
        }
        entries.clear();
        snapshot = installed;
    }

    /**
     * Discards entries up to {@code snapshot.lastIncludedIndex()} after the runtime took a
     * snapshot of its state machine there (thesis §5.1); later entries stay.
     */
    public void compact(SnapshotMetadata taken) {
        long index = taken.lastIncludedIndex();
        if (index <= snapshot.lastIncludedIndex() || index > lastIndex()) {
            throw new IllegalArgumentException("cannot compact to " + index + ": log holds ["
                    + firstIndex() + ", " + lastIndex() + "]");
        }
        if (term(index) != taken.lastIncludedTerm()) {
            throw new IllegalArgumentException("snapshot term " + taken.lastIncludedTerm()
                    + " differs from the log's term " + term(index) + " at " + index);
        }
        entries.subList(0, offsetOf(index) + 1).clear();
        snapshot = taken;
    }

    /** Persists everything a {@link Ready} asks to persist, in the order the contract needs. */
    public void persist(Ready ready) {
        if (ready.snapshotToInstall() != null) {
            installSnapshot(ready.snapshotToInstall());
        }
        append(ready.entries());
        if (ready.hardState() != null) {
            setHardState(ready.hardState());
        }
    }

    private void requireRange(long lo, long hi) {
        if (lo < firstIndex() || hi > lastIndex() + 1 || lo >= hi) {
            throw new IllegalArgumentException("range [" + lo + ", " + hi + ") is outside the log ["
                    + firstIndex() + ", " + lastIndex() + "]");
        }
    }

    private int offsetOf(long index) {
        return Math.toIntExact(index - firstIndex());
    }
}

package io.confman.raft.sim;

import io.confman.raft.Entry;
import io.confman.raft.HardState;
import io.confman.raft.MemoryLogStorage;
import java.util.List;

/**
 * What a simulated node holds durably: the hard state, the log and the metadata of its
 * snapshot, kept by the core's own {@link MemoryLogStorage}. Only {@link SimNode} writes
 * here, and only when the simulated fsync of a Ready completes, so anything a crash must
 * lose was never written here in the first place.
 *
 * <p>Not final: a test subclass may plant a storage bug (a disk that forgets to truncate, or
 * one that loses the vote) by overriding {@link #writeEntries} or {@link #writeHardState}.
 */
public class SimDisk extends MemoryLogStorage {

    /** Every entry the disk holds, oldest first. */
    public List<Entry> allEntries() {
        if (lastIndex() < firstIndex()) {
            return List.of();
        }
        return entries(firstIndex(), lastIndex() + 1, Long.MAX_VALUE);
    }

    /** Writes the hard state of a Ready (term, vote and commit index). */
    protected void writeHardState(HardState state) {
        setHardState(state);
    }

    /**
     * Writes entries of a Ready: the stored entry at the first new index and every later one
     * are replaced, since a new leader may overwrite an uncommitted suffix (thesis §3.5).
     */
    protected void writeEntries(List<Entry> newEntries) {
        append(newEntries);
    }
}

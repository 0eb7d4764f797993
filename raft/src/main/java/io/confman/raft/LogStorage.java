package io.confman.raft;

import java.util.List;

/**
 * The durable part of a node's log, as the core reads it. The runtime writes to it what
 * each {@link Ready} hands over (hard state, entries, snapshots) before it calls
 * {@link RaftNode#advance}; the core never writes. Entries not yet written live in the
 * core's unstable part (as in etcd's raft).
 *
 * <p>After a snapshot, the log holds {@code [firstIndex(), lastIndex()]} and the snapshot
 * stands in for everything up to {@code firstIndex() - 1}, whose term stays known.
 */
public interface LogStorage {

    /**
     * The hard state last persisted. Read when a node starts, and by {@link RaftNode#advance},
     * which throws unless it equals the {@link Ready#hardState()} the runtime acknowledges.
     */
    HardState hardState();

    /**
     * The metadata of the latest snapshot, {@link SnapshotMetadata#EMPTY} if none.
     * {@link RaftNode#advance} throws unless it equals the {@link Ready#snapshotToInstall()}
     * the runtime acknowledges, so the runtime must not compact the log between persisting a
     * Ready that installs a snapshot and advancing it.
     */
    SnapshotMetadata snapshot();

    /** The first index that holds an entry: {@code snapshot().lastIncludedIndex() + 1}. */
    long firstIndex();

    /** The last index that holds an entry, or the snapshot's index if the log is empty. */
    long lastIndex();

    /**
     * The term of the entry at {@code index}, for {@code firstIndex() - 1 <= index <= lastIndex()}
     * (index 0 has term 0). Other indexes are a bug in the caller. {@link RaftNode#advance}
     * reads the terms of the first and the last of a Ready's {@link Ready#entries()} and throws
     * unless they are the ones acknowledged (entries compacted away meanwhile are not read).
     */
    long term(long index);

    /**
     * Entries {@code [lo, hi)} with {@code firstIndex() <= lo < hi <= lastIndex() + 1}, stopping
     * before the total {@link Entry#sizeBytes()} would pass {@code maxBytes}, but always at
     * least one entry.
     */
    List<Entry> entries(long lo, long hi, long maxBytes);
}

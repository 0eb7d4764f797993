package io.confman.storage.raft;

import io.confman.storage.wal.WalOptions;
import java.util.Objects;

/**
 * Limits of a node's durable storage, each checked here so that a bad value fails at start.
 *
 * @param wal                    the write-ahead log's own limits
 * @param trailingEntriesCount   entries kept in the WAL below a snapshot's index when the log
 *                               is compacted (etcd's {@code SnapshotCatchUpEntries}, 5,000 by
 *                               default there): compaction deletes segments only up to
 *                               {@code snapshotIndex - trailingEntriesCount}. See
 *                               {@link DurableLogStorage#compactTo} for what they serve today.
 * @param entryCacheEntriesMax   recent entries kept in memory so that a leader replicating
 *                               fresh entries does not read them back from disk
 * @param entryCacheBytesMax     the same cache's bound in {@link io.confman.raft.Entry#sizeBytes()}
 * @param snapshotsRetainedCount snapshot files kept (the newest ones); at least 1, 2 lets a
 *                               leader finish streaming the previous snapshot after a new one
 */
public record StorageOptions(WalOptions wal, long trailingEntriesCount, int entryCacheEntriesMax,
                             long entryCacheBytesMax, int snapshotsRetainedCount) {

    public StorageOptions {
        Objects.requireNonNull(wal, "wal");
        if (trailingEntriesCount < 0) {
            throw new IllegalArgumentException("trailingEntriesCount must be >= 0, was " + trailingEntriesCount);
        }
        if (entryCacheEntriesMax < 0) {
            throw new IllegalArgumentException("entryCacheEntriesMax must be >= 0, was " + entryCacheEntriesMax);
        }
        if (entryCacheBytesMax < 0) {
            throw new IllegalArgumentException("entryCacheBytesMax must be >= 0, was " + entryCacheBytesMax);
        }
        if (snapshotsRetainedCount < 1) {
            throw new IllegalArgumentException("snapshotsRetainedCount must be >= 1, was " + snapshotsRetainedCount);
        }
    }

    /** WAL defaults, 5,000 trailing entries (as etcd), a 4,096-entry / 4 MiB cache, two snapshots. */
    public static StorageOptions defaults() {
        return new StorageOptions(WalOptions.defaults(), 5_000, 4_096, 4L << 20, 2);
    }

    public StorageOptions withWal(WalOptions options) {
        return new StorageOptions(options, trailingEntriesCount, entryCacheEntriesMax, entryCacheBytesMax,
                snapshotsRetainedCount);
    }

    public StorageOptions withTrailingEntriesCount(long count) {
        return new StorageOptions(wal, count, entryCacheEntriesMax, entryCacheBytesMax, snapshotsRetainedCount);
    }

    public StorageOptions withEntryCache(int entriesMax, long bytesMax) {
        return new StorageOptions(wal, trailingEntriesCount, entriesMax, bytesMax, snapshotsRetainedCount);
    }
}

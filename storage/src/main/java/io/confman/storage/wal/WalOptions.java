package io.confman.storage.wal;

/**
 * Limits of a {@link SegmentedLog}, each checked here so that a bad value fails at start,
 * not in the middle of a write.
 *
 * @param segmentSizeBytes size every segment file is preallocated to
 * @param commandQueueCommandsMax bound of the queue between callers and the writer thread;
 *     a full queue blocks callers, which is the log's back-pressure
 * @param writeBatchBytesMax frames the writer gathers into one write before an fdatasync;
 *     bounds both memory and the latency one group commit can add; recovery relies on it
 *     (FORMAT.md section 4, step 6)
 * @param io the file-system operations that change the disk; {@link StorageIo#fileSystem()}
 *     except in tests that simulate crashes
 */
public record WalOptions(long segmentSizeBytes, int commandQueueCommandsMax, int writeBatchBytesMax, StorageIo io) {
    public static final long SEGMENT_SIZE_BYTES_MIN = 4096;
    /** Offsets inside a segment are Java ints. */
    public static final long SEGMENT_SIZE_BYTES_MAX = 1L << 30;

    public WalOptions {
        if (segmentSizeBytes < SEGMENT_SIZE_BYTES_MIN || segmentSizeBytes > SEGMENT_SIZE_BYTES_MAX) {
            throw new IllegalArgumentException("segmentSizeBytes must be in " + SEGMENT_SIZE_BYTES_MIN + ".."
                    + SEGMENT_SIZE_BYTES_MAX + ", was " + segmentSizeBytes);
        }
        if (segmentSizeBytes % Format.FRAME_ALIGNMENT_BYTES != 0) {
            throw new IllegalArgumentException("segmentSizeBytes must be a multiple of 8, was " + segmentSizeBytes);
        }
        if (commandQueueCommandsMax < 1) {
            throw new IllegalArgumentException("commandQueueCommandsMax must be >= 1, was " + commandQueueCommandsMax);
        }
        if (writeBatchBytesMax < 4096) {
            throw new IllegalArgumentException("writeBatchBytesMax must be >= 4096, was " + writeBatchBytesMax);
        }
        if (io == null) {
            throw new IllegalArgumentException("io must not be null (use StorageIo.fileSystem())");
        }
    }

    /** Options on the real file system. */
    public WalOptions(long segmentSizeBytes, int commandQueueCommandsMax, int writeBatchBytesMax) {
        this(segmentSizeBytes, commandQueueCommandsMax, writeBatchBytesMax, StorageIo.fileSystem());
    }

    /** The same limits, with the file-system operations done through {@code io}. */
    public WalOptions withIo(StorageIo io) {
        return new WalOptions(segmentSizeBytes, commandQueueCommandsMax, writeBatchBytesMax, io);
    }

    /** 64 MiB segments (as etcd), 1024 queued commands, 4 MiB per group commit. */
    public static WalOptions defaults() {
        return new WalOptions(64L << 20, 1024, 4 << 20);
    }

    /** The largest payload one record may carry: it must fit in one segment. */
    public long payloadBytesMax() {
        return Format.payloadBytesMax(segmentSizeBytes);
    }
}

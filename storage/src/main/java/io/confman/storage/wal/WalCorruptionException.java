package io.confman.storage.wal;

import java.io.IOException;

/**
 * The log on disk is damaged in a way that is not an interrupted append (FORMAT.md
 * section 4). Thrown by {@link SegmentedLog#open}; the log is left untouched so that a
 * person can inspect it with {@code confman wal dump}.
 */
public final class WalCorruptionException extends IOException {
    private final String segment;
    private final long offset;

    public WalCorruptionException(String segment, long offset, String reason) {
        super("write-ahead log corrupt at segment " + segment + " offset " + offset + ": " + reason);
        this.segment = segment;
        this.offset = offset;
    }

    /** The segment's file name. */
    public String segment() {
        return segment;
    }

    /** The byte offset in the segment where the damage starts. */
    public long offset() {
        return offset;
    }
}

package io.confman.store;

import java.io.IOException;

/** A snapshot stream is corrupt, truncated, padded or of an unknown format; nothing was restored. */
public final class SnapshotFormatException extends IOException {
    private final long offset;

    public SnapshotFormatException(String problem, long offset) {
        super(problem + " (at snapshot offset " + offset + ")");
        this.offset = offset;
    }

    public long offset() {
        return offset;
    }
}

package io.confman.storage.raft;

import java.io.IOException;

/**
 * A snapshot file fails a check of {@code storage/FORMAT.md} section 8 (magic, version,
 * reserved bytes, header CRC, name, length or body CRC). The file is left in place so that
 * a person can look at it; the node must not start from it.
 */
public final class SnapshotCorruptionException extends IOException {
    private final String file;

    public SnapshotCorruptionException(String file, String reason) {
        super("snapshot file " + file + " is damaged: " + reason);
        this.file = file;
    }

    /** The snapshot file's name. */
    public String file() {
        return file;
    }
}

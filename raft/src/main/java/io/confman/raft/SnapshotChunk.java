package io.confman.raft;

import java.util.Objects;

/**
 * Part of a snapshot a follower received from its leader, which the runtime must write
 * (at {@code offset} of the snapshot being received) before it sends the acknowledgement
 * that sits in {@link Ready#messagesAfterPersist()}.
 *
 * @param last true for the final chunk; the same {@link Ready} then names the snapshot
 *             to install in {@link Ready#snapshotToInstall()}
 */
public record SnapshotChunk(SnapshotMetadata snapshot, long offset, byte[] data, boolean last) {
    public SnapshotChunk {
        Objects.requireNonNull(snapshot, "snapshot");
        Objects.requireNonNull(data, "data");
        if (offset < 0 || offset + data.length > snapshot.sizeBytes()) {
            throw new IllegalArgumentException("chunk [" + offset + ", " + (offset + data.length)
                    + ") lies outside a snapshot of " + snapshot.sizeBytes() + " bytes");
        }
    }

    @Override
    public String toString() {
        return "SnapshotChunk[" + snapshot + " offset=" + offset + " bytes=" + data.length
                + (last ? " last" : "") + "]";
    }
}

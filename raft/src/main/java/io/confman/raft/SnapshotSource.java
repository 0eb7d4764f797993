package io.confman.raft;

/**
 * Where a leader reads the bytes of a snapshot it streams to a lagging follower. The
 * runtime provides it; the core asks for one chunk at a time so that it never holds a
 * whole snapshot (thesis §5.1, InstallSnapshot sent in chunks).
 */
public interface SnapshotSource {

    /**
     * Returns the bytes {@code [offset, offset + min(maxBytes, size - offset))} of the
     * snapshot that {@code snapshot} describes. The runtime must keep that snapshot readable
     * while it is the one {@link LogStorage#snapshot()} returns.
     */
    byte[] read(SnapshotMetadata snapshot, long offset, int maxBytes);

    /** A source for nodes that never take snapshots: any read is a bug. */
    SnapshotSource NONE = (snapshot, offset, maxBytes) -> {
        throw new IllegalStateException("no snapshot source, yet asked for " + snapshot);
    };
}

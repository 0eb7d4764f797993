package io.confman.raft;

import java.io.ByteArrayOutputStream;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;
import java.util.Objects;

/**
 * Snapshot bytes kept in memory, for tests and the simulator: the snapshots a node took or
 * installed (which it serves as a {@link SnapshotSource} when leader), and the one it is
 * receiving chunk by chunk.
 */
public final class MemorySnapshotStore implements SnapshotSource {

    private final Map<SnapshotMetadata, byte[]> snapshots = new HashMap<>();
    private SnapshotMetadata receiving;
    private final ByteArrayOutputStream received = new ByteArrayOutputStream();

    /** Stores a snapshot the node took of its own state machine. */
    public void put(SnapshotMetadata snapshot, byte[] data) {
        if (data.length != snapshot.sizeBytes()) {
            throw new IllegalArgumentException(snapshot + " declares " + snapshot.sizeBytes()
                    + " bytes, got " + data.length);
        }
        snapshots.put(snapshot, data.clone());
    }

    /** The bytes of a stored snapshot. */
    public byte[] get(SnapshotMetadata snapshot) {
        byte[] data = snapshots.get(snapshot);
        if (data == null) {
            throw new IllegalArgumentException("no snapshot " + snapshot);
        }
        return data.clone();
    }

    /** Writes a chunk of {@link Ready#snapshotChunks()}; chunks arrive in order from offset 0. */
    public void write(SnapshotChunk chunk) {
        if (chunk.offset() == 0) {
            receiving = chunk.snapshot();
            received.reset();
        }
        if (!Objects.equals(receiving, chunk.snapshot()) || chunk.offset() != received.size()) {
            throw new IllegalStateException("chunk " + chunk + " does not continue " + receiving
                    + " at " + received.size());
        }
        received.writeBytes(chunk.data());
    }

    /** Completes the snapshot of {@link Ready#snapshotToInstall()} and returns its bytes. */
    public byte[] finishReceiving(SnapshotMetadata snapshot) {
        if (!snapshot.equals(receiving) || received.size() != snapshot.sizeBytes()) {
            throw new IllegalStateException("cannot install " + snapshot + ": received "
                    + received.size() + " bytes of " + receiving);
        }
        byte[] data = received.toByteArray();
        snapshots.put(snapshot, data);
        receiving = null;
        received.reset();
        return data.clone();
    }

    @Override
    public byte[] read(SnapshotMetadata snapshot, long offset, int maxBytes) {
        byte[] data = get(snapshot);
        int from = Math.toIntExact(offset);
        int to = (int) Math.min(data.length, offset + maxBytes);
        return Arrays.copyOfRange(data, from, to);
    }
}

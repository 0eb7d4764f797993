package io.confman.store;

import io.confman.store.command.Value;

/**
 * A key's state, immutable: a write replaces the record instead of changing it, which is
 * what lets a snapshot writer on another thread read records without locks.
 *
 * <p>A tombstone (null value) stands for a key deleted while a snapshot was open; it
 * keeps the key's place in the map until the snapshot is written (see {@link SnapshotView}).
 */
record KeyRecord(Value value, long version, long createRevision, long modRevision) {

    static KeyRecord tombstone(long deleteRevision) {
        return new KeyRecord(null, 0, 0, deleteRevision);
    }

    boolean isTombstone() {
        return value == null;
    }

    KeyMeta meta(String namespace, String key) {
        return new KeyMeta(namespace, key, version, createRevision, modRevision, value.sizeBytes(), value.isBlob());
    }
}

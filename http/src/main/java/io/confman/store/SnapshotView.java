package io.confman.store;

import io.confman.storage.blob.BlobDigest;
import io.confman.store.command.Value;
import java.util.HashSet;
import java.util.Set;

import java.io.IOException;
import java.io.OutputStream;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentSkipListMap;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The state of a {@link ConfigStore} at one applied index, which another thread can write
 * while the loop thread goes on applying, as thesis §5.2 asks of a memory-based state
 * machine (snapshot by copy-on-write). See "Point-in-time view" in {@code http/STORE.md}.
 *
 * <p>How it works: records are immutable and the maps are concurrent. Before the loop
 * thread replaces or deletes a record that the view covers (its mod_revision is at most
 * the view's revision), it stores the old record here, in {@code preserved}, once per
 * key. While the view is open, a delete leaves a tombstone instead of removing the key, so
 * the map's keys never shrink and the writer's weakly consistent iteration sees every key
 * that existed when the view opened. For each key the writer reads the live record; if its
 * mod_revision is above the view's revision, the record the view needs is in
 * {@code preserved} (put there before the live record changed), or the key did not exist
 * at the view's revision.
 *
 * <p>Memory cost: a copy of the session table (one object per session and per held result,
 * made at open), plus one old record and one tombstone per key written or deleted while the
 * view is open.
 */
public final class SnapshotView implements AutoCloseable {

    /** What a writer does with each record of the view, in (namespace, key) order. */
    interface RecordVisitor {
        void visit(String namespace, String key, KeyRecord record) throws IOException;
    }

    private static final int OPEN = 0;
    private static final int WRITING = 1;
    private static final int WRITTEN = 2;
    private static final int CLOSED = 3;

    private final ConfigStore store;
    private final ConcurrentSkipListMap<String, ConcurrentSkipListMap<String, KeyRecord>> namespaces;
    private final long appliedIndex;
    private final long revision;
    private final long keyCount;
    private final int clientSessionsMax;
    private final List<ClientSessions.Session> sessions;
    /** Records the loop thread replaced after the view opened, as they were at {@link #revision}. */
    private final Map<NsKey, KeyRecord> preserved = new ConcurrentHashMap<>();
    private final AtomicInteger state = new AtomicInteger(OPEN);
    /** The blobs the records written point to; filled by the writer, read after it returned. */
    private final Set<BlobDigest> writtenBlobs = new HashSet<>();

    SnapshotView(ConfigStore store,
                 ConcurrentSkipListMap<String, ConcurrentSkipListMap<String, KeyRecord>> namespaces,
                 long appliedIndex, long revision, long keyCount, int clientSessionsMax,
                 List<ClientSessions.Session> sessions) {
        this.store = store;
        this.namespaces = namespaces;
        this.appliedIndex = appliedIndex;
        this.revision = revision;
        this.keyCount = keyCount;
        this.clientSessionsMax = clientSessionsMax;
        this.sessions = List.copyOf(sessions);
    }

    /** The last log index whose effect the view includes (the snapshot's lastIncludedIndex). */
    public long appliedIndex() {
        return appliedIndex;
    }

    public long revision() {
        return revision;
    }

    public long keyCount() {
        return keyCount;
    }

    /**
     * Streams the snapshot to {@code out}, from any thread, at most once. It never holds the
     * whole snapshot in memory: the writer buffers 64 KiB at a time. {@code out} is flushed,
     * not closed.
     */
    public void writeTo(OutputStream out) throws IOException {
        if (!state.compareAndSet(OPEN, WRITING)) {
            throw new IllegalStateException("a snapshot view is written once, while open; state " + state.get());
        }
        try {
            SnapshotFormat.write(this, out);
        } finally {
            state.set(WRITTEN);
        }
    }

    /**
     * Releases the view on the loop thread, after {@link #writeTo} returned (or if it is
     * never called): the preserved records are dropped and tombstones removed.
     */
    @Override
    public void close() {
        int current = state.get();
        if (current == CLOSED) {
            return;
        }
        if (current == WRITING || !state.compareAndSet(current, CLOSED)) {
            throw new IllegalStateException("closing a snapshot view while it is being written");
        }
        preserved.clear();
        store.closeSnapshot(this);
    }

    /**
     * The blobs the written snapshot points to, exactly (a key relocated while the view was
     * open may be written as its pointer): valid once {@link #writeTo} returned.
     */
    public Set<BlobDigest> writtenBlobs() {
        if (state.get() == OPEN || state.get() == WRITING) {
            throw new IllegalStateException("the view's blobs are known once it is written");
        }
        return Set.copyOf(writtenBlobs);
    }

    int clientSessionsMax() {
        return clientSessionsMax;
    }

    List<ClientSessions.Session> sessions() {
        return sessions;
    }

    /** Called by the loop thread before it replaces {@code old}, which the view covers. */
    void preserve(NsKey id, KeyRecord old) {
        KeyRecord earlier = preserved.putIfAbsent(id, old);
        if (earlier != null) {
            throw new IllegalStateException("a key is preserved once per view, " + id + " twice");
        }
    }

    /** Visits every key as it was at {@link #revision}, in (namespace, key) order. */
    void forEachRecord(RecordVisitor visitor) throws IOException {
        for (Map.Entry<String, ConcurrentSkipListMap<String, KeyRecord>> namespace : namespaces.entrySet()) {
            for (Map.Entry<String, KeyRecord> entry : namespace.getValue().entrySet()) {
                KeyRecord record = entry.getValue();
                if (record.modRevision() > revision) {
                    record = preserved.get(new NsKey(namespace.getKey(), entry.getKey()));
                    if (record == null) {
                        continue; // created after the view opened
                    }
                }
                if (record.isTombstone()) {
                    throw new IllegalStateException("a tombstone from before the view: " + entry.getKey());
                }
                if (record.value() instanceof Value.BlobPointer pointer) {
                    writtenBlobs.add(pointer.digest());
                }
                visitor.visit(namespace.getKey(), entry.getKey(), record);
            }
        }
    }
}

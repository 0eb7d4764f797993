package io.confman.store;

import io.confman.store.command.Command;
import io.confman.store.command.CommandCodec;
import io.confman.store.command.CommandDecodingException;
import io.confman.store.command.Names;
import io.confman.store.command.Precondition;
import io.confman.store.command.RequestId;
import io.confman.store.command.Value;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.ConcurrentNavigableMap;
import java.util.concurrent.ConcurrentSkipListMap;

/**
 * The config store: the replicated state machine behind the client API. Pure,
 * deterministic and single-threaded: the node's loop thread owns it and calls every
 * method; the one exception is {@link SnapshotView#writeTo}, which may run on another
 * thread while the loop goes on applying.
 *
 * <p>Semantics follow etcd: one global revision that grows by one per successful write
 * (a failed precondition does not move it), per key a version (1 on create, +1 per
 * update, reset by delete), a create_revision and a mod_revision.
 */
public final class ConfigStore {

    private final StoreLimits limits;
    /**
     * Namespaces in name order, each a sorted map of its keys. Concurrent maps only so that a
     * snapshot writer may iterate them from another thread; every write happens on the loop
     * thread. Invariant: no namespace map is empty while no snapshot is open.
     */
    private final ConcurrentSkipListMap<String, ConcurrentSkipListMap<String, KeyRecord>> namespaces =
            new ConcurrentSkipListMap<>();
    private final ClientSessions sessions;
    private final Waiters waiters;
    /** Invariant: grows by exactly one per apply, so no entry is applied twice or skipped. */
    private long appliedIndex;
    /**
     * Invariant: every record's modRevision <= revision, and revision <= appliedIndex,
     * because one entry makes at most one write.
     */
    private long revision;
    /** Invariant: the number of records that are not tombstones. */
    private long keyCount;
    /** The snapshot being written, or null; at most one at a time. */
    private SnapshotView openSnapshot;
    /** Which blobs the live keys point to, and which ones lost their last key. */
    private final BlobRefs blobs = new BlobRefs();
    /** Keys deleted while {@link #openSnapshot} is open, removed for good when it closes. */
    private final List<NsKey> tombstones = new ArrayList<>();

    public ConfigStore(StoreLimits limits, WaitListener listener) {
        this.limits = Objects.requireNonNull(limits, "limits");
        this.sessions = new ClientSessions(limits.clientSessionsMax());
        this.waiters = new Waiters(limits.watchersMax(), Objects.requireNonNull(listener, "listener"));
    }

    public StoreLimits limits() {
        return limits;
    }

    public long appliedIndex() {
        return appliedIndex;
    }

    /** The global revision: the number of successful writes applied so far. */
    public long revision() {
        return revision;
    }

    public long keyCount() {
        return keyCount;
    }

    // ---- Applying the log ------------------------------------------------------------

    /**
     * Applies the command of the committed log entry at {@code index}, which must be the
     * entry right after {@link #appliedIndex()}.
     *
     * @throws CommandDecodingException when the entry is not a valid command; the store is
     *         unchanged, {@code index} is not applied, and the node must stop, because the
     *         leader only proposes commands it has encoded and a replica cannot skip an
     *         entry the others may understand (a newer format version)
     */
    public ApplyResult apply(long index, byte[] command) {
        checkNextIndex(index);
        Command decoded = CommandCodec.decode(command);
        RequestId requestId = decoded.requestId();
        ApplyResult earlier = requestId.hasSession() ? sessions.lookup(requestId) : null;
        if (earlier != null) {
            appliedIndex = index;
            return earlier;
        }
        ApplyResult result;
        if (decoded instanceof Command.Put put) {
            result = put(put, index);
        } else if (decoded instanceof Command.Delete delete) {
            result = delete(delete, index);
        } else {
            result = relocate((Command.Relocate) decoded);
        }
        appliedIndex = index;
        if (requestId.hasSession()) {
            sessions.record(requestId, result);
        }
        if (revision > appliedIndex) { // Not check(): its message would be built for every write.
            throw new IllegalStateException("revision " + revision + " is above the applied index " + appliedIndex);
        }
        notifyWaiters(result);
        return result;
    }

    /** Applies a Raft no-op entry (thesis §6.4): only the applied index moves. */
    public void applyNoOp(long index) {
        checkNextIndex(index);
        appliedIndex = index;
    }

    private void checkNextIndex(long index) {
        if (index != appliedIndex + 1) {
            throw new IllegalStateException("entry " + index + " does not follow the applied index " + appliedIndex);
        }
    }

    private ApplyResult put(Command.Put put, long index) {
        NsKey id = new NsKey(put.namespace(), put.key());
        KeyRecord old = record(id);
        KeyRecord current = old == null || old.isTombstone() ? null : old;
        long currentModRevision = current == null ? 0 : current.modRevision();
        if (!holds(put.precondition(), current)) {
            return new ApplyResult.PreconditionFailed(id.namespace(), id.key(), currentModRevision);
        }
        revision++;
        KeyRecord updated = current == null
                ? new KeyRecord(put.value(), 1, revision, revision)
                : new KeyRecord(put.value(), current.version() + 1, current.createRevision(), revision);
        preserveForSnapshot(id, old);
        namespaces.computeIfAbsent(id.namespace(), ns -> new ConcurrentSkipListMap<>()).put(id.key(), updated);
        blobs.reference(put.value());
        if (current != null) {
            blobs.release(current.value(), index);
        }
        KeyMeta meta = updated.meta(id.namespace(), id.key());
        if (current == null) {
            keyCount++;
            return new ApplyResult.Created(meta);
        }
        return new ApplyResult.Updated(meta);
    }

    private ApplyResult delete(Command.Delete delete, long index) {
        NsKey id = new NsKey(delete.namespace(), delete.key());
        KeyRecord old = record(id);
        KeyRecord current = old == null || old.isTombstone() ? null : old;
        if (current == null && delete.precondition() instanceof Precondition.None) {
            return new ApplyResult.NotFound(id.namespace(), id.key());
        }
        if (!holds(delete.precondition(), current)) {
            return new ApplyResult.PreconditionFailed(id.namespace(), id.key(),
                    current == null ? 0 : current.modRevision());
        }
        revision++;
        preserveForSnapshot(id, current);
        ConcurrentSkipListMap<String, KeyRecord> keys = namespaces.get(id.namespace());
        if (openSnapshot != null) {
            // The snapshot writer may not have passed this key yet; a tombstone keeps the key's
            // place in the map so that the writer's iteration still finds it (see SnapshotView).
            keys.put(id.key(), KeyRecord.tombstone(revision));
            tombstones.add(id);
        } else {
            keys.remove(id.key());
            if (keys.isEmpty()) {
                namespaces.remove(id.namespace());
            }
        }
        keyCount--;
        check(keyCount >= 0, "keyCount went below 0");
        blobs.release(current.value(), index);
        return new ApplyResult.Deleted(id.namespace(), id.key(), revision);
    }

    /**
     * The inline-to-blob migration's command: the key keeps its version and revisions, and
     * the store's revision does not move, because the value is the same bytes. Applies only
     * while the key's mod_revision is the expected one and its inline bytes hash to the
     * pointer (every replica checks, so a wrong pointer can never replace a value); a key
     * that already holds this pointer answers as relocated, so a retry is harmless.
     * No record is preserved for an open snapshot view: the view may write either form of
     * the same value.
     */
    private ApplyResult relocate(Command.Relocate relocate) {
        NsKey id = new NsKey(relocate.namespace(), relocate.key());
        KeyRecord old = record(id);
        KeyRecord current = old == null || old.isTombstone() ? null : old;
        if (current == null) {
            return new ApplyResult.NotFound(id.namespace(), id.key());
        }
        if (current.modRevision() != relocate.precondition().modRevision()) {
            return new ApplyResult.PreconditionFailed(id.namespace(), id.key(), current.modRevision());
        }
        if (current.value().equals(relocate.pointer())) {
            return new ApplyResult.Relocated(current.meta(id.namespace(), id.key()));
        }
        if (!(current.value() instanceof Value.Inline inline) || !BlobRefs.hashes(inline, relocate.pointer())) {
            return new ApplyResult.PreconditionFailed(id.namespace(), id.key(), current.modRevision());
        }
        KeyRecord relocated = new KeyRecord(relocate.pointer(), current.version(), current.createRevision(),
                current.modRevision());
        namespaces.get(id.namespace()).put(id.key(), relocated);
        blobs.reference(relocate.pointer());
        return new ApplyResult.Relocated(relocated.meta(id.namespace(), id.key()));
    }

    private static boolean holds(Precondition precondition, KeyRecord current) {
        if (precondition instanceof Precondition.CreateOnly) {
            return current == null;
        }
        if (precondition instanceof Precondition.IfModRevision ifModRevision) {
            return current != null && current.modRevision() == ifModRevision.modRevision();
        }
        return true;
    }

    private void notifyWaiters(ApplyResult result) {
        if (result instanceof ApplyResult.Created created) {
            waiters.keyChanged(new NsKey(created.meta().namespace(), created.meta().key()), created.meta().modRevision());
        } else if (result instanceof ApplyResult.Updated updated) {
            waiters.keyChanged(new NsKey(updated.meta().namespace(), updated.meta().key()), updated.meta().modRevision());
        } else if (result instanceof ApplyResult.Deleted deleted) {
            waiters.keyChanged(new NsKey(deleted.namespace(), deleted.key()), deleted.revision());
        }
    }

    /** The raw record, tombstones included. */
    private KeyRecord record(NsKey id) {
        ConcurrentSkipListMap<String, KeyRecord> keys = namespaces.get(id.namespace());
        return keys == null ? null : keys.get(id.key());
    }

    // ---- Blob references ---------------------------------------------------------------

    /** The blobs live keys point to, with their reference counts (NODE.md, "Blobs"). */
    public BlobRefs blobRefs() {
        return blobs;
    }

    /** An inline value the inline-to-blob migration may move: its key, mod_revision and bytes. */
    public record InlineValue(String namespace, String key, long modRevision, ByteBuffer bytes) {
    }

    /**
     * One step of a scan for inline values: {@code values} holds those of at least the
     * scan's size, {@code nextNamespace}/{@code nextKey} where to continue (the last key
     * looked at), {@code done} whether the scan passed the last key.
     */
    public record InlineScan(List<InlineValue> values, String nextNamespace, String nextKey, boolean done,
                             int keysScanned) {
    }

    /**
     * Looks at up to {@code keysMax} keys after ({@code afterNamespace}, {@code afterKey}) in
     * (namespace, key) order (both null to start at the beginning) and returns the inline
     * values of at least {@code minSizeBytes} among them. Bounded work per call, so the
     * loop is never held long. The byte buffers are read-only views of immutable values.
     */
    public InlineScan scanInline(String afterNamespace, String afterKey, long minSizeBytes, int keysMax) {
        List<InlineValue> values = new ArrayList<>();
        String namespace = afterNamespace;
        String key = afterKey;
        int scanned = 0;
        Map.Entry<String, ConcurrentSkipListMap<String, KeyRecord>> ns = afterNamespace == null
                ? namespaces.firstEntry() : namespaces.ceilingEntry(afterNamespace);
        while (ns != null) {
            ConcurrentSkipListMap<String, KeyRecord> keys = ns.getValue();
            Map.Entry<String, KeyRecord> entry = ns.getKey().equals(afterNamespace) && afterKey != null
                    ? keys.higherEntry(afterKey) : keys.firstEntry();
            while (entry != null) {
                if (scanned == keysMax) {
                    return new InlineScan(values, namespace, key, false, scanned);
                }
                scanned++;
                namespace = ns.getKey();
                key = entry.getKey();
                KeyRecord record = entry.getValue();
                if (!record.isTombstone() && record.value() instanceof Value.Inline inline
                        && inline.sizeBytes() >= minSizeBytes) {
                    values.add(new InlineValue(namespace, key, record.modRevision(), inline.bytes()));
                }
                entry = keys.higherEntry(entry.getKey());
            }
            ns = namespaces.higherEntry(ns.getKey());
        }
        return new InlineScan(values, namespace, key, true, scanned);
    }

    // ---- Reads -----------------------------------------------------------------------

    /** The key's value and metadata, or empty when it does not exist. */
    public Optional<StoredValue> get(String namespace, String key) {
        Names.checkNamespace(namespace);
        Names.checkKey(key);
        KeyRecord record = record(new NsKey(namespace, key));
        if (record == null || record.isTombstone()) {
            return Optional.empty();
        }
        return Optional.of(new StoredValue(record.meta(namespace, key), record.value()));
    }

    /**
     * Up to {@code limit} keys of {@code namespace} that start with {@code prefix} and sort
     * after {@code after} (exclusive; null or empty for the first page), in key order
     * ({@link String#compareTo}, UTF-16 code units).
     */
    public ListPage list(String namespace, String prefix, String after, int limit) {
        Names.checkNamespace(namespace);
        Objects.requireNonNull(prefix, "prefix (empty for all keys)");
        if (limit < 1 || limit > limits.listItemsMax()) {
            throw new IllegalArgumentException("limit must be between 1 and " + limits.listItemsMax() + ", was " + limit);
        }
        ConcurrentSkipListMap<String, KeyRecord> keys = namespaces.get(namespace);
        if (keys == null) {
            return new ListPage(List.of(), false, null, revision);
        }
        boolean afterIsStart = after != null && !after.isEmpty() && after.compareTo(prefix) >= 0;
        ConcurrentNavigableMap<String, KeyRecord> tail = afterIsStart ? keys.tailMap(after, false) : keys.tailMap(prefix, true);
        List<KeyMeta> items = new ArrayList<>();
        Iterator<Map.Entry<String, KeyRecord>> entries = tail.entrySet().iterator();
        while (entries.hasNext()) {
            Map.Entry<String, KeyRecord> entry = entries.next();
            if (!entry.getKey().startsWith(prefix)) {
                break;
            }
            if (entry.getValue().isTombstone()) {
                continue;
            }
            if (items.size() == limit) {
                return new ListPage(items, true, items.get(items.size() - 1).key(), revision);
            }
            items.add(entry.getValue().meta(namespace, entry.getKey()));
        }
        return new ListPage(items, false, null, revision);
    }

    // ---- Blocking reads --------------------------------------------------------------

    /**
     * Registers a blocking read that fires when the key's mod_revision exceeds
     * {@code afterRevision}, through the listener, or when {@link #expireWaiters} passes
     * {@code deadlineMs}. For a key that does not exist, the next write or delete of it
     * fires the waiter.
     */
    public WaitRegistration registerWaiter(String namespace, String key, long afterRevision, long deadlineMs) {
        Names.checkNamespace(namespace);
        Names.checkKey(key);
        if (afterRevision < 0) {
            throw new IllegalArgumentException("index must be >= 0, was " + afterRevision);
        }
        NsKey id = new NsKey(namespace, key);
        KeyRecord record = record(id);
        if (record != null && !record.isTombstone() && record.modRevision() > afterRevision) {
            return new WaitRegistration.Ready(record.modRevision());
        }
        return waiters.register(id, afterRevision, deadlineMs);
    }

    /** Removes a waiter without telling the listener; false when it already fired or expired. */
    public boolean cancelWaiter(long waiterId) {
        return waiters.cancel(waiterId);
    }

    /** Expires every waiter whose deadline is at or before {@code nowMs}; returns how many. */
    public int expireWaiters(long nowMs) {
        return waiters.expire(nowMs);
    }

    /**
     * Removes every waiter without telling the listener and returns their ids, for a node
     * about to replace this store with one restored from a snapshot.
     */
    public List<Long> removeAllWaiters() {
        return waiters.removeAll();
    }

    public int waiterCount() {
        return waiters.size();
    }

    // ---- Snapshots -------------------------------------------------------------------

    /** Keys and rounds of {@link #warmUpSnapshotWriter}: enough for the JIT to compile the writer. */
    static final int WARM_UP_KEYS = 2_000;
    static final int WARM_UP_ROUNDS = 20;

    /**
     * Writes snapshots of a throwaway store to nowhere, so that the JIT compiles the snapshot
     * writer before a node's first real snapshot: run cold, that one took 127 to 233 ms for
     * 10,000 keys under load where compiled ones take about 25 (NODE.md, "Snapshots"). A few
     * tens of milliseconds of CPU; touches no state but its own.
     */
    public static void warmUpSnapshotWriter() throws IOException {
        ConfigStore scratch = new ConfigStore(StoreLimits.DEFAULTS, WaitListener.NONE);
        byte[] value = new byte[64];
        for (int i = 0; i < WARM_UP_KEYS; i++) {
            scratch.apply(i + 1, CommandCodec.encode(new Command.Put(new RequestId(1, i + 1), "warm-up",
                    "key-" + i, Value.Inline.copyOf(value), Precondition.NONE)));
        }
        for (int round = 0; round < WARM_UP_ROUNDS; round++) {
            scratch.writeSnapshot(OutputStream.nullOutputStream());
        }
    }

    /**
     * Opens a point-in-time view of the state at {@link #appliedIndex()}, cheaply: it copies
     * only the session table (a few objects per node that sent writes), nothing per key. The node may apply entries while another thread
     * writes the view with {@link SnapshotView#writeTo}; then it closes the view on the loop
     * thread. One view at a time.
     */
    public SnapshotView openSnapshot() {
        check(openSnapshot == null, "a snapshot is already open");
        check(tombstones.isEmpty(), "tombstones left from a closed snapshot");
        openSnapshot = new SnapshotView(this, namespaces, appliedIndex, revision, keyCount,
                sessions.clientSessionsMax(), sessions.copy());
        return openSnapshot;
    }

    /** Writes a snapshot of the current state on the calling thread (loop thread). */
    public void writeSnapshot(OutputStream out) throws IOException {
        try (SnapshotView view = openSnapshot()) {
            view.writeTo(out);
        }
    }

    /** Reads a snapshot written by {@link #writeSnapshot} or {@link SnapshotView#writeTo}. */
    public static ConfigStore restore(InputStream in, StoreLimits limits, WaitListener listener)
            throws IOException {
        ConfigStore store = new ConfigStore(limits, listener);
        SnapshotFormat.read(in, store);
        return store;
    }

    void closeSnapshot(SnapshotView view) {
        check(openSnapshot == view, "closing a snapshot that is not the open one");
        openSnapshot = null;
        for (NsKey id : tombstones) {
            ConcurrentSkipListMap<String, KeyRecord> keys = namespaces.get(id.namespace());
            if (keys == null) {
                continue; // the key was deleted twice, and the first pass removed its namespace
            }
            KeyRecord record = keys.get(id.key());
            if (record != null && record.isTombstone()) {
                keys.remove(id.key(), record);
            }
            if (keys.isEmpty()) {
                namespaces.remove(id.namespace());
            }
        }
        tombstones.clear();
    }

    private void preserveForSnapshot(NsKey id, KeyRecord old) {
        if (openSnapshot != null && old != null && !old.isTombstone()
                && old.modRevision() <= openSnapshot.revision()) {
            openSnapshot.preserve(id, old);
        }
    }

    // ---- Restoring (SnapshotFormat only) ----------------------------------------------

    void restoreHeader(long appliedIndex, long revision) {
        check(this.appliedIndex == 0 && this.revision == 0 && keyCount == 0, "restoring into a used store");
        this.appliedIndex = appliedIndex;
        this.revision = revision;
    }

    void restoreKey(NsKey id, KeyRecord record) {
        check(!record.isTombstone(), "a snapshot holds no tombstones");
        check(record.modRevision() <= revision, "a record's mod_revision is above the revision");
        KeyRecord previous = namespaces.computeIfAbsent(id.namespace(), ns -> new ConcurrentSkipListMap<>())
                .put(id.key(), record);
        check(previous == null, "key restored twice: " + id);
        keyCount++;
        blobs.reference(record.value());
    }

    void restoreSession(ClientSessions.Session session) {
        sessions.restore(session);
    }

    private static void check(boolean condition, String message) {
        if (!condition) {
            throw new IllegalStateException(message);
        }
    }
}

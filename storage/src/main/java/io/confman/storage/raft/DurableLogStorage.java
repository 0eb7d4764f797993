package io.confman.storage.raft;

import io.confman.raft.ClusterIdentity;
import io.confman.raft.Entry;
import io.confman.raft.HardState;
import io.confman.raft.LogStorage;
import io.confman.raft.Ready;
import io.confman.raft.SnapshotChunk;
import io.confman.raft.SnapshotMetadata;
import io.confman.storage.meta.Metadata;
import io.confman.storage.meta.MetadataFile;
import io.confman.storage.meta.MetadataMismatchException;
import io.confman.storage.wal.LogRecord;
import io.confman.storage.wal.SegmentedLog;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.stream.Stream;

/**
 * A node's durable Raft state in its data directory, as the core reads it ({@link LogStorage})
 * and as the runtime writes it ({@link #persist(Ready)}, {@link #takeSnapshot}). Layout:
 *
 * <pre>
 * DIR/meta        the metadata file: cluster id, node id, currentTerm, votedFor (FORMAT.md section 6)
 * DIR/wal/        the segmented write-ahead log of entries (FORMAT.md sections 1 to 5)
 * DIR/snapshots/  snapshot files (FORMAT.md section 8)
 * </pre>
 *
 * <p><b>The commit index is not persisted.</b> The metadata file holds only {@code currentTerm}
 * and {@code votedFor}, and a separate write of {@code commitIndex} would cost an fsync on
 * almost every {@link Ready}, for a value Raft does not need for safety (Figure 2 lists it as
 * volatile): after a restart {@link #hardState()} reports the snapshot's index, every entry
 * after it is replayed to the state machine once the node learns the commit index again from
 * the leader's next AppendEntries or heartbeat (a single-node cluster commits everything up
 * to its new leader's no-op). etcd does persist it, in the HardState record it writes into its
 * WAL with the entries, without forcing an fsync when only the commit index changed; doing the
 * same here would need a record type for it in the WAL or a field in the metadata file.
 *
 * <p>Not thread-safe: the node's thread owns it, as it owns the Raft core. Any I/O failure
 * is final: every later call throws, and the node must restart, which runs recovery (after a
 * failed fsync the kernel may have dropped the data, so retrying could lie).
 */
public final class DurableLogStorage implements LogStorage, AutoCloseable {

    /** The WAL's directory inside a data directory. */
    public static final String WAL_DIRECTORY = "wal";
    /** The snapshot files' directory inside a data directory. */
    public static final String SNAPSHOT_DIRECTORY = "snapshots";
    /** WAL frame type of {@link Entry.Type#NORMAL} (0 is invalid in the WAL, FORMAT.md 2.2). */
    static final int FRAME_TYPE_NORMAL = 1;
    /** WAL frame type of {@link Entry.Type#NO_OP}. */
    static final int FRAME_TYPE_NO_OP = 2;

    private final StorageOptions options;
    private final Path dataDir;
    private final SegmentedLog wal;
    private final SnapshotStore snapshots;
    // Invariant: empty, or ends at wal.lastIndex().
    private final EntryCache cache;
    /** The metadata last stored, so that a Ready whose term and vote did not change writes nothing. */
    private Metadata metadata;
    // Invariant: hardState.term() == metadata.currentTerm(), and its vote is metadata's;
    // snapshot.lastIncludedIndex() <= hardState.commitIndex() <= wal.lastIndex().
    private HardState hardState;
    // Invariant: wal.firstIndex() <= snapshot.lastIncludedIndex() + 1 <= wal.lastIndex() + 1,
    // and wal.term(snapshot index) == its term when the WAL still holds that entry.
    private SnapshotMetadata snapshot;
    private Throwable failure;
    /**
     * A failure of a WAL change the owner thread did not wait for (a compaction), set by the
     * WAL's writer thread and taken over as {@link #failure} by the next call.
     */
    private volatile Throwable backgroundFailure;
    /** The last compaction handed to the WAL, for {@link #takeSnapshot}, which waits for it. */
    private CompletableFuture<Void> pendingCompaction = CompletableFuture.completedFuture(null);
    private boolean closed;

    private DurableLogStorage(StorageOptions options, Path dataDir, Metadata metadata, SegmentedLog wal,
                              SnapshotStore snapshots) {
        this.options = options;
        this.dataDir = dataDir;
        this.metadata = metadata;
        this.wal = wal;
        this.snapshots = snapshots;
        this.cache = new EntryCache(options.entryCacheEntriesMax(), options.entryCacheBytesMax());
        this.snapshot = snapshots.latest();
    }

    /**
     * Opens (or creates) a node's data directory. Refuses a directory that belongs to another
     * cluster or node before touching anything in it; then opens the snapshots (checking each
     * file end to end) and the WAL (running its recovery), and finishes a snapshot install or
     * compaction that a crash interrupted.
     *
     * @throws MetadataMismatchException when the directory belongs to another cluster or node
     * @throws SnapshotCorruptionException when a snapshot file is damaged
     */
    public static DurableLogStorage open(Path dataDir, ClusterIdentity cluster, String nodeId,
                                         StorageOptions options) throws IOException {
        Objects.requireNonNull(cluster, "cluster");
        Objects.requireNonNull(options, "options");
        requireMetaWhereDataIs(dataDir);
        Metadata metadata = MetadataFile.openForNode(dataDir, cluster.value(), nodeId);
        SnapshotStore snapshots = SnapshotStore.open(dataDir.resolve(SNAPSHOT_DIRECTORY),
                options.snapshotsRetainedCount());
        SegmentedLog wal;
        try {
            wal = SegmentedLog.open(dataDir.resolve(WAL_DIRECTORY), options.wal());
        } catch (IOException | RuntimeException failure) {
            snapshots.close();
            throw failure;
        }
        DurableLogStorage storage = new DurableLogStorage(options, dataDir, metadata, wal, snapshots);
        try {
            storage.recover();
        } catch (IOException | RuntimeException failure) {
            storage.closeAfterFailure(failure);
            throw failure;
        }
        return storage;
    }

    /**
     * A directory holding a log or snapshots but no {@code meta} belongs to nobody we can name:
     * {@link MetadataFile#openForNode} would adopt it for this node, so refuse first.
     */
    private static void requireMetaWhereDataIs(Path dataDir) throws IOException {
        if (Files.exists(dataDir.resolve(MetadataFile.FILE_NAME))) {
            return;
        }
        for (String sub : List.of(WAL_DIRECTORY, SNAPSHOT_DIRECTORY)) {
            Path path = dataDir.resolve(sub);
            if (Files.isDirectory(path)) {
                try (Stream<Path> files = Files.list(path)) {
                    if (files.findAny().isPresent()) {
                        throw new MetadataMismatchException(dataDir + " holds " + sub + "/ but no "
                                + MetadataFile.FILE_NAME + " file: refusing to adopt data of an unknown node");
                    }
                }
            }
        }
    }

    /**
     * Brings the WAL in line with the newest snapshot after a crash (numbered as in FORMAT.md
     * section 8.6): a snapshot installed from a leader is published before the WAL is reset,
     * and a snapshot taken locally before the WAL is compacted, so both steps are redone here.
     */
    private void recover() throws IOException {
        long snapshotIndex = snapshot.lastIncludedIndex();
        if (snapshotIndex == 0 && wal.firstIndex() != 1) {
            throw new IOException("the log in " + WAL_DIRECTORY + "/ starts at index " + wal.firstIndex()
                    + " but no snapshot covers the entries before it");
        }
        if (snapshotIndex > 0 && !walContinuesSnapshot()) {
            // An install was interrupted before or during the reset (thesis §5.1: the
            // follower discards its entire log); what is left of the old log is discarded now.
            await(wal.reset(snapshotIndex));
        }
        await(wal.compactPrefix(compactionIndex(snapshotIndex)));
        snapshots.deleteOld(snapshot);
        String vote = metadata.hasVoted() ? metadata.votedFor() : null;
        hardState = new HardState(metadata.currentTerm(), vote, snapshotIndex);
        checkInvariants();
        if (lastIndex() > snapshotIndex && term(lastIndex()) > hardState.term()) {
            // persist() stores a new term before any entry of that term, so this is damage.
            throw new IOException("the last entry's term " + term(lastIndex()) + " is above the stored term "
                    + hardState.term());
        }
    }

    /** True when the WAL holds the snapshot's last entry with its term, or starts right after it. */
    private boolean walContinuesSnapshot() {
        long snapshotIndex = snapshot.lastIncludedIndex();
        if (wal.firstIndex() == snapshotIndex + 1) {
            return true;
        }
        return wal.firstIndex() <= snapshotIndex && snapshotIndex <= wal.lastIndex()
                && wal.term(snapshotIndex) == snapshot.lastIncludedTerm();
    }

    // ---------------------------------------------------------------- LogStorage

    @Override
    public HardState hardState() {
        checkUsable();
        return hardState;
    }

    @Override
    public SnapshotMetadata snapshot() {
        checkUsable();
        return snapshot;
    }

    @Override
    public long firstIndex() {
        checkUsable();
        return snapshot.lastIncludedIndex() + 1;
    }

    @Override
    public long lastIndex() {
        checkUsable();
        return wal.lastIndex();
    }

    @Override
    public long term(long index) {
        checkUsable();
        if (index == snapshot.lastIncludedIndex()) {
            return snapshot.lastIncludedTerm();
        }
        requireRange(index, index + 1);
        return wal.term(index);
    }

    @Override
    public List<Entry> entries(long lo, long hi, long maxBytes) {
        checkUsable();
        requireRange(lo, hi);
        List<Entry> out = new ArrayList<>();
        long cacheFirst = cache.firstIndex(lastIndex());
        long bytes = 0;
        if (lo < cacheFirst) {
            long walHi = Math.min(hi, cacheFirst);
            // The WAL bounds payload bytes, which never exceed sizeBytes(), so it returns at
            // least the entries that fit; the loop below applies the core's own measure.
            for (LogRecord record : readWal(lo, walHi, maxBytes)) {
                Entry entry = toEntry(record);
                bytes += entry.sizeBytes();
                if (!out.isEmpty() && bytes > maxBytes) {
                    return out;
                }
                out.add(entry);
            }
            if (out.size() < walHi - lo) {
                return out;
            }
        }
        for (long index = Math.max(lo, cacheFirst); index < hi; index++) {
            Entry entry = cache.get(index);
            bytes += entry.sizeBytes();
            if (!out.isEmpty() && bytes > maxBytes) {
                return out;
            }
            out.add(entry);
        }
        return out;
    }

    private List<LogRecord> readWal(long lo, long hi, long maxBytes) {
        try {
            return wal.read(lo, hi, maxBytes);
        } catch (IOException damaged) {
            fail(damaged);
            throw new UncheckedIOException("reading entries [" + lo + ", " + hi + ") from the WAL", damaged);
        }
    }

    // ---------------------------------------------------------------- writes

    /**
     * Makes durable everything a {@link Ready} asks to persist, and returns when it is. The
     * runtime sends {@link Ready#messages()} before calling this (a leader's AppendEntries
     * then travel while its own disk writes, thesis §10.2.1) and
     * {@link Ready#messagesAfterPersist()} only after it returns (§3.8).
     *
     * <p>Order: snapshot chunks; the term and vote, before any entry or snapshot that could
     * carry the new term, so that the disk never holds an entry of a term above the stored
     * {@code currentTerm}; the received snapshot (published, then the WAL reset to it); the
     * entries (a conflicting suffix truncated first, AppendEntries receiver rule 3).
     *
     * <p>An entry's data must fit in one WAL segment ({@link
     * io.confman.storage.wal.WalOptions#payloadBytesMax()}); a larger one fails the storage.
     *
     * @return the snapshot installed by this Ready, whose body the runtime now restores its
     *     state machine from ({@link SnapshotStore#openBody}), or {@code null}
     */
    public SnapshotMetadata persist(Ready ready) throws IOException {
        checkUsable();
        try {
            for (SnapshotChunk chunk : ready.snapshotChunks()) {
                snapshots.writeChunk(chunk);
            }
            if (ready.hardState() != null) {
                storeTermAndVote(ready.hardState());
            }
            if (ready.snapshotToInstall() != null) {
                installSnapshot(ready.snapshotToInstall());
            }
            if (!ready.entries().isEmpty()) {
                append(ready.entries());
            }
            if (ready.hardState() != null) {
                setCommitIndex(ready.hardState());
            }
            checkInvariants();
            return ready.snapshotToInstall();
        } catch (IOException | RuntimeException failed) {
            fail(failed);
            throw failed;
        }
    }

    private void storeTermAndVote(HardState state) throws IOException {
        if (state.term() < hardState.term()) {
            throw new IllegalStateException("term would go back from " + hardState.term() + " to " + state.term());
        }
        String vote = state.votedFor() == null ? "" : state.votedFor();
        if (state.term() == metadata.currentTerm() && vote.equals(metadata.votedFor())) {
            return; // Only the commit index changed: nothing to write (see the class comment).
        }
        if (state.term() == metadata.currentTerm() && metadata.hasVoted() && !vote.equals(metadata.votedFor())) {
            throw new IllegalStateException("vote in term " + state.term() + " would change from "
                    + metadata.votedFor() + " to '" + vote + "'");
        }
        Metadata next = metadata.withTermAndVote(state.term(), vote);
        MetadataFile.store(dataDir, next);
        metadata = next;
        hardState = new HardState(state.term(), state.votedFor(), hardState.commitIndex());
    }

    private void setCommitIndex(HardState state) {
        if (state.commitIndex() < hardState.commitIndex()) {
            throw new IllegalStateException("commitIndex would go back from " + hardState.commitIndex() + " to "
                    + state.commitIndex());
        }
        if (state.commitIndex() > lastIndex()) {
            throw new IllegalStateException("commitIndex " + state.commitIndex() + " is past the last index "
                    + lastIndex());
        }
        hardState = state;
    }

    /** Publishes the received snapshot, then discards the whole log (thesis §5.1). */
    private void installSnapshot(SnapshotMetadata installed) throws IOException {
        if (installed.lastIncludedIndex() <= snapshot.lastIncludedIndex()) {
            throw new IllegalStateException("snapshot " + installed + " is not newer than " + snapshot);
        }
        snapshots.finishReceiving(installed);
        cache.clear();
        await(wal.reset(installed.lastIncludedIndex()));
        snapshot = installed;
        if (wal.lastIndex() != installed.lastIncludedIndex()) {
            throw new IllegalStateException("after the reset to " + installed + " the WAL ends at " + wal.lastIndex());
        }
        snapshots.deleteOld(snapshot);
    }

    /** Appends entries, first truncating any stored suffix they replace (thesis §3.5). */
    private void append(List<Entry> entries) throws IOException {
        long first = entries.get(0).index();
        if (first < firstIndex() || first > lastIndex() + 1) {
            throw new IllegalArgumentException("entries starting at " + first + " do not attach to a log holding ["
                    + firstIndex() + ", " + lastIndex() + "]");
        }
        if (first <= hardState.commitIndex()) {
            throw new IllegalStateException("entries starting at " + first + " would replace committed entries up to "
                    + hardState.commitIndex());
        }
        CompletableFuture<Void> truncated = null;
        if (first <= lastIndex()) {
            cache.truncateFrom(first);
            truncated = wal.truncateSuffix(first);
        }
        List<LogRecord> records = new ArrayList<>(entries.size());
        for (Entry entry : entries) {
            records.add(toRecord(entry));
        }
        CompletableFuture<Long> appended = wal.append(records);
        if (truncated != null) {
            await(truncated);
        }
        await(appended);
        Entry last = entries.get(entries.size() - 1);
        // The other side of the disk: the WAL now ends with exactly what was handed in.
        if (wal.lastIndex() != last.index() || wal.term(last.index()) != last.term()) {
            throw new IllegalStateException("after appending up to " + last + " the WAL ends at "
                    + wal.term(wal.lastIndex()) + "/" + wal.lastIndex());
        }
        cache.append(entries);
    }

    /**
     * Writes a snapshot of the state machine as of {@code appliedIndex} (which must be
     * committed) through {@code body}, then compacts the log to it, all on the calling thread.
     * Durable on return, and the covered segments are deleted.
     */
    public SnapshotMetadata takeSnapshot(long appliedIndex, SnapshotStore.BodyWriter body) throws IOException {
        long term = snapshotTerm(appliedIndex);
        SnapshotStore.Prepared prepared;
        try {
            prepared = snapshots.prepare(appliedIndex, term, body);
        } catch (IOException | RuntimeException failed) {
            fail(failed);
            throw failed;
        }
        SnapshotMetadata taken = installTaken(prepared);
        await(pendingCompaction);
        checkUsable();
        return taken;
    }

    /**
     * The first step of a snapshot written off the owner thread (thesis §5.2): checks that a
     * snapshot at {@code appliedIndex} may be taken (after the current one, at or below the
     * durable commit index) and returns the term to pass to {@link SnapshotStore#prepare}.
     * The term is read here because the log is the owner thread's.
     */
    public long snapshotTerm(long appliedIndex) {
        checkUsable();
        if (appliedIndex <= snapshot.lastIncludedIndex() || appliedIndex > hardState.commitIndex()) {
            throw new IllegalArgumentException("a snapshot at " + appliedIndex + " must be after the snapshot at "
                    + snapshot.lastIncludedIndex() + " and at or below commitIndex " + hardState.commitIndex());
        }
        return term(appliedIndex);
    }

    /**
     * The last step of a snapshot written off the owner thread, all on the calling thread:
     * {@link #publishTaken}, the directory fsync, then {@link #compactTo}. A prepared snapshot
     * no longer newer than the log's (a follower installed a leader's snapshot while it was
     * written) is discarded instead, and null is returned.
     */
    public SnapshotMetadata installTaken(SnapshotStore.Prepared prepared) throws IOException {
        SnapshotMetadata taken = publishTaken(prepared);
        if (taken == null) {
            return null;
        }
        try {
            snapshots.syncDirectory();
        } catch (IOException failed) {
            fail(failed);
            throw failed;
        }
        compactTo(taken);
        return taken;
    }

    /**
     * The owner thread's half of publishing a snapshot written off it, when it must not wait
     * for a directory fsync: renames {@code prepared} to its snapshot name (not yet durable,
     * {@link SnapshotStore#publishUnsynced}) and makes it the log's snapshot, so
     * {@link #firstIndex()} moves past it. Nothing is deleted yet: once another thread made
     * the name durable ({@link SnapshotStore#syncDirectory}), {@link #compactTo} deletes what
     * it covers. A crash in between restarts either from this snapshot (its rename survived;
     * recovery fsyncs the directory before compacting) or from the previous one and the whole log.
     * Returns null, having discarded the file, when the log's snapshot is no longer older
     * (a leader's snapshot was installed while this one was written).
     */
    public SnapshotMetadata publishTaken(SnapshotStore.Prepared prepared) throws IOException {
        checkUsable();
        try {
            SnapshotMetadata taken = prepared.snapshot();
            long index = taken.lastIncludedIndex();
            if (index <= snapshot.lastIncludedIndex()) {
                snapshots.discard(prepared);
                return null;
            }
            // Its index is committed, so the log still holds it with the same term (Log
            // Matching, thesis §3.5).
            if (index > lastIndex() || wal.term(index) != taken.lastIncludedTerm()) {
                throw new IllegalArgumentException("cannot publish " + taken + ": the log holds [" + firstIndex()
                        + ", " + lastIndex() + "]");
            }
            snapshots.publishUnsynced(prepared);
            snapshot = taken;
            cache.dropBefore(index + 1);
            checkInvariants();
            return taken;
        } catch (IOException | RuntimeException failed) {
            fail(failed);
            throw failed;
        }
    }

    /**
     * Deletes what {@code published} covers (log segments below it, less the trailing entries,
     * and older snapshots), once its name is durable. Skipped when the log's snapshot moved on
     * since (a leader's snapshot was installed, which replaced the log itself). The segments
     * are deleted by the WAL's writer after the appends queued before; this does not wait
     * (nothing reads them, they are below firstIndex(); a crash before they go leaves them for
     * open() to compact again).
     *
     * <p>The trailing entries are kept on disk as etcd keeps {@code SnapshotCatchUpEntries} so
     * that a follower slightly behind gets entries instead of a whole snapshot. The core's
     * {@link LogStorage} contract today has {@code firstIndex() == snapshot index + 1}, so the
     * core cannot read them yet; that needs the core to let the log start before the snapshot
     * (etcd's storage keeps the two apart).
     */
    public void compactTo(SnapshotMetadata published) throws IOException {
        checkUsable();
        if (!published.equals(snapshot)) {
            return;
        }
        submitCompaction(compactionIndex(published.lastIncludedIndex()));
        try {
            snapshots.deleteOld(snapshot);
        } catch (IOException | RuntimeException failed) {
            fail(failed);
            throw failed;
        }
    }

    /**
     * Deletes a prepared snapshot that will not be installed (the node is stopping). Allowed
     * after a failure too: removing a temporary file never loses data.
     */
    public void discardTaken(SnapshotStore.Prepared prepared) throws IOException {
        try {
            snapshots.discard(prepared);
        } catch (IOException | RuntimeException failed) {
            fail(failed);
            throw failed;
        }
    }

    private void submitCompaction(long compactionIndex) {
        pendingCompaction = wal.compactPrefix(compactionIndex);
        pendingCompaction.whenComplete((done, failed) -> {
            if (failed != null && backgroundFailure == null) {
                backgroundFailure = failed;
            }
        });
    }

    private long compactionIndex(long snapshotIndex) {
        return Math.max(0, snapshotIndex - options.trailingEntriesCount());
    }

    /** Where a leader reads snapshot chunks and the runtime restores its state machine from. */
    public SnapshotStore snapshots() {
        return snapshots;
    }

    /** The WAL, for tools and tests that look at it (for example its segment count). */
    SegmentedLog wal() {
        return wal;
    }

    @Override
    public void close() throws IOException {
        if (closed) {
            return;
        }
        closed = true;
        IOException first = null;
        try {
            snapshots.close();
        } catch (IOException failed) {
            first = failed;
        }
        try {
            wal.close();
        } catch (IOException failed) {
            if (first == null) {
                throw failed;
            }
            first.addSuppressed(failed);
        }
        if (first != null) {
            throw first;
        }
    }

    // ---------------------------------------------------------------- helpers

    static LogRecord toRecord(Entry entry) {
        int type = switch (entry.type()) {
            case NORMAL -> FRAME_TYPE_NORMAL;
            case NO_OP -> FRAME_TYPE_NO_OP;
        };
        return new LogRecord(entry.index(), entry.term(), type, entry.data());
    }

    static Entry toEntry(LogRecord record) {
        return switch (record.type()) {
            case FRAME_TYPE_NORMAL -> Entry.normal(record.index(), record.term(), record.payload());
            case FRAME_TYPE_NO_OP -> Entry.noOp(record.index(), record.term());
            default -> throw new IllegalStateException("WAL frame of index " + record.index() + " has type "
                    + record.type() + ", which no entry type maps to");
        };
    }

    private void requireRange(long lo, long hi) {
        if (lo < firstIndex() || hi > lastIndex() + 1 || lo >= hi) {
            throw new IllegalArgumentException("range [" + lo + ", " + hi + ") is outside the log [" + firstIndex()
                    + ", " + lastIndex() + "]");
        }
    }

    private void checkInvariants() {
        if (hardState.term() != metadata.currentTerm()) {
            throw new IllegalStateException("term " + hardState.term() + " differs from the stored "
                    + metadata.currentTerm());
        }
        if (!Objects.equals(hardState.votedFor(), metadata.hasVoted() ? metadata.votedFor() : null)) {
            throw new IllegalStateException("vote " + hardState.votedFor() + " differs from the stored '"
                    + metadata.votedFor() + "'");
        }
        long snapshotIndex = snapshot.lastIncludedIndex();
        if (wal.firstIndex() > snapshotIndex + 1) {
            throw new IllegalStateException("the WAL starts at " + wal.firstIndex() + ", after the snapshot at "
                    + snapshotIndex + " + 1");
        }
        if (wal.lastIndex() < snapshotIndex) {
            throw new IllegalStateException("the WAL ends at " + wal.lastIndex() + ", before the snapshot at "
                    + snapshotIndex);
        }
        long cachedLast = cache.lastIndex();
        if (cachedLast != -1 && cachedLast != wal.lastIndex()) {
            throw new IllegalStateException("the entry cache ends at " + cachedLast + ", the WAL at " + wal.lastIndex());
        }
        if (hardState.commitIndex() < snapshotIndex) {
            throw new IllegalStateException("commitIndex " + hardState.commitIndex() + " is below the snapshot at "
                    + snapshotIndex);
        }
        if (hardState.commitIndex() > wal.lastIndex()) {
            throw new IllegalStateException("commitIndex " + hardState.commitIndex() + " is past the WAL's end "
                    + wal.lastIndex());
        }
    }

    /** Waits for a WAL change to be durable; its failure becomes this call's. */
    private static <T> T await(CompletableFuture<T> change) throws IOException {
        try {
            return change.join();
        } catch (CompletionException failed) {
            if (failed.getCause() instanceof IOException io) {
                throw new IOException("write-ahead log change failed: " + io.getMessage(), io);
            }
            throw failed;
        }
    }

    private void checkUsable() {
        Throwable background = backgroundFailure;
        if (failure == null && background != null) {
            failure = new IOException("compacting the write-ahead log failed: " + background.getMessage(), background);
        }
        if (failure != null) {
            throw new IllegalStateException("durable storage failed earlier; restart the node to recover", failure);
        }
        if (closed) {
            throw new IllegalStateException("durable storage is closed");
        }
    }

    private void fail(Throwable cause) {
        if (failure == null) {
            failure = cause;
        }
    }

    private void closeAfterFailure(Throwable failure) {
        try {
            close();
        } catch (IOException | RuntimeException closeFailure) {
            failure.addSuppressed(closeFailure);
        }
    }
}

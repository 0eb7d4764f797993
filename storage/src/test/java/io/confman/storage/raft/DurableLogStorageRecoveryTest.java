package io.confman.storage.raft;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.confman.raft.ClusterIdentity;
import io.confman.raft.Entry;
import io.confman.raft.HardState;
import io.confman.raft.Ready;
import io.confman.raft.SnapshotMetadata;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Crash states between the steps of an install or a compaction, and the checks that refuse
 * impossible writes. Each crash state is built by doing the steps before the crash by hand.
 */
class DurableLogStorageRecoveryTest {

    private static final ClusterIdentity CLUSTER = ClusterIdentity.of(List.of("s1", "s2", "s3"));
    private static final StorageOptions OPTIONS = DurableCluster.OPTIONS;

    @TempDir
    Path dir;

    private static Ready ready(HardState hardState, List<Entry> entries) {
        return new Ready(hardState, entries, List.of(), List.of(), List.of(), List.of(), null, List.of(), List.of(),
                List.of());
    }

    private static List<Entry> entries(long from, long to, long term) {
        List<Entry> out = new ArrayList<>();
        for (long index = from; index <= to; index++) {
            out.add(Entry.normal(index, term, new byte[300]));
        }
        return out;
    }

    /** A node at term 2 with entries 1..last of term 1 and the given commit index. */
    private DurableLogStorage node(long last, long commitIndex) throws IOException {
        DurableLogStorage storage = DurableLogStorage.open(dir, CLUSTER, "s1", OPTIONS);
        storage.persist(ready(new HardState(2, "s2", 0), entries(1, last, 1)));
        storage.persist(ready(new HardState(2, "s2", commitIndex), List.of()));
        return storage;
    }

    @Test
    void anInstallInterruptedBeforeTheWalResetIsFinishedOnOpen() throws IOException {
        node(10, 5).close();
        // The crash came after the received snapshot was published, before the WAL reset.
        SnapshotStore snapshots = SnapshotStore.open(dir.resolve(DurableLogStorage.SNAPSHOT_DIRECTORY), 2);
        SnapshotMetadata installed = snapshots.write(20, 2, out -> out.write(new byte[64]));
        try (DurableLogStorage reopened = DurableLogStorage.open(dir, CLUSTER, "s1", OPTIONS)) {
            assertEquals(installed, reopened.snapshot());
            assertEquals(21, reopened.firstIndex());
            assertEquals(20, reopened.lastIndex());
            assertEquals(21, reopened.wal().firstIndex(), "the old log was discarded");
            assertEquals(new HardState(2, "s2", 20), reopened.hardState());
        }
    }

    @Test
    void anInstallOverAnOldLogWithAnotherTermAtTheSnapshotResetsIt() throws IOException {
        node(10, 5).close();
        SnapshotStore snapshots = SnapshotStore.open(dir.resolve(DurableLogStorage.SNAPSHOT_DIRECTORY), 2);
        snapshots.write(8, 2, out -> out.write(new byte[64])); // the log has term 1 at 8
        try (DurableLogStorage reopened = DurableLogStorage.open(dir, CLUSTER, "s1", OPTIONS)) {
            assertEquals(8, reopened.lastIndex());
            assertEquals(2, reopened.term(8));
        }
    }

    @Test
    void aSnapshotTakenButNotYetCompactedIsCompactedOnOpen() throws IOException {
        node(100, 90).close();
        SnapshotStore snapshots = SnapshotStore.open(dir.resolve(DurableLogStorage.SNAPSHOT_DIRECTORY), 2);
        SnapshotMetadata taken = snapshots.write(90, 1, out -> out.write(new byte[64]));
        try (DurableLogStorage reopened = DurableLogStorage.open(dir, CLUSTER, "s1", OPTIONS)) {
            assertEquals(taken, reopened.snapshot());
            assertEquals(91, reopened.firstIndex());
            assertEquals(100, reopened.lastIndex(), "the entries after the snapshot stay");
            assertEquals(entries(91, 100, 1), reopened.entries(91, 101, Long.MAX_VALUE));
            assertTrue(reopened.wal().firstIndex() > 1, "segments below the snapshot were deleted");
            assertTrue(reopened.wal().firstIndex() <= 90 - OPTIONS.trailingEntriesCount());
        }
    }

    @Test
    void aLogThatStartsAfterIndexOneWithoutASnapshotIsRefused() throws IOException {
        try (DurableLogStorage storage = node(100, 90)) {
            SnapshotMetadata taken = storage.takeSnapshot(90, out -> out.write(1));
            assertTrue(storage.wal().firstIndex() > 1);
            Files.delete(dir.resolve(DurableLogStorage.SNAPSHOT_DIRECTORY)
                    .resolve(SnapshotStore.fileName(taken.lastIncludedIndex(), taken.lastIncludedTerm())));
        }
        IOException refused = assertThrows(IOException.class, () -> DurableLogStorage.open(dir, CLUSTER, "s1", OPTIONS));
        assertTrue(refused.getMessage().contains("no snapshot covers"), refused.getMessage());
    }

    @Test
    void termAndVoteSurviveAndTheCommitIndexComesBackAsTheSnapshotIndex() throws IOException {
        try (DurableLogStorage storage = node(30, 25)) {
            storage.takeSnapshot(20, out -> out.write(7));
            assertEquals(new HardState(2, "s2", 25), storage.hardState());
        }
        try (DurableLogStorage reopened = DurableLogStorage.open(dir, CLUSTER, "s1", OPTIONS)) {
            assertEquals(new HardState(2, "s2", 20), reopened.hardState());
            assertEquals(30, reopened.lastIndex());
        }
    }

    @Test
    void impossibleWritesAreRefusedAndTheStorageStopsAfterwards() throws IOException {
        try (DurableLogStorage storage = node(10, 5)) {
            assertThrows(IllegalStateException.class,
                    () -> storage.persist(ready(new HardState(2, "s3", 5), List.of())), "a second vote in a term");
        }
        try (DurableLogStorage storage = DurableLogStorage.open(dir, CLUSTER, "s1", OPTIONS)) {
            storage.persist(ready(new HardState(2, "s2", 5), List.of()));
            assertThrows(IllegalStateException.class,
                    () -> storage.persist(ready(null, entries(5, 6, 2))), "replacing a committed entry");
            IllegalStateException stopped = assertThrows(IllegalStateException.class, storage::lastIndex);
            assertTrue(stopped.getMessage().contains("failed earlier"), stopped.getMessage());
        }
        try (DurableLogStorage storage = DurableLogStorage.open(dir, CLUSTER, "s1", OPTIONS)) {
            assertThrows(IllegalArgumentException.class,
                    () -> storage.persist(ready(null, entries(12, 12, 2))), "a gap");
            assertThrows(IllegalStateException.class,
                    () -> storage.persist(ready(new HardState(1, null, 0), List.of())), "the term going back");
        }
        try (DurableLogStorage storage = DurableLogStorage.open(dir, CLUSTER, "s1", OPTIONS)) {
            assertEquals(entries(1, 10, 1), storage.entries(1, 11, Long.MAX_VALUE), "nothing refused was written");
        }
    }

    @Test
    void recentEntriesComeFromTheCacheAndDamagedOnesOnDiskAreReported() throws IOException {
        try (DurableLogStorage storage = node(80, 0)) { // more than the cache holds
            // Damage the payload of entry 1 (the first frame of the first segment) under the open log.
            Path segment;
            try (var files = Files.list(dir.resolve(DurableLogStorage.WAL_DIRECTORY))) {
                segment = files.filter(p -> p.getFileName().toString().startsWith("0000")).sorted().findFirst()
                        .orElseThrow();
            }
            DurableClusterTest.flipByte(segment, 32 + 28 + 10);
            // Entry 80 was just written: the cache serves it without touching the disk.
            assertEquals(entries(80, 80, 1), storage.entries(80, 81, Long.MAX_VALUE));
            java.io.UncheckedIOException damaged = assertThrows(java.io.UncheckedIOException.class,
                    () -> storage.entries(1, 2, Long.MAX_VALUE));
            assertTrue(damaged.getCause() instanceof io.confman.storage.wal.WalCorruptionException, damaged.toString());
            assertThrows(IllegalStateException.class, storage::lastIndex, "a damaged read stops the storage");
        }
    }

    @Test
    void theWalFrameTypesMapBothWays() {
        Entry noOp = Entry.noOp(3, 2);
        Entry normal = Entry.normal(4, 2, new byte[] {1, 2});
        assertEquals(DurableLogStorage.FRAME_TYPE_NO_OP, DurableLogStorage.toRecord(noOp).type());
        assertEquals(DurableLogStorage.FRAME_TYPE_NORMAL, DurableLogStorage.toRecord(normal).type());
        assertEquals(noOp, DurableLogStorage.toEntry(DurableLogStorage.toRecord(noOp)));
        assertEquals(normal, DurableLogStorage.toEntry(DurableLogStorage.toRecord(normal)));
        assertThrows(IllegalStateException.class, () -> DurableLogStorage.toEntry(
                new io.confman.storage.wal.LogRecord(1, 1, 9, new byte[0])));
    }

    @Test
    void aSnapshotPreparedOffTheOwnerThreadIsInstalledAndCompactsTheLog() throws Exception {
        try (DurableLogStorage storage = node(100, 90)) {
            long term = storage.snapshotTerm(90);
            SnapshotStore snapshots = storage.snapshots();
            java.util.concurrent.CompletableFuture<SnapshotStore.Prepared> prepared =
                    java.util.concurrent.CompletableFuture.supplyAsync(() -> {
                        try {
                            return snapshots.prepare(90, term, out -> out.write(new byte[64]));
                        } catch (IOException failed) {
                            throw new java.io.UncheckedIOException(failed);
                        }
                    });
            // The owner goes on appending and committing while the file is written.
            storage.persist(ready(new HardState(2, "s2", 95), entries(101, 110, 2)));
            SnapshotMetadata taken = storage.installTaken(prepared.get());
            assertEquals(new SnapshotMetadata(90, 1, 64 + SnapshotFormat.SNAPSHOT_HEADER_BYTES), taken);
            assertEquals(taken, storage.snapshot());
            assertEquals(91, storage.firstIndex());
            assertEquals(110, storage.lastIndex());
        }
        try (DurableLogStorage reopened = DurableLogStorage.open(dir, CLUSTER, "s1", OPTIONS)) {
            assertEquals(90, reopened.snapshot().lastIncludedIndex());
        }
    }

    @Test
    void aSnapshotPublishedBeforeItsDirectoryFsyncDeletesNothingUntilCompactTo() throws Exception {
        try (DurableLogStorage storage = node(100, 90)) {
            SnapshotStore.Prepared prepared = storage.snapshots().prepare(90, storage.snapshotTerm(90),
                    out -> out.write(new byte[64]));
            SnapshotMetadata taken = storage.publishTaken(prepared);
            assertEquals(taken, storage.snapshot());
            assertEquals(91, storage.firstIndex());
            assertEquals(1, storage.wal().firstIndex(), "no segment deleted before the name is durable");
        }
        // A crash that lost the rename: the snapshot file is gone, and the whole log is there.
        java.nio.file.Files.delete(dir.resolve(DurableLogStorage.SNAPSHOT_DIRECTORY).resolve(
                SnapshotStore.fileName(90, 1)));
        try (DurableLogStorage reopened = DurableLogStorage.open(dir, CLUSTER, "s1", OPTIONS)) {
            assertEquals(SnapshotMetadata.EMPTY, reopened.snapshot());
            assertEquals(1, reopened.firstIndex());
            assertEquals(100, reopened.lastIndex());
            assertEquals(1, reopened.term(90));
        }
    }

    @Test
    void compactToDeletesTheSegmentsAPublishedSnapshotCovers() throws Exception {
        try (DurableLogStorage storage = node(100, 90)) {
            SnapshotMetadata taken = storage.publishTaken(storage.snapshots().prepare(90, storage.snapshotTerm(90),
                    out -> out.write(new byte[64])));
            storage.snapshots().syncDirectory();
            storage.compactTo(taken);
            long deadline = System.nanoTime() + java.util.concurrent.TimeUnit.SECONDS.toNanos(30);
            while (storage.wal().firstIndex() == 1 && System.nanoTime() < deadline) {
                Thread.onSpinWait(); // The WAL's writer deletes the segments; compactTo does not wait.
            }
            assertTrue(storage.wal().firstIndex() > 1, "compactTo deleted the covered segments");
            assertEquals(taken, storage.snapshot());
        }
    }

    @Test
    void compactToAnOvertakenSnapshotDoesNothing() throws IOException {
        try (DurableLogStorage storage = node(100, 90)) {
            SnapshotMetadata older = storage.publishTaken(storage.snapshots().prepare(50, storage.snapshotTerm(50),
                    out -> out.write(1)));
            SnapshotMetadata newer = storage.takeSnapshot(80, out -> out.write(2));
            long walFirst = storage.wal().firstIndex();
            storage.compactTo(older);
            assertEquals(newer, storage.snapshot());
            assertEquals(walFirst, storage.wal().firstIndex());
        }
    }

    @Test
    void aPreparedSnapshotOvertakenByANewerOneIsDiscarded() throws IOException {
        try (DurableLogStorage storage = node(100, 90)) {
            SnapshotStore.Prepared prepared = storage.snapshots().prepare(50, storage.snapshotTerm(50),
                    out -> out.write(1));
            SnapshotMetadata newer = storage.takeSnapshot(80, out -> out.write(2));
            assertEquals(null, storage.installTaken(prepared));
            assertEquals(newer, storage.snapshot());
            try (var files = java.nio.file.Files.list(dir.resolve(DurableLogStorage.SNAPSHOT_DIRECTORY))) {
                assertEquals(List.of(SnapshotStore.fileName(80, 1)),
                        files.map(file -> file.getFileName().toString()).toList(), "the prepared file was deleted");
            }
            assertThrows(IllegalArgumentException.class, () -> storage.snapshotTerm(80), "not after the snapshot");
            assertThrows(IllegalArgumentException.class, () -> storage.snapshotTerm(91), "above commitIndex");
        }
    }
}

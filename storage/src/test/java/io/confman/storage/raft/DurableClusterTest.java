package io.confman.storage.raft;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.confman.raft.ClusterIdentity;
import io.confman.raft.Entry;
import io.confman.raft.HardState;
import io.confman.raft.Role;
import io.confman.raft.SnapshotMetadata;
import io.confman.storage.meta.MetadataMismatchException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The core's flow end to end over real files: three nodes elect, replicate and commit; nodes
 * crash and come back from their data directories alone; a conflicting suffix is truncated
 * for good; a snapshot compacts the log; a lagging follower gets the snapshot in chunks.
 */
class DurableClusterTest {

    @TempDir
    Path root;

    private static List<String> commands(int from, int to) {
        List<String> out = new ArrayList<>();
        for (int i = from; i < to; i++) {
            // About 40 bytes each, so that 200 of them make a snapshot of several chunks.
            out.add(String.format("command-%04d-%s", i, "x".repeat(26)));
        }
        return out;
    }

    private static void proposeAll(DurableCluster cluster, String leader, List<String> commands) throws IOException {
        for (String command : commands) {
            cluster.propose(leader, command);
            cluster.stabilize();
        }
    }

    @Test
    void electsCommitsAndComesBackAfterACrash() throws IOException {
        try (DurableCluster cluster = new DurableCluster(root, 3)) {
            cluster.campaign("s1");
            cluster.stabilize();
            assertEquals("s1", cluster.leader());
            proposeAll(cluster, "s1", commands(0, 5));
            for (DurableCluster.Node n : cluster.nodes.values()) {
                assertEquals(commands(0, 5), n.applied, n.id);
            }
            DurableLogStorage before = cluster.node("s2").storage;
            List<Entry> logBefore = DurableCluster.log(before);
            HardState hardBefore = before.hardState();

            cluster.crash("s2");
            cluster.start("s2");

            DurableLogStorage after = cluster.node("s2").storage;
            assertEquals(logBefore, DurableCluster.log(after));
            assertEquals(hardBefore.term(), after.hardState().term());
            assertEquals(hardBefore.votedFor(), after.hardState().votedFor());
            assertEquals("s1", after.hardState().votedFor());
            // The commit index is not persisted (DurableLogStorage's class comment): it comes
            // back as the snapshot's index and the leader's next message restores it.
            assertEquals(0, after.hardState().commitIndex());
            assertEquals(List.of(), cluster.node("s2").applied);
            cluster.tick("s1", 1); // a heartbeat carries the commit index
            cluster.stabilize();
            assertEquals(commands(0, 5), cluster.node("s2").applied);
            proposeAll(cluster, "s1", commands(5, 7));
            assertEquals(commands(0, 7), cluster.node("s2").applied);
        }
    }

    @Test
    void leaderRestartsAndCommitsItsLogAgain() throws IOException {
        try (DurableCluster cluster = new DurableCluster(root, 3)) {
            cluster.campaign("s1");
            cluster.stabilize();
            proposeAll(cluster, "s1", commands(0, 3));
            for (String id : List.of("s1", "s2", "s3")) {
                cluster.crash(id);
            }
            for (String id : List.of("s1", "s2", "s3")) {
                cluster.start(id);
            }
            cluster.campaign("s2");
            cluster.stabilize();
            assertEquals("s2", cluster.leader());
            for (DurableCluster.Node n : cluster.nodes.values()) {
                assertEquals(commands(0, 3), n.applied, n.id);
                assertEquals(2, n.storage.hardState().term(), n.id);
            }
        }
    }

    @Test
    void conflictingSuffixIsTruncatedAndStaysTruncatedAfterReopen() throws IOException {
        try (DurableCluster cluster = new DurableCluster(root, 3)) {
            cluster.campaign("s1");
            cluster.stabilize();
            proposeAll(cluster, "s1", commands(0, 2));
            long committed = cluster.node("s1").storage.lastIndex();

            // s1 is cut off and appends entries no one else will ever hold.
            cluster.isolate("s1");
            cluster.propose("s1", "lost-1");
            cluster.propose("s1", "lost-2");
            cluster.stabilize();
            assertEquals(committed + 2, cluster.node("s1").storage.lastIndex());
            long staleTerm = cluster.node("s1").storage.term(committed + 1);

            // s2 wins a new term with s3 and writes other entries at the same indexes.
            cluster.campaign("s2");
            cluster.stabilize();
            assertEquals(Role.LEADER, cluster.node("s2").raft.status().role());
            proposeAll(cluster, "s2", List.of("kept-1"));

            cluster.heal();
            cluster.tick("s2", 1);
            cluster.stabilize();
            List<Entry> leaderLog = DurableCluster.log(cluster.node("s2").storage);
            assertEquals(leaderLog, DurableCluster.log(cluster.node("s1").storage));
            assertNotEquals(staleTerm, cluster.node("s1").storage.term(committed + 1));

            cluster.crash("s1");
            cluster.start("s1");
            assertEquals(leaderLog, DurableCluster.log(cluster.node("s1").storage));
            cluster.tick("s2", 1);
            cluster.stabilize();
            List<String> expected = new ArrayList<>(commands(0, 2));
            expected.add("kept-1");
            assertEquals(expected, cluster.node("s1").applied);
        }
    }

    @Test
    void snapshotCompactsTheLogAndSurvivesRestart() throws IOException {
        try (DurableCluster cluster = new DurableCluster(root, 3)) {
            cluster.campaign("s1");
            cluster.stabilize();
            proposeAll(cluster, "s1", commands(0, 150));
            DurableLogStorage storage = cluster.node("s1").storage;
            long segmentsBefore = segmentCount(cluster.node("s1").dir);
            SnapshotMetadata taken = cluster.takeSnapshot("s1");

            assertEquals(taken, storage.snapshot());
            assertEquals(taken.lastIncludedIndex() + 1, storage.firstIndex());
            assertEquals(taken.lastIncludedTerm(), storage.term(taken.lastIncludedIndex()));
            assertTrue(segmentCount(cluster.node("s1").dir) < segmentsBefore, "compaction deleted segments");
            // The WAL keeps up to trailingEntriesCount entries below the snapshot (and the
            // rest of a segment), but the log starts after the snapshot.
            assertTrue(storage.wal().firstIndex() <= taken.lastIncludedIndex() - DurableCluster.OPTIONS.trailingEntriesCount());
            assertThrows(IllegalArgumentException.class,
                    () -> storage.entries(taken.lastIncludedIndex(), taken.lastIncludedIndex() + 1, 1));

            proposeAll(cluster, "s1", commands(150, 155));
            cluster.crash("s1");
            cluster.start("s1");
            DurableLogStorage reopened = cluster.node("s1").storage;
            assertEquals(taken, reopened.snapshot());
            assertEquals(taken.lastIncludedIndex() + 1, reopened.firstIndex());
            assertEquals(commands(0, 150), cluster.node("s1").applied, "restored from the snapshot");
            cluster.campaign("s1");
            cluster.stabilize();
            assertEquals(commands(0, 155), cluster.node("s1").applied, "the rest replayed from the log");
        }
    }

    @Test
    void laggingFollowerReceivesTheSnapshotInChunksAndInstallsIt() throws IOException {
        try (DurableCluster cluster = new DurableCluster(root, 3)) {
            cluster.campaign("s1");
            cluster.stabilize();
            proposeAll(cluster, "s1", commands(0, 3));
            cluster.crash("s3");
            proposeAll(cluster, "s1", commands(3, 200));
            SnapshotMetadata taken = cluster.takeSnapshot("s1");
            assertTrue(taken.sizeBytes() > 4 * DurableCluster.SNAPSHOT_CHUNK_BYTES, "several chunks");

            cluster.start("s3");
            cluster.tick("s1", 1);
            cluster.stabilize();

            DurableLogStorage follower = cluster.node("s3").storage;
            assertEquals(taken, follower.snapshot());
            assertEquals(commands(0, 200), cluster.node("s3").applied);
            assertEquals(List.of(taken), follower.snapshots().list());
            try (Stream<Path> files = Files.list(cluster.node("s3").dir.resolve(DurableLogStorage.SNAPSHOT_DIRECTORY))) {
                assertEquals(List.of(SnapshotStore.fileName(taken.lastIncludedIndex(), taken.lastIncludedTerm())),
                        files.map(p -> p.getFileName().toString()).toList(), "no partial file is left");
            }
            proposeAll(cluster, "s1", List.of("after-install"));
            cluster.crash("s3");
            cluster.start("s3");
            assertEquals(taken, cluster.node("s3").storage.snapshot());
            cluster.tick("s1", 1);
            cluster.stabilize();
            List<String> expected = commands(0, 200);
            expected.add("after-install");
            assertEquals(expected, cluster.node("s3").applied);
        }
    }

    @Test
    void aNewSnapshotTakenDuringATransferDoesNotBreakIt() throws IOException {
        try (DurableCluster cluster = new DurableCluster(root, 3)) {
            cluster.campaign("s1");
            cluster.stabilize();
            cluster.crash("s3");
            proposeAll(cluster, "s1", commands(0, 200));
            SnapshotMetadata first = cluster.takeSnapshot("s1");
            cluster.start("s3");
            cluster.tick("s1", 1);
            for (int i = 0; i < 4; i++) {
                cluster.round(); // the transfer of the first snapshot is under way
            }
            long committed = cluster.propose("s1", "during-transfer");
            while (cluster.node("s1").raft.status().appliedIndex() < committed) {
                cluster.round();
            }
            assertEquals(SnapshotMetadata.EMPTY, cluster.node("s3").storage.snapshot(), "still receiving");
            SnapshotMetadata second = cluster.takeSnapshot("s1");
            assertTrue(second.lastIncludedIndex() > first.lastIncludedIndex());
            assertEquals(List.of(first, second), cluster.node("s1").storage.snapshots().list(),
                    "the previous snapshot stays readable");
            for (int i = 0; i < 50; i++) {
                cluster.tick("s1", 1);
                cluster.stabilize();
            }
            List<String> expected = commands(0, 200);
            expected.add("during-transfer");
            assertEquals(expected, cluster.node("s3").applied);
            cluster.crash("s3");
            cluster.start("s3");
            assertEquals(cluster.node("s3").storage.snapshot().lastIncludedIndex() + 1,
                    cluster.node("s3").storage.firstIndex());
        }
    }

    @Test
    void aDirectoryOfAnotherClusterOrNodeIsRefused() throws IOException {
        Path s1Dir;
        try (DurableCluster cluster = new DurableCluster(root, 3)) {
            cluster.campaign("s1");
            cluster.stabilize();
            s1Dir = cluster.node("s1").dir;
        }
        ClusterIdentity other = ClusterIdentity.of(List.of("s1", "s2", "s3", "s4"));
        MetadataMismatchException cluster = assertThrows(MetadataMismatchException.class,
                () -> DurableLogStorage.open(s1Dir, other, "s1", DurableCluster.OPTIONS));
        assertTrue(cluster.getMessage().contains("belongs to cluster"), cluster.getMessage());
        ClusterIdentity same = ClusterIdentity.of(List.of("s1", "s2", "s3"));
        MetadataMismatchException node = assertThrows(MetadataMismatchException.class,
                () -> DurableLogStorage.open(s1Dir, same, "s2", DurableCluster.OPTIONS));
        assertTrue(node.getMessage().contains("belongs to node 's1'"), node.getMessage());
        // Nothing was changed: the right identity still opens it.
        DurableLogStorage.open(s1Dir, same, "s1", DurableCluster.OPTIONS).close();
    }

    @Test
    void aLogWithoutMetadataIsNotAdopted() throws IOException {
        Path dir;
        try (DurableCluster cluster = new DurableCluster(root, 3)) {
            cluster.campaign("s1");
            cluster.stabilize();
            dir = cluster.node("s1").dir;
        }
        Files.delete(dir.resolve("meta"));
        MetadataMismatchException refused = assertThrows(MetadataMismatchException.class,
                () -> DurableLogStorage.open(dir, ClusterIdentity.of(List.of("s1", "s2", "s3")), "s1",
                        DurableCluster.OPTIONS));
        assertTrue(refused.getMessage().contains("no meta file"), refused.getMessage());
    }

    @Test
    void aDamagedSnapshotFileIsDetectedOnOpen() throws IOException {
        Path dir;
        SnapshotMetadata taken;
        try (DurableCluster cluster = new DurableCluster(root, 3)) {
            cluster.campaign("s1");
            cluster.stabilize();
            proposeAll(cluster, "s1", commands(0, 20));
            taken = cluster.takeSnapshot("s1");
            dir = cluster.node("s1").dir;
        }
        Path file = dir.resolve(DurableLogStorage.SNAPSHOT_DIRECTORY)
                .resolve(SnapshotStore.fileName(taken.lastIncludedIndex(), taken.lastIncludedTerm()));
        flipByte(file, taken.sizeBytes() - 3);
        SnapshotCorruptionException damaged = assertThrows(SnapshotCorruptionException.class,
                () -> DurableLogStorage.open(dir, ClusterIdentity.of(List.of("s1", "s2", "s3")), "s1",
                        DurableCluster.OPTIONS));
        assertTrue(damaged.getMessage().contains("body CRC"), damaged.getMessage());
    }

    static void flipByte(Path file, long offset) throws IOException {
        try (FileChannel channel = FileChannel.open(file, StandardOpenOption.READ, StandardOpenOption.WRITE)) {
            ByteBuffer one = ByteBuffer.allocate(1);
            channel.read(one, offset);
            one.put(0, (byte) (one.get(0) ^ 0x10));
            channel.write(one.flip(), offset);
        }
    }

    private static long segmentCount(Path dir) throws IOException {
        try (Stream<Path> files = Files.list(dir.resolve(DurableLogStorage.WAL_DIRECTORY))) {
            return files.filter(p -> p.getFileName().toString().endsWith(".seg")
                    && !p.getFileName().toString().startsWith("prepared")).count();
        }
    }
}

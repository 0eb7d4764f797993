package io.confman.node;

import static io.confman.node.TestCluster.awaitTrue;
import static io.confman.node.TestCluster.get;
import static io.confman.node.TestCluster.localValue;
import static io.confman.node.TestCluster.put;
import static io.confman.node.TestCluster.write;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.confman.raft.SnapshotMetadata;
import io.confman.storage.raft.DurableLogStorage;
import io.confman.store.ApplyResult;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Snapshots written by the snapshot thread while the loop goes on applying (thesis §5.2,
 * NODE.md "Snapshots"). No hook into the node: many writes with a small snapshot interval
 * keep a snapshot in flight for much of the run, and every write must still be answered.
 */
class ConfmanNodeSnapshotTest {

    /** Writes in flight at once, below the node's pendingRequestsMax. */
    private static final int WRITES_IN_FLIGHT_MAX = 64;

    @TempDir
    Path dir;

    private TestCluster cluster;

    @AfterEach
    void closeEveryNode() {
        if (cluster != null) {
            cluster.close();
        }
    }

    /** Writes key-0 .. key-(count-1) through the leader, WRITES_IN_FLIGHT_MAX at a time. */
    private static void writeMany(ConfmanNode leader, String prefix, int count) throws Exception {
        List<CompletableFuture<ApplyResult>> inFlight = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            inFlight.add(leader.propose(put(prefix + i, "v" + i)));
            if (inFlight.size() == WRITES_IN_FLIGHT_MAX || i == count - 1) {
                for (CompletableFuture<ApplyResult> future : inFlight) {
                    assertInstanceOf(ApplyResult.Created.class, get(future));
                }
                inFlight.clear();
            }
        }
    }

    private List<String> snapshotDirectoryFiles(String id) throws IOException {
        try (Stream<Path> files = Files.list(dir.resolve(id).resolve(DurableLogStorage.SNAPSHOT_DIRECTORY))) {
            return files.map(file -> file.getFileName().toString()).sorted().toList();
        }
    }

    @Test
    void aLogOfFewLargeEntriesIsSnapshottedBySize() throws Exception {
        // An interval no run reaches: only the size policy can make a snapshot due.
        cluster = new TestCluster(dir, 1, 1_000_000);
        cluster.snapshotLogBytesMax = 64 * 1024;
        cluster.startAll();
        ConfmanNode leader = cluster.awaitLeader();
        String value = "x".repeat(8 * 1024);
        for (int i = 0; i < 40; i++) {
            assertInstanceOf(ApplyResult.Created.class, get(leader.propose(put("large-" + i, value))));
        }
        // 40 entries of over 8 KiB each, over 320 KiB in all: with a snapshot due after every
        // 64 KiB applied, the latest one taken covers at least the 24th entry.
        awaitTrue("a snapshot made due by the applied log bytes",
                () -> leader.status().snapshotIndex() >= 24);
        assertTrue(snapshotDirectoryFiles("n1").stream().anyMatch(name -> name.endsWith(".snap")));
    }

    @Test
    void writesGoOnWhileSnapshotsAreWrittenAndTheLogIsCompacted() throws Exception {
        cluster = new TestCluster(dir, 3, 20).startAll();
        ConfmanNode leader = cluster.awaitLeader();
        int count = 2_000;
        writeMany(leader, "key-", count);
        long committed = TestCluster.appliedOnLoop(leader);
        for (ConfmanNode node : cluster.nodes.values()) {
            awaitTrue(node.id() + " applies up to " + committed, () -> node.status().appliedIndex() >= committed);
            assertEquals(count, (long) get(node.read(store -> store.keyCount())), node.id());
            assertEquals(Optional.of("v" + (count - 1)), localValue(node, "key-" + (count - 1)), node.id());
            awaitTrue(node.id() + " snapshots near its applied index",
                    () -> node.status().snapshotIndex() > committed - 2 * 20 - WRITES_IN_FLIGHT_MAX);
            // Several, not one per 20 entries: the node spaces snapshots by their duration.
            assertTrue(node.snapshotDurations().count() >= 3, node.id() + " took "
                    + node.snapshotDurations().count() + " snapshots");
            assertEquals(null, node.status().failure(), node.id());
        }
        List<String> ids = List.copyOf(cluster.nodes.keySet());
        cluster.close();
        for (String id : ids) {
            for (String name : snapshotDirectoryFiles(id)) {
                assertTrue(name.endsWith(".snap"), id + " left " + name + " behind");
            }
        }
    }

    @Test
    void snapshotNowCoversTheAppliedIndexWhileSnapshotsAreTakenByInterval() throws Exception {
        cluster = new TestCluster(dir, 3, 10).startAll();
        ConfmanNode leader = cluster.awaitLeader();
        CompletableFuture<Void> writes = CompletableFuture.runAsync(() -> {
            try {
                writeMany(leader, "busy-", 1_000);
            } catch (Exception failed) {
                throw new AssertionError(failed);
            }
        });
        int asked = 0;
        while (!writes.isDone() || asked < 3) {
            long applied = TestCluster.appliedOnLoop(leader);
            SnapshotMetadata taken = get(leader.snapshotNow());
            assertTrue(taken.lastIncludedIndex() >= applied, taken + " covers " + applied);
            assertTrue(leader.status().snapshotIndex() >= taken.lastIncludedIndex(), leader.status().toString());
            asked++;
        }
        get(writes);
        long applied = TestCluster.appliedOnLoop(leader);
        SnapshotMetadata last = get(leader.snapshotNow());
        assertEquals(applied, last.lastIncludedIndex(), "nothing applied since: exactly the applied index");
        assertEquals(last, get(leader.snapshotNow()), "nothing new: the same snapshot");
    }

    @Test
    void aRestartRecoversFromASnapshotWrittenOffTheLoop() throws Exception {
        cluster = new TestCluster(dir, 1, 25).startAll();
        ConfmanNode only = cluster.awaitLeader();
        writeMany(only, "kept-", 300);
        SnapshotMetadata taken = get(only.snapshotNow());
        write(only, "after-snapshot", "in the log only");
        long applied = TestCluster.appliedOnLoop(only);
        assertTrue(taken.lastIncludedIndex() >= 301, taken.toString());
        cluster.stop("n1");
        assertEquals(List.of(), snapshotDirectoryFiles("n1").stream().filter(name -> !name.endsWith(".snap"))
                .toList(), "no temporary file is left by a clean stop");

        ConfmanNode restarted = cluster.start("n1");
        assertTrue(restarted.status().snapshotIndex() >= taken.lastIncludedIndex(), restarted.status().toString());
        cluster.awaitLeader();
        awaitTrue("the restarted node applies up to " + applied, () -> restarted.status().appliedIndex() >= applied);
        assertEquals(301, (long) get(restarted.read(store -> store.keyCount())), "300 keys and one more");
        assertEquals(Optional.of("v299"), localValue(restarted, "kept-299"));
        assertEquals(Optional.of("in the log only"), localValue(restarted, "after-snapshot"));
    }

    @Test
    void aSnapshotThatCannotBeWrittenStopsTheNode() throws Exception {
        cluster = new TestCluster(dir, 1, 1_000_000).startAll();
        ConfmanNode only = cluster.awaitLeader();
        write(only, "k", "v");
        // No snapshot was taken yet, so the directory is empty; a file in its place makes
        // every write into it fail, even for root.
        Path snapshots = dir.resolve("n1").resolve(DurableLogStorage.SNAPSHOT_DIRECTORY);
        Files.delete(snapshots);
        Files.writeString(snapshots, "not a directory");
        Throwable stopped = TestCluster.failure(only.snapshotNow());
        assertInstanceOf(NodeException.Stopped.class, stopped);
        awaitTrue("the node reports its failure", () -> only.status().failure() != null);
        assertTrue(only.status().failure().contains("snapshot"), only.status().failure());
        assertInstanceOf(NodeException.Stopped.class, TestCluster.failure(only.propose(put("k2", "v2"))));
    }
}

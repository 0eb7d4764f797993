package io.confman.node;

import static io.confman.node.TestCluster.awaitTrue;
import static io.confman.node.TestCluster.failure;
import static io.confman.node.TestCluster.get;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.confman.storage.blob.BlobDigest;
import io.confman.storage.blob.BlobReader;
import io.confman.storage.blob.BlobUpload;
import io.confman.store.ApplyResult;
import io.confman.store.KeyMeta;
import io.confman.store.StoredValue;
import io.confman.store.command.Command;
import io.confman.store.command.Precondition;
import io.confman.store.command.RequestId;
import io.confman.store.command.Value;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Blobs across real nodes (NODE.md, "Blobs"): replication to a majority before the pointer
 * is written, a follower fetching what it missed, collection only after a snapshot that no
 * longer references a blob is durable, and the inline-to-blob migration.
 */
class ConfmanNodeBlobTest {

    @TempDir
    Path root;

    /** Writes {@code bytes} into {@code node}'s blob store as an upload would. */
    private static Value.BlobPointer upload(ConfmanNode node, byte[] bytes) throws Exception {
        try (BlobUpload upload = node.blobs().store().begin()) {
            upload.write(ByteBuffer.wrap(bytes));
            BlobDigest digest = upload.finish(null);
            return new Value.BlobPointer(digest.bytes(), bytes.length, "application/octet-stream");
        }
    }

    private static byte[] read(ConfmanNode node, Value.BlobPointer pointer) throws Exception {
        try (BlobReader reader = node.blobs().store().open(BlobDigest.of(pointer.sha256()))) {
            ByteBuffer all = ByteBuffer.allocate((int) reader.size());
            while (all.hasRemaining() && reader.read(all.position(), all) >= 0) {
                // read advances the buffer
            }
            return all.array();
        }
    }

    private static byte[] randomBytes(int size, long seed) {
        byte[] bytes = new byte[size];
        new Random(seed).nextBytes(bytes);
        return bytes;
    }

    private static boolean holds(ConfmanNode node, Value.BlobPointer pointer) {
        return node.blobs().store().contains(BlobDigest.of(pointer.sha256()));
    }

    @Test
    void aBlobWrittenOnAFollowerReachesEveryNodeBeforeAndAfterItsPointer() throws Exception {
        try (TestCluster cluster = new TestCluster(root, 3, 1_000_000).startAll()) {
            ConfmanNode leader = cluster.awaitLeader();
            ConfmanNode follower = cluster.nodes.values().stream().filter(node -> node != leader).findFirst()
                    .orElseThrow();
            byte[] bytes = randomBytes(3 * NodeBlobs.CHUNK_BYTES + 12_345, 1);
            Value.BlobPointer pointer = upload(follower, bytes);
            ApplyResult result = get(follower.blobs().putValue("app", "big", pointer, Precondition.NONE));
            KeyMeta meta = assertInstanceOf(ApplyResult.Created.class, result).meta();
            assertTrue(meta.blob());
            assertEquals(bytes.length, meta.sizeBytes());
            long majority = cluster.nodes.values().stream().filter(node -> holds(node, pointer)).count();
            assertTrue(majority >= 2, "a majority holds the blob once the write is answered, " + majority + " do");
            for (ConfmanNode node : cluster.nodes.values()) {
                awaitTrue(node.id() + " holds the blob", () -> holds(node, pointer));
                get(node.blobs().ensureLocal(pointer));
                assertArrayEquals(bytes, read(node, pointer), node.id() + " holds the exact bytes");
            }
        }
    }

    @Test
    void aNodeThatMissedAPointerFetchesItsBlobAfterRestart() throws Exception {
        try (TestCluster cluster = new TestCluster(root, 3, 1_000_000).startAll()) {
            ConfmanNode leader = cluster.awaitLeader();
            String away = cluster.nodes.keySet().stream().filter(id -> !id.equals(leader.id())).findFirst()
                    .orElseThrow();
            cluster.stop(away);
            byte[] bytes = randomBytes(2 * NodeBlobs.CHUNK_BYTES + 1, 2);
            Value.BlobPointer pointer = upload(leader, bytes);
            assertInstanceOf(ApplyResult.Created.class,
                    get(leader.blobs().putValue("app", "k", pointer, Precondition.NONE)));
            ConfmanNode back = cluster.start(away);
            awaitTrue(away + " applied the pointer", () -> back.status().appliedIndex() >= leader.status().commitIndex());
            awaitTrue(away + " fetched the blob in the background", () -> holds(back, pointer));
            assertArrayEquals(bytes, read(back, pointer));
        }
    }

    @Test
    void aNodeThatInstallsASnapshotFetchesTheBlobsItPointsTo() throws Exception {
        try (TestCluster cluster = new TestCluster(root, 3, 20).startAll()) {
            ConfmanNode leader = cluster.awaitLeader();
            String away = cluster.nodes.keySet().stream().filter(id -> !id.equals(leader.id())).findFirst()
                    .orElseThrow();
            cluster.stop(away);
            byte[] bytes = randomBytes(NodeBlobs.CHUNK_BYTES + 7, 6);
            Value.BlobPointer pointer = upload(leader, bytes);
            get(leader.blobs().putValue("app", "in-snapshot", pointer, Precondition.NONE));
            long pointerIndex = leader.status().commitIndex();
            for (int i = 0; i < 60; i++) { // Past several snapshots, so the log no longer holds the pointer.
                TestCluster.write(leader, "filler-" + i, "x");
            }
            awaitTrue("the leader compacted past the pointer", () -> leader.status().snapshotIndex() > pointerIndex);
            ConfmanNode back = cluster.start(away);
            awaitTrue(away + " installed a snapshot holding the pointer",
                    () -> back.status().snapshotIndex() > pointerIndex);
            awaitTrue(away + " fetched the blob the snapshot points to", () -> holds(back, pointer));
            assertArrayEquals(bytes, read(back, pointer));
        }
    }

    @Test
    void withoutAMajorityTheBlobIsRefusedAndNoPointerIsWritten() throws Exception {
        try (TestCluster cluster = new TestCluster(root, 3, 1_000_000).startAll()) {
            ConfmanNode leader = cluster.awaitLeader();
            for (String id : new ArrayList<>(cluster.nodes.keySet())) {
                if (!id.equals(leader.id())) {
                    cluster.stop(id);
                }
            }
            Value.BlobPointer pointer = upload(leader, randomBytes(1000, 3));
            Throwable refused = failure(leader.blobs().putValue("app", "lonely", pointer, Precondition.NONE));
            assertInstanceOf(NodeException.Rejected.class, refused);
            assertTrue(refused.getMessage().contains("reached 1 of 3"), refused.getMessage());
            assertTrue(get(leader.read(store -> store.get("app", "lonely"))).isEmpty());
        }
    }

    @Test
    void aBlobIsCollectedOnlyAfterASnapshotThatNoLongerReferencesItIsDurable() throws Exception {
        try (TestCluster cluster = new TestCluster(root, 3, 1_000_000)) {
            long interval = TimeUnit.MILLISECONDS.toNanos(100);
            // A short grace: an upload is safe for a second, then only pins and references keep it.
            cluster.blobSettings = new NodeBlobs.Settings(TimeUnit.SECONDS.toNanos(2), TimeUnit.SECONDS.toNanos(1),
                    interval,
                    TimeUnit.MILLISECONDS.toNanos(TestCluster.REQUEST_TIMEOUT_MS));
            cluster.startAll();
            ConfmanNode leader = cluster.awaitLeader();
            Value.BlobPointer kept = upload(leader, randomBytes(5000, 4));
            Value.BlobPointer dropped = upload(leader, randomBytes(6000, 5));
            get(leader.blobs().putValue("app", "kept", kept, Precondition.NONE));
            get(leader.blobs().putValue("app", "dropped", dropped, Precondition.NONE));
            for (ConfmanNode node : cluster.nodes.values()) {
                awaitTrue(node.id() + " holds both", () -> holds(node, kept) && holds(node, dropped));
                get(node.snapshotNow()); // A durable snapshot referencing both.
            }
            get(leader.propose(new Command.Put(RequestId.NONE, "app", "dropped",
                    Value.Inline.copyOf("small now".getBytes(StandardCharsets.UTF_8)), Precondition.NONE)));
            for (ConfmanNode node : cluster.nodes.values()) {
                awaitTrue(node.id() + " applied the overwrite", () -> node.status().appliedIndex()
                        >= leader.status().commitIndex());
                long passes = node.blobs().collectionPasses();
                awaitTrue(node.id() + " ran two more collections",
                        () -> node.blobs().collectionPasses() >= passes + 2);
                assertTrue(holds(node, dropped), node.id() + ": its latest durable snapshot still references it");
            }
            for (ConfmanNode node : cluster.nodes.values()) {
                get(node.snapshotNow());
                awaitTrue(node.id() + " collected the unreferenced blob", () -> !holds(node, dropped));
                assertTrue(holds(node, kept), node.id() + " keeps the referenced blob");
            }
        }
    }

    @Test
    void theMigrationMovesLargeInlineValuesKeepingBytesAndVersions() throws Exception {
        try (TestCluster cluster = new TestCluster(root, 3, 1_000_000).startAll()) {
            ConfmanNode leader = cluster.awaitLeader();
            List<String> keys = new ArrayList<>();
            for (int i = 0; i < 60; i++) {
                int size = i % 3 == 0 ? 5_000 + i : 100 + i;
                String key = "key-" + i;
                keys.add(key);
                get(leader.propose(new Command.Put(RequestId.NONE, i % 2 == 0 ? "a" : "b", key,
                        Value.Inline.copyOf(randomBytes(size, i)), Precondition.NONE)));
            }
            ConfmanNode runner = cluster.nodes.values().stream().filter(node -> node != leader).findFirst()
                    .orElseThrow();
            InlineToBlobMigration.Progress started = runner.migration().start(4_000);
            assertEquals("running", started.state());
            awaitTrue("the migration finished", () -> !runner.migration().running());
            InlineToBlobMigration.Progress done = runner.migration().progress();
            assertEquals("done", done.state(), done.toString());
            assertEquals(20, done.migrated());
            assertEquals(60, done.keysScanned());
            for (int i = 0; i < 60; i++) {
                String namespace = i % 2 == 0 ? "a" : "b";
                String key = keys.get(i);
                int size = i % 3 == 0 ? 5_000 + i : 100 + i;
                for (ConfmanNode node : cluster.nodes.values()) {
                    awaitTrue(node.id() + " applied everything",
                            () -> node.status().appliedIndex() >= leader.status().commitIndex());
                    StoredValue stored = get(node.read(store -> store.get(namespace, key))).orElseThrow();
                    assertEquals(1, stored.meta().version(), "a relocate keeps the version");
                    assertEquals(size >= 4_000, stored.meta().blob(), key);
                    byte[] bytes = stored.value() instanceof Value.BlobPointer pointer
                            ? get(node.blobs().ensureLocal(pointer).thenApply(ok -> {
                                try {
                                    return read(node, pointer);
                                } catch (Exception e) {
                                    throw new AssertionError(e);
                                }
                            }))
                            : ((Value.Inline) stored.value()).copyBytes();
                    assertArrayEquals(randomBytes(size, i), bytes, key + " on " + node.id());
                }
            }
            InlineToBlobMigration.Progress again = runner.migration().start(4_000);
            awaitTrue("the second run finished", () -> !runner.migration().running());
            assertEquals(0, runner.migration().progress().migrated(), "a second run finds nothing to move");
            assertEquals("running", again.state());
        }
    }
}

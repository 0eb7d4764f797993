package io.confman.storage.raft;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.confman.raft.SnapshotChunk;
import io.confman.raft.SnapshotMetadata;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.HexFormat;
import java.util.List;
import java.util.SplittableRandom;
import java.util.zip.CRC32C;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SnapshotStoreTest {

    @TempDir
    Path dir;

    private static byte[] randomBytes(long seed, int length) {
        byte[] bytes = new byte[length];
        new SplittableRandom(seed).nextBytes(bytes);
        return bytes;
    }

    private static byte[] readBody(SnapshotStore store, SnapshotMetadata snapshot) throws IOException {
        try (InputStream in = store.openBody(snapshot)) {
            return in.readAllBytes();
        }
    }

    @Test
    void theHeaderIsTheDocumentedBytes() throws IOException {
        SnapshotStore store = SnapshotStore.open(dir, 2);
        byte[] body = "hello".getBytes(java.nio.charset.StandardCharsets.US_ASCII);
        SnapshotMetadata snapshot = store.write(7, 3, out -> out.write(body));
        byte[] file = Files.readAllBytes(dir.resolve("snapshot-00000000000000000007-00000000000000000003.snap"));
        assertEquals(53, file.length);
        assertEquals(new SnapshotMetadata(7, 3, 53), snapshot);
        // FORMAT.md section 8.4 shows these 48 bytes.
        assertEquals("434f4e464d534e50" + "01000000" + "00000000" + "0700000000000000" + "0300000000000000"
                        + "0500000000000000" + "4cbb719a",
                HexFormat.of().formatHex(file, 0, 44));
        assertEquals(crcHex(body, 0, body.length), "4cbb719a");
        assertEquals(crcHex(file, 0, 44), HexFormat.of().formatHex(file, 44, 48));
        assertEquals("193c6f07", HexFormat.of().formatHex(file, 44, 48));
        assertEquals("hello", new String(file, 48, 5, java.nio.charset.StandardCharsets.US_ASCII));
    }

    private static String crcHex(byte[] bytes, int from, int to) {
        CRC32C crc = new CRC32C();
        crc.update(bytes, from, to - from);
        int value = (int) crc.getValue();
        return HexFormat.of().formatHex(new byte[] {(byte) value, (byte) (value >>> 8), (byte) (value >>> 16),
                (byte) (value >>> 24)});
    }

    @Test
    void writesAndReadsABodyAsStreams() throws IOException {
        SnapshotStore store = SnapshotStore.open(dir, 2);
        byte[] body = randomBytes(1, 3 << 20);
        SnapshotMetadata snapshot = store.write(100, 4, out -> {
            for (int offset = 0; offset < body.length; offset += 1000) {
                out.write(body, offset, Math.min(1000, body.length - offset));
            }
            out.close(); // A body writer that closes the stream does not end the file early.
        });
        assertEquals(body.length + SnapshotFormat.SNAPSHOT_HEADER_BYTES, snapshot.sizeBytes());
        assertArrayEquals(body, readBody(store, snapshot));
        assertEquals(snapshot, SnapshotStore.open(dir, 2).latest());
    }

    @Test
    void aBodyLongerThanTheSyncBehindStepIsWrittenWhole() throws IOException {
        SnapshotStore store = SnapshotStore.open(dir, 2);
        // Three background fdatasyncs at most, while the writer goes on in odd-sized pieces.
        byte[] body = randomBytes(2, (int) (3 * SnapshotStore.SYNC_BEHIND_BYTES + 12_345));
        SnapshotMetadata snapshot = store.write(100, 4, out -> {
            for (int offset = 0; offset < body.length; offset += 70_001) {
                out.write(body, offset, Math.min(70_001, body.length - offset));
            }
        });
        assertArrayEquals(body, readBody(store, snapshot));
        assertEquals(snapshot, SnapshotStore.open(dir, 2).latest());
    }

    @Test
    void aBodyWriterFailingAfterABackgroundSyncLeavesNoFileAndItsOwnError() throws IOException {
        SnapshotStore store = SnapshotStore.open(dir, 2);
        byte[] piece = randomBytes(3, 1 << 20);
        IOException thrown = assertThrows(IOException.class, () -> store.prepare(100, 4, out -> {
            for (int i = 0; i < 6; i++) { // past the first sync-behind step
                out.write(piece);
            }
            throw new IOException("the state machine failed mid-snapshot");
        }));
        assertEquals("the state machine failed mid-snapshot", thrown.getMessage());
        assertEquals(List.of(), fileNames(dir), "the temporary file was deleted");
    }

    @Test
    void chunksReadByALeaderAreReceivedAndPublishedByAFollower() throws IOException {
        SnapshotStore leader = SnapshotStore.open(dir.resolve("leader"), 2);
        SnapshotStore follower = SnapshotStore.open(dir.resolve("follower"), 2);
        byte[] body = randomBytes(2, 10_000);
        SnapshotMetadata snapshot = leader.write(50, 2, out -> out.write(body));
        for (long offset = 0; offset < snapshot.sizeBytes(); ) {
            byte[] data = leader.read(snapshot, offset, 777);
            follower.writeChunk(new SnapshotChunk(snapshot, offset, data, offset + data.length == snapshot.sizeBytes()));
            offset += data.length;
        }
        assertEquals(snapshot, follower.finishReceiving(snapshot));
        assertArrayEquals(body, readBody(follower, snapshot));
        assertEquals(List.of(snapshot), SnapshotStore.open(dir.resolve("follower"), 2).list());
    }

    @Test
    void aGapOrAStrangerChunkIsRefused() throws IOException {
        SnapshotStore leader = SnapshotStore.open(dir.resolve("leader"), 2);
        SnapshotStore follower = SnapshotStore.open(dir.resolve("follower"), 2);
        SnapshotMetadata snapshot = leader.write(50, 2, out -> out.write(randomBytes(3, 1000)));
        assertThrows(IllegalStateException.class, () -> follower.writeChunk(
                new SnapshotChunk(snapshot, 100, leader.read(snapshot, 100, 100), false)));
        follower.writeChunk(new SnapshotChunk(snapshot, 0, leader.read(snapshot, 0, 100), false));
        IllegalStateException gap = assertThrows(IllegalStateException.class, () -> follower.writeChunk(
                new SnapshotChunk(snapshot, 200, leader.read(snapshot, 200, 100), false)));
        assertTrue(gap.getMessage().contains("gap"), gap.getMessage());
        SnapshotMetadata other = new SnapshotMetadata(60, 2, snapshot.sizeBytes());
        assertThrows(IllegalStateException.class, () -> follower.writeChunk(
                new SnapshotChunk(other, 100, new byte[10], false)));
        assertThrows(IllegalStateException.class, () -> follower.finishReceiving(snapshot));
    }

    @Test
    void aReceivedFileDamagedOnTheWayIsRefusedAndDeleted() throws IOException {
        SnapshotStore leader = SnapshotStore.open(dir.resolve("leader"), 2);
        Path followerDir = dir.resolve("follower");
        SnapshotStore follower = SnapshotStore.open(followerDir, 2);
        SnapshotMetadata snapshot = leader.write(50, 2, out -> out.write(randomBytes(4, 1000)));
        byte[] all = leader.read(snapshot, 0, (int) snapshot.sizeBytes());
        all[500] ^= 1;
        follower.writeChunk(new SnapshotChunk(snapshot, 0, all, true));
        SnapshotCorruptionException damaged = assertThrows(SnapshotCorruptionException.class,
                () -> follower.finishReceiving(snapshot));
        assertTrue(damaged.getMessage().contains("body CRC"), damaged.getMessage());
        try (var files = Files.list(followerDir)) {
            assertEquals(0, files.count());
        }
        assertEquals(SnapshotMetadata.EMPTY, follower.latest());
    }

    @Test
    void stalePartialAndTemporaryFilesAreDeletedOnOpen() throws IOException {
        SnapshotStore leader = SnapshotStore.open(dir.resolve("leader"), 2);
        Path followerDir = dir.resolve("follower");
        SnapshotStore follower = SnapshotStore.open(followerDir, 2);
        SnapshotMetadata snapshot = leader.write(50, 2, out -> out.write(randomBytes(5, 1000)));
        follower.writeChunk(new SnapshotChunk(snapshot, 0, leader.read(snapshot, 0, 300), false));
        Files.write(followerDir.resolve("snapshot-00000000000000000009-00000000000000000001.snap.tmp"), new byte[10]);
        SnapshotStore reopened = SnapshotStore.open(followerDir, 2); // as after a crash
        try (var files = Files.list(followerDir)) {
            assertEquals(0, files.count());
        }
        assertEquals(SnapshotMetadata.EMPTY, reopened.latest());
    }

    @Test
    void damageIsDetectedOnOpenWhereverItIs() throws IOException {
        SnapshotStore store = SnapshotStore.open(dir, 2);
        SnapshotMetadata snapshot = store.write(9, 1, out -> out.write(randomBytes(6, 500)));
        Path file = dir.resolve(SnapshotStore.fileName(9, 1));
        byte[] good = Files.readAllBytes(file);
        for (int offset : new int[] {0, 9, 13, 17, 25, 33, 41, 45, 48, 300, good.length - 1}) {
            Files.write(file, good);
            DurableClusterTest.flipByte(file, offset);
            assertThrows(SnapshotCorruptionException.class, () -> SnapshotStore.open(dir, 2), "offset " + offset);
        }
        Files.write(file, java.util.Arrays.copyOf(good, good.length - 1));
        SnapshotCorruptionException truncated = assertThrows(SnapshotCorruptionException.class,
                () -> SnapshotStore.open(dir, 2));
        assertTrue(truncated.getMessage().contains(SnapshotStore.fileName(9, 1)), truncated.getMessage());
        Files.write(file, good);
        assertEquals(snapshot, SnapshotStore.open(dir, 2).latest());
    }

    @Test
    void restoringStreamFindsDamageAtTheEnd() throws IOException {
        SnapshotStore store = SnapshotStore.open(dir, 2);
        SnapshotMetadata snapshot = store.write(9, 1, out -> out.write(randomBytes(7, 100_000)));
        DurableClusterTest.flipByte(dir.resolve(SnapshotStore.fileName(9, 1)), 70_000);
        assertThrows(SnapshotCorruptionException.class, () -> readBody(store, snapshot));
    }

    @Test
    void keepsTheNewestSnapshotsAndTheOneInUse() throws IOException {
        SnapshotStore store = SnapshotStore.open(dir, 2);
        SnapshotMetadata first = store.write(10, 1, out -> out.write(1));
        SnapshotMetadata second = store.write(20, 1, out -> out.write(2));
        SnapshotMetadata third = store.write(30, 2, out -> out.write(3));
        store.deleteOld(first);
        assertEquals(List.of(first, second, third), store.list(), "the one in use stays");
        store.deleteOld(third);
        assertEquals(List.of(second, third), store.list());
        assertFalse(Files.exists(dir.resolve(SnapshotStore.fileName(10, 1))));
        assertThrows(IllegalArgumentException.class, () -> store.read(first, 0, 10));
    }

    @Test
    void aFailedBodyLeavesNoFile() throws IOException {
        SnapshotStore store = SnapshotStore.open(dir, 2);
        IOException failure = new IOException("state machine failed");
        IOException thrown = assertThrows(IOException.class, () -> store.write(5, 1, out -> {
            out.write(new byte[100]);
            throw failure;
        }));
        assertEquals(failure, thrown);
        try (var files = Files.list(dir)) {
            assertEquals(0, files.count());
        }
        assertThrows(IllegalArgumentException.class, () -> store.write(0, 1, OutputStream::flush));
    }

    @Test
    void leaderReadsAreBoundedByTheFile() throws IOException {
        SnapshotStore store = SnapshotStore.open(dir, 2);
        SnapshotMetadata snapshot = store.write(5, 1, out -> out.write(new byte[100]));
        assertEquals(48, store.read(snapshot, 100, 1000).length);
        ByteArrayOutputStream whole = new ByteArrayOutputStream();
        whole.writeBytes(store.read(snapshot, 0, 60));
        whole.writeBytes(store.read(snapshot, 60, 1000));
        try (FileChannel channel = FileChannel.open(dir.resolve(SnapshotStore.fileName(5, 1)), StandardOpenOption.READ)) {
            assertEquals(channel.size(), whole.size());
        }
    }

    private static List<String> fileNames(Path dir) throws IOException {
        try (var files = Files.list(dir)) {
            return files.map(file -> file.getFileName().toString()).sorted().toList();
        }
    }

    @Test
    void aPreparedSnapshotIsInvisibleUntilPublished() throws IOException {
        SnapshotStore store = SnapshotStore.open(dir, 2);
        byte[] body = randomBytes(3, 100_000);
        SnapshotStore.Prepared prepared = store.prepare(40, 2, out -> out.write(body));
        assertEquals(SnapshotMetadata.EMPTY, store.latest());
        assertEquals(List.of(SnapshotStore.fileName(40, 2) + ".tmp"), fileNames(dir));
        SnapshotMetadata published = store.publish(prepared);
        assertEquals(new SnapshotMetadata(40, 2, body.length + SnapshotFormat.SNAPSHOT_HEADER_BYTES), published);
        assertEquals(published, store.latest());
        assertEquals(List.of(SnapshotStore.fileName(40, 2)), fileNames(dir));
        assertArrayEquals(body, readBody(store, published));
        assertThrows(IllegalStateException.class, () -> store.publish(prepared), "published once");
    }

    @Test
    void aPreparedSnapshotNotNewerThanTheLatestIsRefusedAndDiscarded() throws IOException {
        SnapshotStore store = SnapshotStore.open(dir, 2);
        SnapshotStore.Prepared older = store.prepare(30, 1, out -> out.write(1));
        SnapshotMetadata installed = store.write(50, 2, out -> out.write(2)); // a leader's, meanwhile
        assertThrows(IllegalStateException.class, () -> store.publish(older));
        assertEquals(installed, store.latest());
        store.discard(older);
        assertEquals(List.of(SnapshotStore.fileName(50, 2)), fileNames(dir), "the temporary file is gone");
        assertThrows(IllegalStateException.class, () -> store.discard(older), "discarded once");
    }

    @Test
    void aCrashBetweenPrepareAndPublishLeavesTheOldSnapshotTheLatest() throws IOException {
        SnapshotStore store = SnapshotStore.open(dir, 2);
        SnapshotMetadata old = store.write(10, 1, out -> out.write(new byte[64]));
        store.prepare(20, 1, out -> out.write(new byte[64])); // the crash comes before publish
        SnapshotStore reopened = SnapshotStore.open(dir, 2);
        assertEquals(old, reopened.latest());
        assertEquals(List.of(old), reopened.list());
        assertEquals(List.of(SnapshotStore.fileName(10, 1)), fileNames(dir), "the temporary file was deleted");
    }

    @Test
    void prepareRunsOnAnotherThreadWhileTheOwnerServesAndPublishes() throws Exception {
        SnapshotStore store = SnapshotStore.open(dir, 2);
        byte[] older = randomBytes(5, 200_000);
        SnapshotMetadata served = store.write(10, 1, out -> out.write(older));
        byte[] body = randomBytes(6, 2 << 20);
        java.util.concurrent.CompletableFuture<SnapshotStore.Prepared> prepared =
                java.util.concurrent.CompletableFuture.supplyAsync(() -> {
                    try {
                        return store.prepare(20, 1, out -> out.write(body));
                    } catch (IOException failed) {
                        throw new java.io.UncheckedIOException(failed);
                    }
                });
        while (!prepared.isDone()) {
            assertArrayEquals(java.util.Arrays.copyOfRange(older, 0, 1000),
                    java.util.Arrays.copyOfRange(store.read(served, SnapshotFormat.SNAPSHOT_HEADER_BYTES, 1000),
                            0, 1000));
        }
        SnapshotMetadata published = store.publish(prepared.get());
        assertArrayEquals(body, readBody(store, published));
        assertEquals(List.of(served, published), store.list());
    }
}

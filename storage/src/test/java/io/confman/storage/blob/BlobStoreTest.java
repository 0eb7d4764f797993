package io.confman.storage.blob;

import static io.confman.storage.blob.BlobTesting.WINDOW_BYTES;
import static io.confman.storage.blob.BlobTesting.names;
import static io.confman.storage.blob.BlobTesting.randomBytes;
import static io.confman.storage.blob.BlobTesting.readAll;
import static io.confman.storage.blob.BlobTesting.sha256;
import static io.confman.storage.blob.BlobTesting.upload;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.OptionalLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class BlobStoreTest {

    @TempDir
    Path dir;

    @ParameterizedTest(name = "{0} bytes")
    @ValueSource(ints = {0, 1, WINDOW_BYTES - 1, WINDOW_BYTES, WINDOW_BYTES + 1, 3 * WINDOW_BYTES + WINDOW_BYTES / 2})
    void aBlobReadsBackAsWrittenAndIsNamedByItsSha256(int sizeBytes) throws IOException {
        byte[] bytes = randomBytes(sizeBytes, sizeBytes);
        try (BlobStore store = BlobTesting.open(dir)) {
            // 1000 is no divisor of the window, so writes and reads straddle window boundaries.
            BlobDigest digest = upload(store, bytes, 1000);
            assertEquals(sha256(bytes), digest);
            assertTrue(store.contains(digest));
            assertEquals(OptionalLong.of(sizeBytes), store.size(digest));
            assertArrayEquals(bytes, readAll(store, digest, 1000));
            assertArrayEquals(bytes, readAll(store, digest, WINDOW_BYTES * 5));
            assertArrayEquals(bytes, Files.readAllBytes(dir.resolve("sha256").resolve(digest.hex())),
                    "the file is exactly the blob, not the windows the mapping grew it by");
            assertEquals(List.of(), names(dir.resolve("tmp")));
        }
    }

    @Test
    void directAndReadOnlyBuffersAreWrittenAsHeapOnes() throws IOException {
        byte[] bytes = randomBytes(2, 3 * WINDOW_BYTES + 17);
        try (BlobStore store = BlobTesting.open(dir); BlobUpload upload = store.begin()) {
            int third = bytes.length / 3;
            ByteBuffer direct = ByteBuffer.allocateDirect(third).put(bytes, 0, third).flip();
            upload.write(direct);
            assertFalse(direct.hasRemaining(), "the source is consumed");
            upload.write(ByteBuffer.wrap(bytes, third, third).asReadOnlyBuffer());
            ByteBuffer heap = ByteBuffer.wrap(bytes, 2 * third, bytes.length - 2 * third);
            upload.write(heap);
            assertEquals(bytes.length, heap.position());
            assertEquals(bytes.length, upload.size());
            BlobDigest digest = upload.finish(null);
            assertEquals(sha256(bytes), digest);
            assertArrayEquals(bytes, readAll(store, digest, 4096));
        }
    }

    /** Past two sync-behind steps: the early fdatasyncs run beside the writes and the blob is whole. */
    @Test
    void anUploadPastSeveralSyncBehindStepsPublishesTheWholeBlob() throws IOException {
        byte[] bytes = randomBytes(21, (int) (2 * BlobUpload.SYNC_BEHIND_BYTES + 12_345));
        try (BlobStore store = BlobTesting.open(dir)) {
            BlobDigest digest = upload(store, bytes, 1 << 20);
            assertEquals(sha256(bytes), digest);
            assertArrayEquals(bytes, readAll(store, digest, 1 << 20));
            assertTrue(store.verify(digest));
            assertEquals(List.of(), names(dir.resolve("tmp")), "no temporary file is left");
        }
    }

    @Test
    void readsFromAnyPositionStopAtTheEnd() throws IOException {
        byte[] bytes = randomBytes(3, 2 * WINDOW_BYTES + 200);
        try (BlobStore store = BlobTesting.open(dir)) {
            BlobDigest digest = upload(store, bytes, 8192);
            try (BlobReader reader = store.open(digest)) {
                assertEquals(digest, reader.digest());
                assertEquals(bytes.length, reader.size());
                // Backwards, across a boundary, so that windows are remapped in both directions.
                ByteBuffer target = ByteBuffer.allocate(300);
                for (long position : new long[] {2L * WINDOW_BYTES - 150, 10, WINDOW_BYTES - 1, 0}) {
                    assertEquals(300, reader.read(position, target.clear()));
                    assertArrayEquals(java.util.Arrays.copyOfRange(bytes, (int) position, (int) position + 300),
                            target.array());
                }
                assertEquals(100, reader.read(2L * WINDOW_BYTES + 100, target.clear()), "a short read at the end");
                assertEquals(-1, reader.read(bytes.length, target.clear()));
                assertEquals(-1, reader.read(bytes.length + 5L, target.clear()));
                assertEquals(0, reader.read(0, target.clear().limit(0)));
                assertThrows(IllegalArgumentException.class, () -> reader.read(-1, ByteBuffer.allocate(1)));
                assertEquals(bytes.length, reader.channel().size());
            }
        }
    }

    @Test
    void theChannelServesTheFileForZeroCopyTransfers() throws IOException {
        byte[] bytes = randomBytes(4, WINDOW_BYTES + 5);
        try (BlobStore store = BlobTesting.open(dir)) {
            BlobDigest digest = upload(store, bytes, 4096);
            Path copy = dir.resolve("copy");
            try (BlobReader reader = store.open(digest);
                 FileChannel out = FileChannel.open(copy, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
                long sent = 0;
                while (sent < reader.size()) {
                    sent += reader.channel().transferTo(sent, reader.size() - sent, out);
                }
                assertThrows(java.nio.channels.NonWritableChannelException.class,
                        () -> reader.channel().write(ByteBuffer.allocate(1), 0), "the channel is read-only");
            }
            assertArrayEquals(bytes, Files.readAllBytes(copy));
        }
    }

    @Test
    void aDigestMismatchPublishesNothingAndLeavesNoFile() throws IOException {
        byte[] bytes = randomBytes(5, WINDOW_BYTES + 3);
        BlobDigest claimed = sha256("something else".getBytes(java.nio.charset.StandardCharsets.UTF_8));
        try (BlobStore store = BlobTesting.open(dir)) {
            BlobUpload upload = store.begin();
            upload.write(bytes, 0, bytes.length);
            BlobDigestMismatchException mismatch =
                    assertThrows(BlobDigestMismatchException.class, () -> upload.finish(claimed));
            assertEquals(claimed, mismatch.expected());
            assertEquals(sha256(bytes), mismatch.actual());
            assertFalse(store.contains(sha256(bytes)));
            assertEquals(0, store.count());
            assertEquals(List.of(), names(dir.resolve("tmp")));
            assertEquals(List.of(), names(dir.resolve("sha256")));
            assertThrows(IllegalStateException.class, () -> upload.write(bytes, 0, 1), "the upload is closed");
            upload.close();
        }
    }

    @Test
    void theExpectedDigestIsAccepted() throws IOException {
        byte[] bytes = randomBytes(6, 1234);
        try (BlobStore store = BlobTesting.open(dir); BlobUpload upload = store.begin()) {
            upload.write(bytes, 0, bytes.length);
            assertEquals(sha256(bytes), upload.finish(sha256(bytes)));
            assertThrows(IllegalStateException.class, () -> upload.finish(null), "an upload finishes once");
        }
    }

    @Test
    void anUploadOfABlobHeldAlreadyKeepsTheExistingFile() throws IOException {
        byte[] bytes = randomBytes(7, 5000);
        try (BlobStore store = BlobTesting.open(dir)) {
            BlobDigest digest = upload(store, bytes, 5000);
            Path file = dir.resolve("sha256").resolve(digest.hex());
            Object inode = Files.readAttributes(file, java.nio.file.attribute.BasicFileAttributes.class).fileKey();
            assertEquals(digest, upload(store, bytes, 77));
            assertEquals(inode, Files.readAttributes(file, java.nio.file.attribute.BasicFileAttributes.class).fileKey(),
                    "the existing file stays; the second upload's is dropped");
            assertEquals(1, store.count());
            assertEquals(5000, store.bytes());
            assertEquals(List.of(), names(dir.resolve("tmp")));
        }
    }

    @Test
    void closingAnUnfinishedUploadDeletesItsFile() throws IOException {
        try (BlobStore store = BlobTesting.open(dir)) {
            BlobUpload upload = store.begin();
            upload.write(randomBytes(8, 3 * WINDOW_BYTES), 0, 3 * WINDOW_BYTES);
            assertEquals(1, names(dir.resolve("tmp")).size());
            upload.close();
            upload.close();
            assertEquals(List.of(), names(dir.resolve("tmp")));
            assertEquals(0, store.count());
            assertThrows(IllegalStateException.class, () -> upload.finish(null));
        }
    }

    @Test
    void countBytesAndListFollowPublishesAndDeletes() throws IOException {
        List<BlobDigest> digests = new ArrayList<>();
        long total = 0;
        try (BlobStore store = BlobTesting.open(dir)) {
            for (int i = 0; i < 20; i++) {
                byte[] bytes = randomBytes(100 + i, i * 1000);
                digests.add(upload(store, bytes, 999));
                total += bytes.length;
            }
            assertEquals(20, store.count());
            assertEquals(total, store.bytes());
            assertEquals(digests.stream().sorted().toList(), store.list(), "in digest order");

            assertTrue(store.delete(digests.get(3)));
            assertFalse(store.delete(digests.get(3)), "deleted already");
            assertFalse(store.contains(digests.get(3)));
            assertEquals(OptionalLong.empty(), store.size(digests.get(3)));
            assertThrows(NoSuchFileException.class, () -> store.open(digests.get(3)));
            assertEquals(19, store.count());
            assertEquals(total - 3000, store.bytes());
            assertFalse(Files.exists(dir.resolve("sha256").resolve(digests.get(3).hex())));
        }
        try (BlobStore reopened = BlobTesting.open(dir)) {
            assertEquals(19, reopened.count(), "computed again from the directory");
            assertEquals(total - 3000, reopened.bytes());
            assertEquals(19, reopened.list().size());
        }
    }

    @Test
    void aReaderOpenedBeforeADeleteKeepsReading() throws IOException {
        byte[] bytes = randomBytes(9, 3 * WINDOW_BYTES + 1);
        try (BlobStore store = BlobTesting.open(dir)) {
            BlobDigest digest = upload(store, bytes, 4096);
            try (BlobReader reader = store.open(digest)) {
                ByteBuffer first = ByteBuffer.allocate(10);
                reader.read(0, first); // Maps the first window before the delete.
                assertTrue(store.delete(digest));
                assertFalse(Files.exists(dir.resolve("sha256").resolve(digest.hex())));
                // Windows mapped after the unlink come from the open file.
                ByteBuffer all = ByteBuffer.allocate(bytes.length);
                assertEquals(bytes.length, reader.read(0, all));
                assertArrayEquals(bytes, all.array());
            }
        }
    }

    @Test
    void verifyFindsAFlippedByte() throws IOException {
        byte[] bytes = randomBytes(10, 2 * WINDOW_BYTES + 9);
        try (BlobStore store = BlobTesting.open(dir)) {
            BlobDigest digest = upload(store, bytes, 4096);
            assertTrue(store.verify(digest));
            Path file = dir.resolve("sha256").resolve(digest.hex());
            try (FileChannel channel = FileChannel.open(file, StandardOpenOption.WRITE)) {
                channel.write(ByteBuffer.wrap(new byte[] {(byte) (bytes[WINDOW_BYTES + 1] ^ 0x20)}), WINDOW_BYTES + 1);
            }
            assertFalse(store.verify(digest));
            assertTrue(store.contains(digest), "verify reports; deciding what to do is the caller's");
            assertThrows(NoSuchFileException.class,
                    () -> store.verify(sha256("not held".getBytes(java.nio.charset.StandardCharsets.UTF_8))));
        }
    }

    @Test
    void anUploadInterruptedByACrashLeavesNoBlobAndItsFileGoesAtOpen() throws IOException {
        byte[] bytes = randomBytes(11, 2 * WINDOW_BYTES);
        BlobStore store = BlobTesting.open(dir);
        BlobUpload interrupted = store.begin();
        interrupted.write(bytes, 0, bytes.length);
        // The process dies here: nothing is finished or closed. Another process opens the store.
        store.close();
        List<String> left = names(dir.resolve("tmp"));
        assertEquals(1, left.size());
        assertTrue(left.get(0).startsWith("upload-") && left.get(0).endsWith(".part"), left.get(0));
        try (BlobStore reopened = BlobTesting.open(dir)) {
            assertEquals(List.of(), names(dir.resolve("tmp")), "the interrupted upload's file is deleted");
            assertEquals(List.of(), reopened.list());
            assertEquals(0, reopened.count());
            assertFalse(reopened.contains(sha256(bytes)));
        } finally {
            interrupted.close(); // Its file is gone already.
        }
    }

    @Test
    void filesWithUnexpectedNamesAreLeftAloneAndNotListed() throws IOException {
        byte[] bytes = randomBytes(12, 300);
        BlobDigest held;
        try (BlobStore store = BlobTesting.open(dir)) {
            held = upload(store, bytes, 300);
        }
        Path blobs = dir.resolve("sha256");
        Path temp = dir.resolve("tmp");
        Files.writeString(blobs.resolve("README"), "not a blob");
        Files.write(blobs.resolve(held.hex().toUpperCase(java.util.Locale.ROOT)), bytes); // Not how the store names it.
        Files.write(blobs.resolve(held.hex().substring(1)), bytes);
        Files.createDirectory(blobs.resolve(sha256(new byte[] {1}).hex())); // A directory named like a blob.
        Files.writeString(temp.resolve("notes.txt"), "not an upload");
        Files.writeString(temp.resolve("upload-123.part"), "a torn upload");
        try (BlobStore store = BlobTesting.open(dir)) {
            assertEquals(List.of(held), store.list());
            assertEquals(1, store.count());
            assertEquals(300, store.bytes());
            assertTrue(Files.exists(blobs.resolve("README")));
            assertTrue(Files.exists(blobs.resolve(held.hex().toUpperCase(java.util.Locale.ROOT))));
            assertTrue(Files.isDirectory(blobs.resolve(sha256(new byte[] {1}).hex())));
            assertEquals(List.of("notes.txt"), names(temp), "only upload files are deleted");
        }
    }

    @Test
    void anEmptyFileUnderAnotherDigestIsDamageAndIsReplacedByTheNextUpload() throws IOException {
        byte[] bytes = randomBytes(13, 700);
        BlobDigest digest = sha256(bytes);
        Files.createDirectories(dir.resolve("sha256"));
        Files.createFile(dir.resolve("sha256").resolve(digest.hex()));
        Files.createFile(dir.resolve("sha256").resolve(BlobLayout.EMPTY_DIGEST.hex()));
        try (BlobStore store = BlobTesting.open(dir)) {
            assertEquals(List.of(BlobLayout.EMPTY_DIGEST), store.list(), "the empty blob is a blob");
            assertFalse(store.contains(digest));
            assertEquals(digest, upload(store, bytes, 100));
            assertArrayEquals(bytes, Files.readAllBytes(dir.resolve("sha256").resolve(digest.hex())));
            assertEquals(2, store.count());
        }
    }

    @Test
    void aSecondStoreOnTheSameDirectoryIsRefused() throws IOException {
        try (BlobStore store = BlobTesting.open(dir)) {
            IOException refused = assertThrows(IOException.class, () -> BlobTesting.open(dir));
            assertTrue(refused.getMessage().contains("is open already"), refused.getMessage());
            assertEquals(dir, store.directory());
        }
        BlobTesting.open(dir).close(); // Free again once closed.
    }

    @Test
    void aClosedStoreRefusesWorkButOpenReadersGoOn() throws IOException {
        byte[] bytes = randomBytes(14, 999);
        BlobStore store = BlobTesting.open(dir);
        BlobDigest digest = upload(store, bytes, 999);
        BlobUpload unfinished = store.begin();
        unfinished.write(bytes, 0, 10);
        try (BlobReader reader = store.open(digest)) {
            store.close();
            store.close();
            assertThrows(IllegalStateException.class, store::begin);
            assertThrows(IllegalStateException.class, () -> store.open(digest));
            assertThrows(IllegalStateException.class, () -> unfinished.finish(null));
            assertEquals(List.of(), names(dir.resolve("tmp")), "the failed upload's file is deleted");
            ByteBuffer all = ByteBuffer.allocate(bytes.length);
            assertEquals(bytes.length, reader.read(0, all));
            assertArrayEquals(bytes, all.array());
        }
    }

    @Test
    void aClosedReaderRefusesReads() throws IOException {
        try (BlobStore store = BlobTesting.open(dir)) {
            BlobDigest digest = upload(store, new byte[] {1, 2, 3}, 3);
            BlobReader reader = store.open(digest);
            reader.close();
            reader.close();
            assertThrows(java.nio.channels.ClosedChannelException.class, () -> reader.read(0, ByteBuffer.allocate(3)));
            assertFalse(reader.channel().isOpen());
        }
    }

    @Test
    void windowsMustBeWholeMultiplesOfTheAlignment() {
        assertThrows(IllegalArgumentException.class,
                () -> BlobStore.open(dir, 4096, io.confman.storage.wal.StorageIo.fileSystem()));
        assertThrows(IllegalArgumentException.class,
                () -> BlobStore.open(dir, 3 * WINDOW_BYTES / 2, io.confman.storage.wal.StorageIo.fileSystem()));
    }
}

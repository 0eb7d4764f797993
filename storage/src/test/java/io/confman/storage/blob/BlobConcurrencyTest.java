package io.confman.storage.blob;

import static io.confman.storage.blob.BlobTesting.WINDOW_BYTES;
import static io.confman.storage.blob.BlobTesting.names;
import static io.confman.storage.blob.BlobTesting.randomBytes;
import static io.confman.storage.blob.BlobTesting.readAll;
import static io.confman.storage.blob.BlobTesting.sha256;
import static io.confman.storage.blob.BlobTesting.upload;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.RepeatedTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class BlobConcurrencyTest {

    @TempDir
    Path dir;

    private final ExecutorService threads = Executors.newFixedThreadPool(4);

    @AfterEach
    void stopThreads() throws InterruptedException {
        threads.shutdownNow();
        threads.awaitTermination(10, TimeUnit.SECONDS);
    }

    @RepeatedTest(5)
    void uploadsOfTheSameBytesAllFinishAndOneFileStays() throws Exception {
        byte[] bytes = randomBytes(1, 2 * WINDOW_BYTES + 11);
        int uploadsCount = 4;
        CyclicBarrier allWritten = new CyclicBarrier(uploadsCount);
        try (BlobStore store = BlobTesting.open(dir)) {
            List<Future<BlobDigest>> digests = new ArrayList<>();
            for (int i = 0; i < uploadsCount; i++) {
                digests.add(threads.submit(() -> {
                    try (BlobUpload upload = store.begin()) {
                        upload.write(bytes, 0, bytes.length);
                        allWritten.await(10, TimeUnit.SECONDS); // All finish at once.
                        return upload.finish(sha256(bytes));
                    }
                }));
            }
            for (Future<BlobDigest> digest : digests) {
                assertEquals(sha256(bytes), digest.get(30, TimeUnit.SECONDS));
            }
            assertEquals(1, store.count());
            assertEquals(bytes.length, store.bytes());
            assertEquals(List.of(sha256(bytes).hex()), names(dir.resolve("sha256")));
            assertEquals(List.of(), names(dir.resolve("tmp")), "the losers' files are dropped");
            assertArrayEquals(bytes, readAll(store, sha256(bytes), 4096));
        }
    }

    @Test
    void totalsStayExactUnderConcurrentPublishesAndDeletes() throws Exception {
        int threadsCount = 4;
        int blobsPerThread = 30;
        try (BlobStore store = BlobTesting.open(dir)) {
            List<Future<List<byte[]>>> kept = new ArrayList<>();
            for (int t = 0; t < threadsCount; t++) {
                int thread = t;
                kept.add(threads.submit(() -> {
                    List<byte[]> mine = new ArrayList<>();
                    for (int i = 0; i < blobsPerThread; i++) {
                        byte[] bytes = randomBytes(thread * 1000L + i, (i * 977) % (2 * WINDOW_BYTES));
                        BlobDigest digest = upload(store, bytes, 3000);
                        if (i % 3 == 0) {
                            store.delete(digest);
                        } else {
                            mine.add(bytes);
                        }
                    }
                    return mine;
                }));
            }
            long expectedBytes = 0;
            List<BlobDigest> expected = new ArrayList<>();
            for (Future<List<byte[]>> future : kept) {
                for (byte[] bytes : future.get(60, TimeUnit.SECONDS)) {
                    expected.add(sha256(bytes));
                    expectedBytes += bytes.length;
                }
            }
            assertEquals(expected.stream().sorted().toList(), store.list());
            assertEquals(expected.size(), store.count());
            assertEquals(expectedBytes, store.bytes());
            assertEquals(expected.stream().map(BlobDigest::hex).sorted().toList(), names(dir.resolve("sha256")));
            long onDisk = 0;
            for (BlobDigest digest : expected) {
                onDisk += Files.size(dir.resolve("sha256").resolve(digest.hex()));
            }
            assertEquals(expectedBytes, onDisk);
        }
    }

    @Test
    void anUploadMayMoveBetweenThreads() throws Exception {
        byte[] bytes = randomBytes(2, 3 * WINDOW_BYTES);
        try (BlobStore store = BlobTesting.open(dir)) {
            BlobUpload upload = store.begin();
            // Each piece on whichever pool thread takes it; get() orders them.
            for (int offset = 0; offset < bytes.length; offset += WINDOW_BYTES / 2) {
                int from = offset;
                threads.submit(() -> {
                    upload.write(bytes, from, WINDOW_BYTES / 2);
                    return null;
                }).get(10, TimeUnit.SECONDS);
            }
            BlobDigest digest = threads.submit(() -> upload.finish(null)).get(10, TimeUnit.SECONDS);
            assertEquals(sha256(bytes), digest);
            assertArrayEquals(bytes, readAll(store, digest, 4096));
        }
    }
}

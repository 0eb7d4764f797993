package io.confman.storage.blob;

import static io.confman.storage.blob.BlobTesting.WINDOW_BYTES;
import static io.confman.storage.blob.BlobTesting.randomBytes;
import static io.confman.storage.blob.BlobTesting.readAll;
import static io.confman.storage.blob.BlobTesting.sha256;
import static io.confman.storage.blob.BlobTesting.upload;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.SplittableRandom;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Chronicle's reference counting and the readers' unmapping give back every file descriptor
 * and every mapping: counted in /proc/self, so Linux only.
 */
class BlobResourceTest {

    private static final Path OPEN_FILES = Path.of("/proc/self/fd");
    private static final Path MAPPINGS = Path.of("/proc/self/maps");

    @TempDir
    Path dir;

    @BeforeEach
    void requireProc() {
        assumeTrue(Files.isDirectory(OPEN_FILES) && Files.isReadable(MAPPINGS), "needs Linux's /proc/self");
    }

    @Test
    void manyUploadsAndReadsLeaveNoOpenFileOrMapping() throws IOException {
        try (BlobStore store = BlobTesting.open(dir)) {
            // Warm up: Chronicle's classes load and open what they keep for the JVM's lifetime.
            for (int i = 0; i < 3; i++) {
                BlobDigest digest = upload(store, randomBytes(i, 2 * WINDOW_BYTES + i), 5000);
                readAll(store, digest, 4096);
                store.delete(digest);
            }
            long openFilesBefore = openFilesUnder(dir);
            assertEquals(0, mappingsUnder(dir));

            SplittableRandom random = new SplittableRandom(42);
            for (int i = 0; i < 200; i++) {
                byte[] bytes = randomBytes(1000 + i, random.nextInt(3 * WINDOW_BYTES + 1));
                BlobDigest digest = upload(store, bytes, 1 + random.nextInt(2 * WINDOW_BYTES));
                assertArrayEquals(bytes, readAll(store, digest, 1 + random.nextInt(WINDOW_BYTES)));
                if (i % 20 == 0) {
                    assertTrue(store.verify(digest));
                }
                if (i % 3 == 0) {
                    store.delete(digest);
                }
            }

            assertEquals(0, mappingsUnder(dir), "every window of every upload and read is unmapped");
            assertEquals(openFilesBefore, openFilesUnder(dir), "every upload and reader closed its files");
        }
    }

    @Test
    void anUploadAndAReaderMapOneWindowEachAtMost() throws IOException {
        byte[] bytes = randomBytes(7, 5 * WINDOW_BYTES);
        try (BlobStore store = BlobTesting.open(dir)) {
            BlobDigest digest;
            try (BlobUpload upload = store.begin()) {
                for (int offset = 0; offset < bytes.length; offset += 4096) {
                    upload.write(bytes, offset, 4096);
                    assertTrue(mappingsUnder(dir) <= 1, "windows behind the writer are unmapped");
                }
                assertEquals(1, mappingsUnder(dir));
                digest = upload.finish(null);
                assertEquals(0, mappingsUnder(dir), "finish unmaps before it truncates and fsyncs");
            }
            try (BlobReader reader = store.open(digest)) {
                ByteBuffer piece = ByteBuffer.allocate(4096);
                for (long position = 0; position < bytes.length; position += piece.capacity()) {
                    reader.read(position, piece.clear());
                    assertEquals(1, mappingsUnder(dir));
                }
                // A blob deleted under an open reader keeps its space until the reader closes.
                store.delete(digest);
                assertEquals(1, mappingsUnder(dir));
            }
            assertEquals(0, mappingsUnder(dir));
            assertEquals(sha256(bytes), digest);
        }
    }

    @Test
    void chronicleReleasesOnTheCallingThreadAndStartsNoThreadOfItsOwn() throws IOException {
        try (BlobStore store = BlobTesting.open(dir)) {
            upload(store, randomBytes(8, WINDOW_BYTES + 1), 4096);
        }
        assertEquals("false", System.getProperty("background.releaser"));
        assertEquals(ChronicleRuntime.EMPTY_SYSTEM_PROPERTIES, System.getProperty("system.properties"));
        assertFalse(Thread.getAllStackTraces().keySet().stream()
                        .anyMatch(thread -> thread.getName().contains("releaser")),
                "no background~resource~releaser thread");
    }

    /**
     * Open descriptors of this process naming a file under {@code dir} (deleted ones included):
     * the JVM and the test runner open and close files of their own meanwhile, which a count
     * of every descriptor would take for a leak.
     */
    private static long openFilesUnder(Path dir) throws IOException {
        String prefix = dir.toRealPath().toString() + "/";
        try (Stream<Path> files = Files.list(OPEN_FILES)) {
            return files.filter(fd -> {
                try {
                    return Files.readSymbolicLink(fd).toString().startsWith(prefix);
                } catch (IOException closedMeanwhile) {
                    return false; // A descriptor closed between the listing and the read (e.g. the listing's own).
                }
            }).count();
        }
    }

    /** Lines of /proc/self/maps naming a file under {@code dir} (deleted ones included). */
    private static long mappingsUnder(Path dir) throws IOException {
        String prefix = dir.toRealPath().toString() + "/";
        try (Stream<String> lines = Files.lines(MAPPINGS)) {
            return lines.filter(line -> line.contains(prefix)).count();
        }
    }
}

package io.confman.storage.blob;

import static io.confman.storage.blob.BlobTesting.WINDOW_BYTES;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.List;
import java.util.stream.Stream;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.lifecycle.AfterProperty;
import net.jqwik.api.lifecycle.BeforeProperty;

/**
 * However an upload's bytes are cut into writes (empty ones, ones across window boundaries,
 * arrays, heap, read-only and direct buffers), the digest is the SHA-256 of the whole and the
 * blob reads back as written.
 */
class BlobChunkingPropertyTest {

    private enum Source { ARRAY, HEAP_BUFFER, READ_ONLY_BUFFER, DIRECT_BUFFER }

    private record Piece(int lengthBytes, Source source) {
    }

    private Path dir;
    private BlobStore store;

    @BeforeProperty
    void openStore() throws IOException {
        dir = Files.createTempDirectory("blob-property");
        store = BlobTesting.open(dir);
    }

    @AfterProperty
    void deleteStore() throws IOException {
        store.close();
        try (Stream<Path> files = Files.walk(dir)) {
            for (Path file : files.sorted(Comparator.reverseOrder()).toList()) {
                Files.delete(file);
            }
        }
    }

    @Provide
    Arbitrary<List<Piece>> pieces() {
        return Combinators.combine(Arbitraries.integers().between(0, 2 * WINDOW_BYTES + 1),
                        Arbitraries.of(Source.class))
                .as(Piece::new).list().ofMinSize(1).ofMaxSize(12)
                .filter(list -> list.stream().anyMatch(piece -> piece.lengthBytes() > 0)); // Else no progress.
    }

    @Property(tries = 60, seed = "20261126")
    void anyCuttingHashesLikeTheWhole(@ForAll @IntRange(min = 0, max = 4 * 65536 + 3) int sizeBytes,
                                      @ForAll long seed, @ForAll("pieces") List<Piece> pieces) throws IOException {
        byte[] bytes = BlobTesting.randomBytes(seed, sizeBytes);
        BlobDigest digest;
        try (BlobUpload upload = store.begin()) {
            int offset = 0;
            for (int i = 0; offset < bytes.length; i++) {
                Piece piece = pieces.get(i % pieces.size());
                int length = Math.min(piece.lengthBytes(), bytes.length - offset);
                write(upload, piece.source(), bytes, offset, length);
                offset += length;
            }
            assertEquals(bytes.length, upload.size());
            digest = upload.finish(null);
        }
        assertEquals(BlobTesting.sha256(bytes), digest);
        assertArrayEquals(bytes, BlobTesting.readAll(store, digest, 1 + (int) Math.floorMod(seed, 3L * WINDOW_BYTES)));
        store.delete(digest);
    }

    private static void write(BlobUpload upload, Source source, byte[] bytes, int offset, int length)
            throws IOException {
        switch (source) {
            case ARRAY -> upload.write(bytes, offset, length);
            case HEAP_BUFFER -> upload.write(ByteBuffer.wrap(bytes, offset, length));
            case READ_ONLY_BUFFER -> upload.write(ByteBuffer.wrap(bytes, offset, length).asReadOnlyBuffer());
            case DIRECT_BUFFER -> upload.write(ByteBuffer.allocateDirect(length).put(bytes, offset, length).flip());
        }
    }
}

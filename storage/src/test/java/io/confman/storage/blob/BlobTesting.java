package io.confman.storage.blob;

import io.confman.storage.wal.StorageIo;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.List;
import java.util.SplittableRandom;
import java.util.stream.Stream;

/** Helpers shared by the blob store's tests. */
final class BlobTesting {

    /** A small window, so that a blob of a few hundred KiB crosses several. */
    static final int WINDOW_BYTES = (int) BlobStore.WINDOW_ALIGNMENT_BYTES;

    private BlobTesting() {
    }

    static BlobStore open(Path dir) throws IOException {
        return BlobStore.open(dir, WINDOW_BYTES, StorageIo.fileSystem());
    }

    static byte[] randomBytes(long seed, int length) {
        byte[] bytes = new byte[length];
        new SplittableRandom(seed).nextBytes(bytes);
        return bytes;
    }

    static BlobDigest sha256(byte[] bytes) {
        MessageDigest sha256 = BlobUpload.newSha256();
        return BlobDigest.of(sha256.digest(bytes));
    }

    /** Uploads {@code bytes} in pieces of {@code pieceBytes} and publishes them. */
    static BlobDigest upload(BlobStore store, byte[] bytes, int pieceBytes) throws IOException {
        try (BlobUpload upload = store.begin()) {
            for (int offset = 0; offset < bytes.length; offset += pieceBytes) {
                upload.write(bytes, offset, Math.min(pieceBytes, bytes.length - offset));
            }
            return upload.finish(null);
        }
    }

    /** Reads a whole blob through {@link BlobReader#read}, {@code pieceBytes} at a time. */
    static byte[] readAll(BlobStore store, BlobDigest digest, int pieceBytes) throws IOException {
        try (BlobReader reader = store.open(digest)) {
            ByteBuffer all = ByteBuffer.allocate(Math.toIntExact(reader.size()));
            ByteBuffer piece = ByteBuffer.allocateDirect(pieceBytes);
            long position = 0;
            int read;
            while ((read = reader.read(position, piece.clear())) >= 0) {
                all.put(piece.flip());
                position += read;
            }
            return all.array();
        }
    }

    /** The names in a directory, sorted. */
    static List<String> names(Path dir) throws IOException {
        try (Stream<Path> files = Files.list(dir)) {
            return files.map(file -> file.getFileName().toString()).sorted().toList();
        }
    }
}

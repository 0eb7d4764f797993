package io.confman.storage.blob;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.OptionalLong;

/**
 * Blobs on disk, addressed by SHA-256 (storage/FORMAT.md, "Blob store"). Thread-safe.
 *
 * <p>An upload streams into a temporary file through a memory mapping while it is hashed,
 * and is published only whole: fsync of the file, rename to its digest, fsync of the
 * directory. A crash at any point leaves either no blob or the whole blob; temporary files
 * left by a crash are deleted when the store opens.
 */
public final class BlobStore implements AutoCloseable {

    /** Opens (creating if needed) the store in {@code directory}; deletes leftover temporary files. */
    public static BlobStore open(Path directory) throws IOException {
        throw new UnsupportedOperationException("not built yet");
    }

    /** Starts an upload; its bytes are hashed as they are written. */
    public BlobUpload begin() throws IOException {
        throw new UnsupportedOperationException("not built yet");
    }

    public boolean contains(BlobDigest digest) {
        throw new UnsupportedOperationException("not built yet");
    }

    /** The blob's size, or empty when the store does not hold it. */
    public OptionalLong size(BlobDigest digest) {
        throw new UnsupportedOperationException("not built yet");
    }

    /**
     * Opens the blob for reading, or throws {@link java.nio.file.NoSuchFileException}. A reader
     * stays valid when the blob is deleted meanwhile (the file lives until it is closed).
     */
    public BlobReader open(BlobDigest digest) throws IOException {
        throw new UnsupportedOperationException("not built yet");
    }

    /** Deletes the blob (durably); false when it was not there. */
    public boolean delete(BlobDigest digest) throws IOException {
        throw new UnsupportedOperationException("not built yet");
    }

    /** Every blob held, in digest order. */
    public List<BlobDigest> list() throws IOException {
        throw new UnsupportedOperationException("not built yet");
    }

    /** How many blobs and bytes the store holds (kept as blobs are published and deleted). */
    public long count() {
        throw new UnsupportedOperationException("not built yet");
    }

    public long bytes() {
        throw new UnsupportedOperationException("not built yet");
    }

    public Path directory() {
        throw new UnsupportedOperationException("not built yet");
    }

    @Override
    public void close() {
    }
}

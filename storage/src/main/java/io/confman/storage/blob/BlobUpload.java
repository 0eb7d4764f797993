package io.confman.storage.blob;

import java.io.IOException;
import java.nio.ByteBuffer;

/**
 * One blob being written: bytes are appended in order, hashed, and the blob is published by
 * {@link #finish}. Used by one thread at a time. Closing an unfinished upload deletes its
 * temporary file.
 */
public final class BlobUpload implements AutoCloseable {

    /** Appends the remaining bytes of {@code source} (consuming them). */
    public void write(ByteBuffer source) throws IOException {
        throw new UnsupportedOperationException("not built yet");
    }

    /** Bytes written so far. */
    public long size() {
        throw new UnsupportedOperationException("not built yet");
    }

    /**
     * Publishes the blob durably and returns its digest. When {@code expected} is not null and
     * differs from the digest of the bytes written, nothing is published and
     * {@link BlobDigestMismatchException} is thrown. When the store already holds the blob,
     * the temporary file is dropped and the existing blob stays.
     */
    public BlobDigest finish(BlobDigest expected) throws IOException {
        throw new UnsupportedOperationException("not built yet");
    }

    /** Deletes the temporary file unless the upload was finished. Idempotent. */
    @Override
    public void close() {
    }
}

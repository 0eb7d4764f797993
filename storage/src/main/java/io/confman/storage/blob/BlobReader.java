package io.confman.storage.blob;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;

/**
 * A published blob opened for reading. Reads go through memory-mapped windows of bounded
 * size, so memory use does not depend on the blob's size; {@link #channel()} gives the file
 * for zero-copy transfer ({@code FileChannel.transferTo}, Netty's {@code DefaultFileRegion}).
 */
public final class BlobReader implements AutoCloseable {

    public BlobDigest digest() {
        throw new UnsupportedOperationException("not built yet");
    }

    public long size() {
        throw new UnsupportedOperationException("not built yet");
    }

    /**
     * Copies bytes from {@code position} into {@code target} until it is full or the blob
     * ends; returns the count, or -1 at the end.
     */
    public int read(long position, ByteBuffer target) throws IOException {
        throw new UnsupportedOperationException("not built yet");
    }

    /** The open file, read-only; owned by this reader (closed with it). */
    public FileChannel channel() {
        throw new UnsupportedOperationException("not built yet");
    }

    @Override
    public void close() throws IOException {
    }
}

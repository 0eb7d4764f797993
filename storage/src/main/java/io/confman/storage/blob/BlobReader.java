package io.confman.storage.blob;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.MappedByteBuffer;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.FileChannel;
import java.util.Objects;
import net.openhft.chronicle.core.io.IOTools;

/**
 * A published blob opened for reading. Reads go through memory-mapped windows of bounded
 * size, so memory use does not depend on the blob's size; {@link #channel()} gives the file
 * for zero-copy transfer ({@code FileChannel.transferTo}, Netty's {@code DefaultFileRegion}).
 *
 * <p>At most one window is mapped at a time: the one holding the last position read. It is
 * unmapped when a read moves past it and when the reader closes, not left to the garbage
 * collector, so a deleted blob's disk space is freed once its readers are closed. Safe to share
 * between threads; reads are serialised.
 */
public final class BlobReader implements AutoCloseable {

    private final BlobDigest digest;
    private final FileChannel channel;
    private final long sizeBytes;
    private final long windowBytes;
    // Invariant: window is null, or it maps bytes [windowStart, windowStart + window.capacity())
    // of the file, windowStart is a multiple of windowBytes, and capacity <= windowBytes.
    private MappedByteBuffer window;
    private long windowStart;
    private boolean closed;

    BlobReader(BlobDigest digest, FileChannel channel, long sizeBytes, long windowBytes) {
        this.digest = digest;
        this.channel = channel;
        this.sizeBytes = sizeBytes;
        this.windowBytes = windowBytes;
    }

    public BlobDigest digest() {
        return digest;
    }

    public long size() {
        return sizeBytes;
    }

    /**
     * Copies bytes from {@code position} into {@code target} until it is full or the blob
     * ends; returns the count, or -1 at the end.
     */
    public synchronized int read(long position, ByteBuffer target) throws IOException {
        Objects.requireNonNull(target, "target");
        if (position < 0) {
            throw new IllegalArgumentException("position must be >= 0, was " + position);
        }
        if (closed) {
            throw new ClosedChannelException();
        }
        if (position >= sizeBytes) {
            return -1;
        }
        int copied = 0;
        long at = position;
        while (target.hasRemaining() && at < sizeBytes) {
            MappedByteBuffer mapped = windowAt(at);
            int offset = (int) (at - windowStart);
            int length = Math.min(target.remaining(), mapped.capacity() - offset);
            try {
                target.put(target.position(), mapped, offset, length);
            } catch (InternalError fault) {
                // What the JVM throws when a read of a mapping faults: the disk failed, or the
                // file was cut short under the mapping, which nothing in Confman does.
                throw new IOException("reading blob " + digest + " at " + at + " through its mapping failed", fault);
            }
            target.position(target.position() + length);
            at += length;
            copied += length;
        }
        return copied;
    }

    /** The open file, read-only; owned by this reader (closed with it). */
    public FileChannel channel() {
        return channel;
    }

    @Override
    public synchronized void close() throws IOException {
        if (closed) {
            return;
        }
        closed = true;
        unmapWindow();
        channel.close();
    }

    /** The window holding {@code position}, mapped now if it is not the current one. */
    private MappedByteBuffer windowAt(long position) throws IOException {
        long start = position - position % windowBytes;
        if (window == null || start != windowStart) {
            unmapWindow();
            window = channel.map(FileChannel.MapMode.READ_ONLY, start, Math.min(windowBytes, sizeBytes - start));
            windowStart = start;
        }
        return window;
    }

    private void unmapWindow() {
        MappedByteBuffer unmapping = window;
        window = null;
        if (unmapping != null) {
            // Chronicle's cleaner: the mapping goes now, not when the collector finds the buffer.
            // Nothing else holds the buffer, so nothing can read it afterwards.
            IOTools.clean(unmapping);
        }
    }
}

package io.confman.storage.wal;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/** The few file-system operations the log needs, each durable when it returns. */
final class SegmentFiles {
    /** Zeros are written in chunks of this size; big enough to keep system calls few. */
    static final int ZERO_CHUNK_BYTES = 1 << 20;
    private static final ByteBuffer ZEROS = ByteBuffer.allocateDirect(ZERO_CHUNK_BYTES).asReadOnlyBuffer();

    private SegmentFiles() {
    }


    /**
     * Creates {@code path} and really writes {@code sizeBytes} zeros into it (not a sparse
     * {@code setLength}), so that later fdatasyncs never have to allocate blocks.
     */
    static void preallocate(StorageIo io, Path path, long sizeBytes) throws IOException {
        try (FileChannel channel = io.open(path, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
            writeZeros(channel, 0, sizeBytes);
            channel.force(true);
        }
        io.fsyncDirectory(path.getParent());
    }

    /**
     * Durably removes everything from {@code offset} on and refills the file with written
     * zeros up to {@code sizeBytes}. The cut is one metadata change ({@code ftruncate}),
     * so a crash leaves either the old bytes or none of them past {@code offset}; zeroing
     * in place could leave a later frame standing after a zeroed hole, which recovery
     * would rightly call corruption.
     */
    static void cutAndRefill(FileChannel channel, long offset, long sizeBytes) throws IOException {
        if (offset > sizeBytes) {
            throw new IllegalArgumentException("cut offset " + offset + " beyond segment size " + sizeBytes);
        }
        if (channel.size() > offset) {
            channel.truncate(offset);
            channel.force(true);
        }
        writeZeros(channel, offset, sizeBytes - offset);
        channel.force(true);
    }

    static void writeZeros(FileChannel channel, long offset, long bytes) throws IOException {
        long position = offset;
        long end = offset + bytes;
        while (position < end) {
            ByteBuffer chunk = ZEROS.duplicate();
            chunk.limit((int) Math.min(ZERO_CHUNK_BYTES, end - position));
            position += writeFully(channel, chunk, position);
        }
    }

    /**
     * The most bytes one read or write system call is handed. For a heap buffer the JDK
     * copies through a temporary direct buffer as large as the request and keeps it cached
     * per thread, so unsliced I/O of a large frame would pin that much native memory.
     */
    static final int IO_SLICE_BYTES_MAX = 1 << 20;

    /** Writes all of {@code buffer} at {@code position}, in slices; returns the bytes written. */
    static int writeFully(FileChannel channel, ByteBuffer buffer, long position) throws IOException {
        int written = 0;
        while (buffer.hasRemaining()) {
            ByteBuffer slice = slice(buffer);
            int count = channel.write(slice, position + written);
            buffer.position(buffer.position() + count);
            written += count;
        }
        return written;
    }

    /** Reads exactly {@code buffer.remaining()} bytes at {@code position} in slices, failing on a short file. */
    static void readFully(FileChannel channel, ByteBuffer buffer, long position, String what) throws IOException {
        long at = position;
        while (buffer.hasRemaining()) {
            int read = channel.read(slice(buffer), at);
            if (read < 0) {
                throw new IOException("unexpected end of file reading " + what + " at offset " + at);
            }
            buffer.position(buffer.position() + read);
            at += read;
        }
    }

    /** A view of at most IO_SLICE_BYTES_MAX of the buffer's remaining bytes. */
    private static ByteBuffer slice(ByteBuffer buffer) {
        int length = Math.min(buffer.remaining(), IO_SLICE_BYTES_MAX);
        return buffer.slice(buffer.position(), length);
    }

    /** Atomic rename, then the directory fsync that makes it durable. */
    static void renameDurably(StorageIo io, Path from, Path to) throws IOException {
        io.move(from, to);
        io.fsyncDirectory(from.getParent());
    }
}

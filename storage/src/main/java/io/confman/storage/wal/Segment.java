package io.confman.storage.wal;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * One segment file as the log holds it in memory: where each of its frames starts and the
 * term of each entry, so that {@code term(index)} and locating a frame cost no I/O.
 * Guarded by {@link LogIndex}'s lock.
 */
final class Segment {
    final long firstIndex;
    /** Frame offsets (ints) and entry terms (longs), one pair per entry, in index order. */
    final IntLongList frames;
    /**
     * The file's current name. It changes only in {@link #rename}, together with the file,
     * under this segment's monitor, so that a reader (re)opening its channel by name never
     * uses the old name of a renamed file.
     */
    volatile Path path;
    /** The writer's channel; only the writer thread uses it, so no reader can close it. */
    FileChannel channel;
    /**
     * The readers' own channel. A reader whose thread is interrupted during a read closes
     * the channel it reads with (ClosedByInterruptException); with a channel apart from the
     * writer's, that costs only a reopen, never the writer. It is opened with the segment,
     * not on first read, because truncation and reset unlink files before they drop them
     * from the index: an open channel still reads an unlinked file, a name no longer opens.
     */
    private FileChannel readChannel;
    // Invariant: open == (this is the last segment of the log); only the open one is written.
    boolean open;
    // Invariant: SEGMENT_HEADER_BYTES <= writePosition <= capacityBytes, and writePosition is at
    // or past the end (padding included) of the last frame written: the end of a closed
    // segment's last frame, or where the open segment's next frame goes. Written by the
    // writer thread, read by readers to bound the last frame's extent, hence volatile.
    volatile long writePosition;
    final long capacityBytes;

    /** The segment owns {@code channel} from here on: it is closed when construction fails. */
    Segment(Path path, FileChannel channel, long firstIndex, IntLongList frames, boolean open,
            long writePosition, long capacityBytes) throws IOException {
        try {
            if (firstIndex < 1) {
                throw new IllegalArgumentException("firstIndex must be >= 1, was " + firstIndex);
            }
            if (writePosition < Format.SEGMENT_HEADER_BYTES || writePosition > capacityBytes) {
                throw new IllegalArgumentException("writePosition " + writePosition + " outside the segment of "
                        + capacityBytes + " bytes");
            }
            this.readChannel = FileChannel.open(path, StandardOpenOption.READ);
        } catch (IOException | RuntimeException failure) {
            try {
                channel.close();
            } catch (IOException closeFailure) {
                failure.addSuppressed(closeFailure);
            }
            throw failure;
        }
        this.path = path;
        this.channel = channel;
        this.firstIndex = firstIndex;
        this.frames = frames;
        this.open = open;
        this.writePosition = writePosition;
        this.capacityBytes = capacityBytes;
    }

    /** Moves the write position past bytes just written, keeping it inside the file. */
    void advance(long bytes) {
        if (bytes < 0 || writePosition + bytes > capacityBytes) {
            throw new IllegalStateException("writing " + bytes + " bytes at " + writePosition + " overruns "
                    + fileName() + " of " + capacityBytes + " bytes");
        }
        writePosition += bytes;
    }

    /** {@code firstIndex - 1} when the segment holds no entry yet. */
    long lastIndex() {
        return firstIndex + frames.size() - 1;
    }

    boolean contains(long index) {
        return index >= firstIndex && index <= lastIndex();
    }

    /**
     * The bytes from the frame of {@code index} to the next frame, or to the write position
     * for the last one: an upper bound of the frame's size, padding included.
     */
    long extentBytes(long index) {
        int position = position(index);
        long end = position + 1 < frames.size() ? frames.intAt(position + 1) : writePosition;
        return end - frames.intAt(position);
    }

    int offsetOf(long index) {
        return frames.intAt(position(index));
    }

    long termOf(long index) {
        return frames.longAt(position(index));
    }

    private int position(long index) {
        if (!contains(index)) {
            throw new IllegalArgumentException("index " + index + " is not in segment " + path.getFileName());
        }
        return (int) (index - firstIndex);
    }

    String fileName() {
        return path.getFileName().toString();
    }

    /** Renames the file and its path at once; durable only once the directory is fsynced. */
    synchronized void rename(StorageIo io, Path to) throws IOException {
        io.move(path, to);
        path = to;
    }

    /** The readers' channel, (re)opened when a reader finds it closed. */
    synchronized FileChannel readChannel() throws IOException {
        if (readChannel == null || !readChannel.isOpen()) {
            readChannel = FileChannel.open(path, StandardOpenOption.READ);
        }
        return readChannel;
    }

    /** Closes both channels; the writer's is closed even when the readers' fails to close. */
    void closeChannel() throws IOException {
        try {
            synchronized (this) {
                if (readChannel != null) {
                    readChannel.close();
                }
            }
        } finally {
            channel.close();
        }
    }

    /** Closes the readers' channel only: the file behind it is about to change name or go. */
    synchronized void closeReadChannel() throws IOException {
        if (readChannel != null) {
            readChannel.close();
            readChannel = null;
        }
    }
}

package io.confman.storage.wal;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.ClosedChannelException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.locks.ReentrantReadWriteLock;
import java.util.function.Consumer;

/**
 * The in-memory view of the durable log: its segments in index order, with every frame's
 * offset and every entry's term. Only the writer thread changes it, and only after the
 * fsync that makes a change durable, so readers never see an entry that a crash could
 * take back. Readers share the lock; the writer holds it exclusively while it publishes.
 */
final class LogIndex {
    private final ReentrantReadWriteLock lock = new ReentrantReadWriteLock();
    // Invariant: non-empty; contiguous (each firstIndex is the previous lastIndex + 1);
    // the last segment, and only it, is open.
    private final List<Segment> segments = new ArrayList<>();
    /** Set once the channels are closed; reads fail from then on. Guarded by the lock. */
    private boolean closed;

    LogIndex(List<Segment> initial) {
        segments.addAll(initial);
        checkInvariant();
    }

    long firstIndex() {
        lock.readLock().lock();
        try {
            return segments.get(0).firstIndex;
        } finally {
            lock.readLock().unlock();
        }
    }

    long lastIndex() {
        lock.readLock().lock();
        try {
            return segments.get(segments.size() - 1).lastIndex();
        } finally {
            lock.readLock().unlock();
        }
    }

    long term(long index) {
        lock.readLock().lock();
        try {
            return find(index).termOf(index);
        } finally {
            lock.readLock().unlock();
        }
    }

    /**
     * Reads entries from {@code fromIndex} up to {@code toIndexExclusive}, stopping before
     * the payload bytes would exceed {@code bytesMax}, but always returning at least one.
     */
    List<LogRecord> read(long fromIndex, long toIndexExclusive, long bytesMax) throws IOException {
        // The shared lock is held during the preads so that compaction or truncation cannot
        // close a channel under a reader. The writer needs the lock only to publish, so a
        // read delays a group commit by at most one read of bytesMax.
        lock.readLock().lock();
        try {
            if (closed) {
                throw new IllegalStateException("the write-ahead log is closed");
            }
            List<LogRecord> records = new ArrayList<>();
            long bytes = 0;
            for (long index = fromIndex; index < toIndexExclusive; index++) {
                Segment segment = find(index);
                ByteBuffer header = readHeader(segment, index);
                long payloadLength = Integer.toUnsignedLong(header.getInt(4));
                // Decided on the header alone, so that the payload of an entry that will not
                // be returned is never read.
                if (!records.isEmpty() && bytes + payloadLength > bytesMax) {
                    break;
                }
                bytes += payloadLength;
                records.add(readFrame(segment, index, header));
            }
            return records;
        } finally {
            lock.readLock().unlock();
        }
    }

    /**
     * Reads one frame back and checks it as recovery would: the CRC and the index are
     * verified after every read, not only when the log is opened (a disk can rot later).
     */
    private static LogRecord readFrame(Segment segment, long index, ByteBuffer header) throws IOException {
        int offset = segment.offsetOf(index);
        long payloadLength = Integer.toUnsignedLong(header.getInt(4));
        ByteBuffer frame = ByteBuffer.allocate(Format.FRAME_HEADER_BYTES + (int) payloadLength);
        frame.put(header.flip());
        readFully(segment, frame, offset + Format.FRAME_HEADER_BYTES);
        Format.Frame decoded = Format.decodeFrame(frame, 0, frame.capacity());
        if (decoded == null) {
            throw new WalCorruptionException(segment.fileName(), offset, "frame of index " + index
                    + " fails its checks when read back");
        }
        if (decoded.index() != index || decoded.term() != segment.termOf(index)) {
            throw new WalCorruptionException(segment.fileName(), offset, "frame holds index " + decoded.index()
                    + " term " + decoded.term() + " where index " + index + " term " + segment.termOf(index)
                    + " was written");
        }
        byte[] payload = new byte[decoded.payloadLength()];
        frame.get(Format.FRAME_HEADER_BYTES, payload);
        return new LogRecord(index, decoded.term(), decoded.type(), payload);
    }

    /**
     * Reads a frame's header and checks its payloadLength against the frame's extent, which
     * the index knows (up to the next frame, or the segment's write position), so that a
     * damaged length is reported as corruption and never sizes a buffer.
     */
    private static ByteBuffer readHeader(Segment segment, long index) throws IOException {
        int offset = segment.offsetOf(index);
        ByteBuffer header = ByteBuffer.allocate(Format.FRAME_HEADER_BYTES).order(ByteOrder.LITTLE_ENDIAN);
        readFully(segment, header, offset);
        long payloadLength = Integer.toUnsignedLong(header.getInt(4));
        long extentBytes = segment.extentBytes(index);
        if (Format.FRAME_HEADER_BYTES + payloadLength > extentBytes) {
            throw new WalCorruptionException(segment.fileName(), offset, "frame of index " + index + " claims "
                    + payloadLength + " payload bytes, more than its extent of " + extentBytes + " bytes holds");
        }
        return header;
    }

    /**
     * Reads through the segment's readers' channel. When another reader's interrupt closed
     * it, it is reopened and the read retried; a reader that is itself interrupted gets the
     * ClosedByInterruptException, and the channel is left for the next reader to reopen.
     */
    private static void readFully(Segment segment, ByteBuffer buffer, long position) throws IOException {
        int start = buffer.position();
        try {
            SegmentFiles.readFully(segment.readChannel(), buffer, position, segment.fileName());
        } catch (ClosedChannelException closed) {
            if (Thread.currentThread().isInterrupted()) {
                throw closed;
            }
            buffer.position(start);
            SegmentFiles.readFully(segment.readChannel(), buffer, position, segment.fileName());
        }
    }

    /** The segment holding {@code index}, by binary search on first indexes. */
    private Segment find(long index) {
        Segment last = segments.get(segments.size() - 1);
        if (index < segments.get(0).firstIndex || index > last.lastIndex()) {
            throw new IllegalArgumentException("index " + index + " outside the log's "
                    + segments.get(0).firstIndex + ".." + last.lastIndex());
        }
        int low = 0;
        int high = segments.size() - 1;
        while (low < high) {
            int middle = (low + high + 1) >>> 1;
            if (segments.get(middle).firstIndex <= index) {
                low = middle;
            } else {
                high = middle - 1;
            }
        }
        return segments.get(low);
    }

    Segment openSegment() {
        lock.readLock().lock();
        try {
            return segments.get(segments.size() - 1);
        } finally {
            lock.readLock().unlock();
        }
    }

    /** A copy of the segment list, for the writer's planning. */
    List<Segment> snapshot() {
        lock.readLock().lock();
        try {
            return new ArrayList<>(segments);
        } finally {
            lock.readLock().unlock();
        }
    }

    /**
     * Closes every segment's channels under the exclusive lock, so that no reader is between
     * finding a segment and reading from it; later reads fail. A failure to close one
     * channel does not keep the others open: all are tried and the first error is thrown.
     */
    void close() throws IOException {
        lock.writeLock().lock();
        try {
            if (closed) {
                return;
            }
            closed = true;
            IOException failure = null;
            for (Segment segment : segments) {
                try {
                    segment.closeChannel();
                } catch (IOException closeFailure) {
                    if (failure == null) {
                        failure = closeFailure;
                    } else {
                        failure.addSuppressed(closeFailure);
                    }
                }
            }
            if (failure != null) {
                throw failure;
            }
        } finally {
            lock.writeLock().unlock();
        }
    }

    /** Runs a change to the segment list or a segment exclusively, then checks the invariant. */
    void update(Consumer<List<Segment>> change) {
        lock.writeLock().lock();
        try {
            change.accept(segments);
            checkInvariant();
        } finally {
            lock.writeLock().unlock();
        }
    }

    private void checkInvariant() {
        if (segments.isEmpty()) {
            throw new IllegalStateException("the log has no segment");
        }
        for (int i = 0; i < segments.size(); i++) {
            Segment segment = segments.get(i);
            boolean last = i == segments.size() - 1;
            if (segment.open != last) {
                throw new IllegalStateException("segment " + segment.fileName() + " open=" + segment.open
                        + " at position " + i + " of " + segments.size());
            }
            if (i > 0 && segment.firstIndex != segments.get(i - 1).lastIndex() + 1) {
                throw new IllegalStateException("segment " + segment.fileName() + " starts at " + segment.firstIndex
                        + " but the previous one ends at " + segments.get(i - 1).lastIndex());
            }
        }
    }
}

package io.confman.storage.wal;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Confman's write-ahead log: a directory of fixed-size, preallocated segment files in the
 * format of {@code storage/FORMAT.md}, holding Raft entries (index, term, type, payload).
 *
 * <p>Changes ({@link #append}, {@link #truncateSuffix}, {@link #compactPrefix},
 * {@link #reset}) are queued to one writer thread in the order they are called and return
 * a future that completes once the change is durable. Appends from many callers are
 * grouped into one fdatasync. Reads ({@link #firstIndex}, {@link #lastIndex},
 * {@link #term}, {@link #read}) see only durable entries, because Raft may only count on
 * what survives a crash (Raft thesis, section 3.8).
 *
 * <p>Any I/O error in the writer fails the log for good: every pending and later change
 * fails with it. After a failed fsync the kernel may have dropped the dirty pages, so
 * retrying could acknowledge data that is not on disk; reopening runs recovery instead.
 */
public final class SegmentedLog implements AutoCloseable {
    private static final long QUEUE_POLL_MS = 50;

    private final Path dir;
    private final WalOptions options;
    private final TailState recoveredTail;
    private final LogIndex index;
    private final LogWriter writer;
    private final Thread writerThread;
    private final BlockingQueue<Command> commands;
    private final AtomicLong fsyncCount = new AtomicLong();
    private final AtomicLong appendedRecordCount = new AtomicLong();
    /** Orders submissions; guards acceptedNextIndex, acceptedTruncateIndexMin and closed. */
    private final Object submitLock = new Object();
    // The accepted state is the log as it will be once every submitted command has run;
    // arguments are checked against it before a command is queued, so that the writer
    // never meets an argument error half-way through a sequence of commands.
    // Invariant: 1 <= acceptedNextIndex <= INDEX_MAX + 1; the next append starts exactly here.
    private long acceptedNextIndex;
    // Invariant: acceptedTruncateIndexMin >= 1. No submitted command leaves an entry below it
    // that may be truncated: it is the first index at open or after a reset, raised past
    // every snapshot index given to compactPrefix (those entries are committed).
    private long acceptedTruncateIndexMin;
    private boolean closed;
    private volatile Throwable failure;

    private SegmentedLog(Path dir, WalOptions options, TailState recoveredTail, List<Segment> segments,
                         long counterNext) {
        this.dir = dir;
        this.options = options;
        this.recoveredTail = recoveredTail;
        this.index = new LogIndex(segments);
        this.acceptedNextIndex = index.lastIndex() + 1;
        this.acceptedTruncateIndexMin = index.firstIndex();
        this.commands = new ArrayBlockingQueue<>(options.commandQueueCommandsMax());
        this.writer = new LogWriter(dir, options, index, commands, counterNext, fsyncCount, appendedRecordCount,
                this::fail);
        this.writerThread = new Thread(writer, "wal-writer-" + dir.getFileName());
        writer.setWriterThread(writerThread);
        this.writerThread.setDaemon(true);
        this.writerThread.start();
    }

    /**
     * Opens the log in {@code dir}, creating it when the directory holds no segment, and
     * runs recovery (FORMAT.md section 4): a torn tail is cut off durably before this
     * returns.
     *
     * @throws WalCorruptionException naming the segment file and byte offset when the log
     *     is damaged in a way that is not an interrupted append; nothing is changed then
     */
    public static SegmentedLog open(Path dir, WalOptions options) throws IOException {
        options.io().createDirectoriesDurably(dir);
        LogScanner.ScanResult scan = LogScanner.scan(dir, options.writeBatchBytesMax(),
                (segment, frame, payload) -> { });
        if (scan.tail() instanceof TailState.Corrupt corrupt) {
            throw new WalCorruptionException(corrupt.segment(), corrupt.offset(), corrupt.reason());
        }
        for (Path prepared : scan.preparedSegments()) {
            options.io().delete(prepared);
        }
        options.io().fsyncDirectory(dir);
        long counterNext = scan.counterMax() + 1;
        List<Segment> segments = new ArrayList<>();
        try {
            for (LogScanner.ScannedSegment scanned : scan.segments()) {
                segments.add(recoverSegment(scanned, scan.tail(), options));
            }
            if (segments.isEmpty() || !segments.get(segments.size() - 1).open) {
                long firstIndex = segments.isEmpty() ? 1 : segments.get(segments.size() - 1).lastIndex() + 1;
                segments.add(createFirstOpenSegment(dir, counterNext++, firstIndex, options));
            }
        } catch (IOException | RuntimeException failure) {
            closeAll(segments, failure);
            throw failure;
        }
        return new SegmentedLog(dir, options, scan.tail(), segments, counterNext);
    }

    /** Closes the channels opened so far; a failure to close is attached to the first failure. */
    private static void closeAll(List<Segment> segments, Throwable failure) {
        for (Segment segment : segments) {
            try {
                segment.closeChannel();
            } catch (IOException closeFailure) {
                failure.addSuppressed(closeFailure);
            }
        }
    }

    /** Opens one scanned segment; for the open one, cuts a torn tail and restores its full size. */
    private static Segment recoverSegment(LogScanner.ScannedSegment scanned, TailState tail, WalOptions options)
            throws IOException {
        IntLongList frames = new IntLongList(scanned.offsets(), scanned.terms(), scanned.count());
        if (scanned.name().kind() == SegmentName.Kind.CLOSED) {
            FileChannel channel = options.io().open(scanned.path(), StandardOpenOption.READ);
            return new Segment(scanned.path(), channel, scanned.firstIndex(), frames, false,
                    scanned.writePosition(), scanned.fileLengthBytes());
        }
        long capacityBytes = Math.max(scanned.fileLengthBytes(), options.segmentSizeBytes());
        FileChannel channel = options.io().open(scanned.path(), StandardOpenOption.READ, StandardOpenOption.WRITE);
        try {
            if (tail instanceof TailState.TornTail torn) {
                SegmentFiles.cutAndRefill(channel, torn.offset(), capacityBytes);
            } else if (scanned.fileLengthBytes() < capacityBytes) {
                SegmentFiles.cutAndRefill(channel, scanned.fileLengthBytes(), capacityBytes);
            }
        } catch (IOException | RuntimeException failure) {
            channel.close();
            throw failure;
        }
        return new Segment(scanned.path(), channel, scanned.firstIndex(), frames, true, scanned.writePosition(),
                capacityBytes);
    }

    private static Segment createFirstOpenSegment(Path dir, long counter, long firstIndex, WalOptions options)
            throws IOException {
        Path prepared = dir.resolve(SegmentName.prepared(counter).fileName());
        SegmentFiles.preallocate(options.io(), prepared, options.segmentSizeBytes());
        FileChannel channel = options.io().open(prepared, StandardOpenOption.READ, StandardOpenOption.WRITE);
        Path open = dir.resolve(SegmentName.open(counter).fileName());
        try {
            java.nio.ByteBuffer header = java.nio.ByteBuffer.allocate(Format.SEGMENT_HEADER_BYTES);
            Format.encodeSegmentHeader(header, firstIndex);
            SegmentFiles.writeFully(channel, header.flip(), 0);
            channel.force(false);
            SegmentFiles.renameDurably(options.io(), prepared, open);
        } catch (IOException | RuntimeException failure) {
            channel.close();
            throw failure;
        }
        return new Segment(open, channel, firstIndex, new IntLongList(), true, Format.SEGMENT_HEADER_BYTES,
                options.segmentSizeBytes());
    }

    /**
     * Appends records whose indexes continue the log exactly (the first is
     * {@code lastIndex() + 1}, counting appends still in flight, and each next one is one
     * more). The future completes with the last index once an fdatasync covers them.
     *
     * <p>Futures of this log complete on the writer thread, so that a group commit's
     * callers hear of it in log order without another thread. A callback must therefore not
     * wait for the log: calling any method that changes the log, or {@code close}, from the
     * writer thread throws {@link IllegalStateException}, and so does {@code join} or
     * {@code get} there on a future of this log that is not yet done (it could only
     * complete after the callback returns). Attach slow work with the {@code *Async}
     * methods so that it does not hold up the next group commit.
     *
     * @throws IllegalArgumentException on a gap, a repeated index, an index above
     *     {@link Format#INDEX_MAX} or a payload larger than {@link WalOptions#payloadBytesMax()}:
     *     these are programming errors, reported before anything is queued
     */
    public CompletableFuture<Long> append(List<LogRecord> records) {
        checkNotWriterThread("append");
        if (records.isEmpty()) {
            throw new IllegalArgumentException("append needs at least one record");
        }
        synchronized (submitLock) {
            checkUsable();
            long expectedIndex = acceptedNextIndex;
            long frameBytes = 0;
            for (LogRecord record : records) {
                if (record.index() != expectedIndex) {
                    throw new IllegalArgumentException("append of index " + record.index() + " where index "
                            + expectedIndex + " must come next (indexes are contiguous)");
                }
                if (record.index() > Format.INDEX_MAX) {
                    throw new IllegalArgumentException("index " + record.index() + " exceeds INDEX_MAX "
                            + Format.INDEX_MAX);
                }
                if (record.payload().length > options.payloadBytesMax()) {
                    throw new IllegalArgumentException("payload of " + record.payload().length
                            + " bytes exceeds payloadBytesMax " + options.payloadBytesMax());
                }
                frameBytes += Format.frameBytes(record.payload().length);
                expectedIndex++;
            }
            Command.Append append = new Command.Append(List.copyOf(records), frameBytes, writer.newFuture());
            enqueue(append);
            setAcceptedNextIndex(expectedIndex);
            return append.done();
        }
    }

    /**
     * Removes every entry at and after {@code fromIndex}, as Raft does with a conflicting
     * suffix (thesis section 3.5). Done before any later append is acknowledged.
     *
     * @throws IllegalArgumentException when {@code fromIndex} is below {@link #firstIndex()},
     *     or at or below a snapshot index already given to {@link #compactPrefix} (compacted
     *     entries are committed and must never be truncated), or beyond the log, counting
     *     changes still queued; checked before anything is queued
     */
    public CompletableFuture<Void> truncateSuffix(long fromIndex) {
        checkNotWriterThread("truncateSuffix");
        synchronized (submitLock) {
            checkUsable();
            if (fromIndex < acceptedTruncateIndexMin || fromIndex > acceptedNextIndex) {
                throw new IllegalArgumentException("truncateSuffix(" + fromIndex + ") outside "
                        + acceptedTruncateIndexMin + ".." + acceptedNextIndex
                        + " (the log as it will be once every submitted change has run)");
            }
            Command.TruncateSuffix truncate = new Command.TruncateSuffix(fromIndex, writer.newFuture());
            enqueue(truncate);
            setAcceptedNextIndex(fromIndex);
            return truncate.done();
        }
    }

    /**
     * Deletes the closed segments whose entries are all at or below {@code snapshotIndex},
     * which a snapshot now covers. Works per segment, so {@link #firstIndex()} may stay at
     * or below the snapshot index; that keeps the disk bounded without rewriting files.
     */
    public CompletableFuture<Void> compactPrefix(long snapshotIndex) {
        checkNotWriterThread("compactPrefix");
        checkSnapshotIndex(snapshotIndex);
        synchronized (submitLock) {
            Command.CompactPrefix compact = new Command.CompactPrefix(snapshotIndex, writer.newFuture());
            enqueue(compact);
            acceptedTruncateIndexMin = Math.max(acceptedTruncateIndexMin, snapshotIndex + 1);
            return compact.done();
        }
    }

    /**
     * Discards the whole log so that the next append is {@code snapshotIndex + 1}; used when
     * a snapshot is installed beyond the log (thesis section 5.3). After a crash during a
     * reset the log may hold part of the old log; the caller holds the snapshot and resets
     * again when the log does not continue it.
     */
    public CompletableFuture<Void> reset(long snapshotIndex) {
        checkNotWriterThread("reset");
        checkSnapshotIndex(snapshotIndex);
        synchronized (submitLock) {
            Command.Reset reset = new Command.Reset(snapshotIndex, writer.newFuture());
            enqueue(reset);
            setAcceptedNextIndex(snapshotIndex + 1);
            acceptedTruncateIndexMin = snapshotIndex + 1;
            return reset.done();
        }
    }

    /** A snapshot index is 0 (nothing) or the index of an entry, so at most INDEX_MAX. */
    private static void checkSnapshotIndex(long snapshotIndex) {
        if (snapshotIndex < 0 || snapshotIndex > Format.INDEX_MAX) {
            throw new IllegalArgumentException("snapshotIndex must be in 0.." + Format.INDEX_MAX + ", was "
                    + snapshotIndex);
        }
    }

    /**
     * Changes and close wait for the writer thread, so from the writer thread itself (a
     * callback of one of this log's futures) they could only hang; they fail instead.
     */
    private void checkNotWriterThread(String operation) {
        if (Thread.currentThread() == writerThread) {
            throw new IllegalStateException(operation + " called on the log's writer thread (from a callback of "
                    + "one of its futures); hand the work to another thread, e.g. with the *Async methods");
        }
    }

    /** Index of the first durable entry; {@code lastIndex() + 1} when the log is empty. */
    public long firstIndex() {
        return index.firstIndex();
    }

    /** Index of the last durable entry; {@code firstIndex() - 1} when the log is empty. */
    public long lastIndex() {
        return index.lastIndex();
    }

    /** The term of a durable entry, from memory. */
    public long term(long entryIndex) {
        return index.term(entryIndex);
    }

    /**
     * Reads one durable entry, checking its CRC again.
     *
     * @throws WalCorruptionException when the frame no longer checks out on disk
     */
    public LogRecord read(long entryIndex) throws IOException {
        return index.read(entryIndex, entryIndex + 1, Long.MAX_VALUE).get(0);
    }

    /**
     * Reads durable entries from {@code fromIndex} up to (not including)
     * {@code toIndexExclusive}, stopping before their payloads exceed {@code bytesMax}, but
     * always at least one entry, so that a replication loop always makes progress.
     */
    public List<LogRecord> read(long fromIndex, long toIndexExclusive, long bytesMax) throws IOException {
        if (fromIndex >= toIndexExclusive) {
            throw new IllegalArgumentException("empty range " + fromIndex + ".." + toIndexExclusive);
        }
        return index.read(fromIndex, toIndexExclusive, bytesMax);
    }

    /** How recovery found the log when it was opened. */
    public TailState recoveredTail() {
        return recoveredTail;
    }

    /** fdatasyncs of appended data so far: records per fsync is the group-commit ratio. */
    public long fsyncCount() {
        return fsyncCount.get();
    }

    /** Records made durable since the log was opened. */
    public long appendedRecordCount() {
        return appendedRecordCount.get();
    }

    /** The log's directory, for messages and for tools that inspect it. */
    public Path directory() {
        return dir;
    }

    /** Finishes every change already submitted, then closes the files. */
    @Override
    public void close() throws IOException {
        checkNotWriterThread("close");
        CompletableFuture<Void> done = new CompletableFuture<>();
        synchronized (submitLock) {
            if (closed) {
                return;
            }
            queueClose(new Command.Close(done));
            closed = true;
        }
        try {
            writerThread.join();
        } catch (InterruptedException interrupted) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while closing the log", interrupted);
        }
        // The writer has ended: it closed the channels, or it failed (before or during the
        // close) and they are closed here, so that no path out of close leaks them.
        Throwable failed = failure;
        if (failed != null) {
            IOException thrown = new IOException("the write-ahead log had failed", failed);
            try {
                index.close();
            } catch (IOException closeFailure) {
                thrown.addSuppressed(closeFailure);
            }
            throw thrown;
        }
        if (!done.isDone()) {
            throw new IllegalStateException("the writer ended without finishing close");
        }
    }

    /** Queues the close command unless the writer has failed, which also ends it; under submitLock. */
    private void queueClose(Command.Close close) {
        try {
            while (failure == null && !commands.offer(close, QUEUE_POLL_MS, TimeUnit.MILLISECONDS)) {
                // The queue is full: wait for the writer to take work, or to fail.
            }
        } catch (InterruptedException interrupted) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while queueing close; the log stays open", interrupted);
        }
    }

    private void setAcceptedNextIndex(long nextIndex) {
        if (nextIndex < 1 || nextIndex > Format.INDEX_MAX + 1) {
            throw new IllegalStateException("acceptedNextIndex would become " + nextIndex);
        }
        acceptedNextIndex = nextIndex;
    }

    /** Puts a command on the bounded queue, waiting while it is full; called under submitLock. */
    private void enqueue(Command command) {
        checkUsable();
        try {
            while (!commands.offer(command, QUEUE_POLL_MS, TimeUnit.MILLISECONDS)) {
                checkUsable();
            }
        } catch (InterruptedException interrupted) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while queueing a log command", interrupted);
        }
    }

    private void checkUsable() {
        if (failure != null) {
            throw new IllegalStateException("the write-ahead log has failed; reopen it to recover", failure);
        }
        if (closed) {
            throw new IllegalStateException("the write-ahead log is closed");
        }
    }

    /** Called by the writer thread when it stops on an error: fails every queued command. */
    private void fail(Throwable cause) {
        failure = cause;
        synchronized (submitLock) {
            for (Command command = commands.poll(); command != null; command = commands.poll()) {
                command.done().completeExceptionally(cause);
            }
        }
    }
}

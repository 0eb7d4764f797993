package io.confman.storage.wal;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;

/**
 * The one thread that writes the log. It takes commands from the bounded queue in order;
 * consecutive appends are written together and covered by a single fdatasync (group
 * commit), and each append's future completes only after that fsync. Owning all writes
 * in one thread keeps disk I/O out of any lock that readers take.
 */
final class LogWriter implements Runnable {
    /** How long stopping waits for the segment preparer; it writes at most one segment. */
    private static final long PREPARER_STOP_MS = 60_000;
    private final Path dir;
    private final WalOptions options;
    private final LogIndex index;
    private final BlockingQueue<Command> commands;
    private final Consumer<Throwable> onFailure;
    private final AtomicLong fsyncCount;
    private final AtomicLong appendedRecordCount;
    /** Prepares the next segment (writes its zeros) while the current one fills. */
    private final ExecutorService preparer;
    private CompletableFuture<Path> prepared;
    private long preparedCounter;
    // Invariant: greater than every open or prepared counter on disk.
    private long counterNext;
    /** Frames gathered for the next write; starts at the open segment's writePosition. */
    private final ByteBuffer buffer;
    /** Frames written but not yet fsynced: offset and term, published to the index after the fsync. */
    private final IntLongList unsynced = new IntLongList();
    /** Commands taken from the queue whose futures are not complete yet; failed if the writer stops. */
    private final List<Command> inFlight = new ArrayList<>();
    /** The thread that runs this writer; set once before it starts. */
    private volatile Thread writerThread;

    LogWriter(Path dir, WalOptions options, LogIndex index, BlockingQueue<Command> commands, long counterNext,
              AtomicLong fsyncCount, AtomicLong appendedRecordCount, Consumer<Throwable> onFailure) {
        this.dir = dir;
        this.options = options;
        this.index = index;
        this.commands = commands;
        this.counterNext = counterNext;
        this.fsyncCount = fsyncCount;
        this.appendedRecordCount = appendedRecordCount;
        this.onFailure = onFailure;
        this.buffer = ByteBuffer.allocateDirect(options.writeBatchBytesMax()).order(ByteOrder.LITTLE_ENDIAN);
        this.preparer = Executors.newSingleThreadExecutor(runnable -> {
            Thread thread = new Thread(runnable, "wal-preparer-" + dir.getFileName());
            thread.setDaemon(true);
            return thread;
        });
        startPreparing();
    }

    void setWriterThread(Thread thread) {
        if (writerThread != null) {
            throw new IllegalStateException("the writer thread is set once");
        }
        writerThread = thread;
    }

    /** A future for a command, which refuses to be waited for on the writer thread. */
    <T> CompletableFuture<T> newFuture() {
        return new LogFuture<>(writerThread);
    }

    /**
     * Futures complete on the writer thread, so a callback that waits there for a future
     * of the log that is not done would wait for itself. Such a wait throws instead, and
     * futures derived from this one (thenApply and so on) inherit the check.
     */
    static final class LogFuture<T> extends CompletableFuture<T> {
        private final Thread writerThread;

        LogFuture(Thread writerThread) {
            this.writerThread = writerThread;
        }

        @Override
        public <U> CompletableFuture<U> newIncompleteFuture() {
            return new LogFuture<>(writerThread);
        }

        @Override
        public T join() {
            checkMayWait();
            return super.join();
        }

        @Override
        public T get() throws InterruptedException, ExecutionException {
            checkMayWait();
            return super.get();
        }

        @Override
        public T get(long timeout, TimeUnit unit)
                throws InterruptedException, ExecutionException, java.util.concurrent.TimeoutException {
            checkMayWait();
            return super.get(timeout, unit);
        }

        private void checkMayWait() {
            if (!isDone() && Thread.currentThread() == writerThread) {
                throw new IllegalStateException("waiting for a log future on the log's writer thread would hang;"
                        + " use the *Async methods to continue on another thread");
            }
        }
    }

    @Override
    public void run() {
        try {
            while (true) {
                Command command = commands.take();
                execute(command);
                if (command instanceof Command.Close) {
                    return;
                }
            }
        } catch (Throwable failure) {
            // The log is marked failed before any future fails, so that whoever sees a
            // failed future also finds the log refusing work.
            onFailure.accept(failure);
            for (Command command : inFlight) {
                command.done().completeExceptionally(failure);
            }
            inFlight.clear();
            stopPreparer(failure);
        }
    }

    /**
     * Interrupts the segment being prepared and waits for it, so that no prepared file is
     * still being written once the writer thread has ended (close joins that thread).
     */
    private void stopPreparer(Throwable failure) {
        preparer.shutdownNow();
        try {
            if (!preparer.awaitTermination(PREPARER_STOP_MS, TimeUnit.MILLISECONDS)) {
                failure.addSuppressed(new IOException("the segment preparer did not stop within "
                        + PREPARER_STOP_MS + " ms"));
            }
        } catch (InterruptedException interrupted) {
            Thread.currentThread().interrupt();
            failure.addSuppressed(interrupted);
        }
    }

    private void execute(Command command) throws IOException, InterruptedException {
        if (command instanceof Command.Append append) {
            groupCommit(append);
            return;
        }
        IllegalArgumentException invalid = argumentError(command);
        if (invalid != null) {
            // Arguments are checked when a command is submitted; should one still be wrong
            // here, nothing has been changed yet, so only this command fails.
            command.done().completeExceptionally(invalid);
            return;
        }
        inFlight.add(command);
        if (command instanceof Command.TruncateSuffix truncate) {
            truncateSuffix(truncate.fromIndex());
        } else if (command instanceof Command.CompactPrefix compact) {
            compactPrefix(compact.snapshotIndex());
        } else if (command instanceof Command.Reset reset) {
            reset(reset.snapshotIndex());
        } else if (command instanceof Command.Close) {
            shutdown();
        } else {
            throw new IllegalStateException("unknown command " + command);
        }
        inFlight.clear();
        command.done().complete(null);
    }

    /** The reason the command's arguments do not fit the log as it is now, or null; no I/O. */
    private IllegalArgumentException argumentError(Command command) {
        if (command instanceof Command.TruncateSuffix truncate) {
            long firstIndex = index.firstIndex();
            long lastIndex = index.lastIndex();
            if (truncate.fromIndex() < firstIndex || truncate.fromIndex() > lastIndex + 1) {
                return new IllegalArgumentException("truncateSuffix(" + truncate.fromIndex() + ") outside "
                        + firstIndex + ".." + (lastIndex + 1));
            }
        } else if (command instanceof Command.CompactPrefix compact) {
            if (compact.snapshotIndex() < 0) {
                return new IllegalArgumentException("compactPrefix(" + compact.snapshotIndex() + ")");
            }
        } else if (command instanceof Command.Reset reset) {
            if (reset.snapshotIndex() < 0 || reset.snapshotIndex() > Format.INDEX_MAX) {
                return new IllegalArgumentException("reset(" + reset.snapshotIndex() + ") outside 0.."
                        + Format.INDEX_MAX);
            }
        }
        return null;
    }

    /** Writes this append and every append queued behind it (up to the batch bound), then one fsync. */
    private void groupCommit(Command.Append first) throws IOException {
        List<Command.Append> batch = new ArrayList<>();
        batch.add(first);
        long bytes = first.frameBytes();
        while (commands.peek() instanceof Command.Append next && bytes + next.frameBytes() <= buffer.capacity()) {
            // Only this thread takes from the queue, so poll() returns the element peek() saw.
            batch.add((Command.Append) commands.poll());
            bytes += next.frameBytes();
        }
        inFlight.addAll(batch);
        for (Command.Append append : batch) {
            for (LogRecord record : append.records()) {
                writeRecord(record);
            }
        }
        writeBufferAndSync();
        inFlight.clear();
        for (Command.Append append : batch) {
            append.done().complete(append.records().get(append.records().size() - 1).index());
        }
    }

    /**
     * Adds one frame to the current write batch. A batch is what one fdatasync covers, and
     * it is either at most writeBatchBytesMax bytes or a single larger frame: recovery
     * relies on that bound (FORMAT.md section 4), so a frame that would push the batch past
     * it first ends the batch with an fdatasync. The first frame of every batch carries
     * FLAG_BATCH_START.
     */
    private void writeRecord(LogRecord record) throws IOException {
        long frameBytes = Format.frameBytes(record.payload().length);
        Segment open = index.openSegment();
        if (open.writePosition + buffer.position() + frameBytes > open.capacityBytes) {
            writeBufferAndSync();
            rollover();
            open = index.openSegment();
        }
        if (frameBytes > buffer.remaining()) {
            writeBufferAndSync();
        }
        int flags = unsynced.size() == 0 ? Format.FLAG_BATCH_START : 0;
        long offset = open.writePosition + buffer.position();
        unsynced.add((int) offset, record.term());
        if (frameBytes > buffer.capacity()) {
            // A frame larger than the batch buffer is a batch of its own: written in slices
            // and synced at once, so that no other frame shares its batch.
            ByteBuffer large = ByteBuffer.allocate((int) frameBytes).order(ByteOrder.LITTLE_ENDIAN);
            Format.encodeFrame(large, record, flags);
            open.advance(SegmentFiles.writeFully(open.channel, large.flip(), offset));
            writeBufferAndSync();
        } else {
            Format.encodeFrame(buffer, record, flags);
        }
    }

    private void writeBuffer(Segment open) throws IOException {
        buffer.flip();
        open.advance(SegmentFiles.writeFully(open.channel, buffer, open.writePosition));
        buffer.clear();
    }

    /** fdatasync the open segment, then publish the frames it made durable. */
    private void writeBufferAndSync() throws IOException {
        Segment open = index.openSegment();
        writeBuffer(open);
        if (unsynced.size() == 0) {
            return;
        }
        open.channel.force(false);
        fsyncCount.incrementAndGet();
        int count = unsynced.size();
        index.update(segments -> {
            for (int i = 0; i < count; i++) {
                open.frames.add(unsynced.intAt(i), unsynced.longAt(i));
            }
        });
        appendedRecordCount.addAndGet(count);
        unsynced.truncate(0);
    }

    /** Closes the full open segment under its closed name and opens the prepared one (FORMAT.md section 5). */
    private void rollover() throws IOException {
        Segment full = index.openSegment();
        if (full.frames.size() == 0) {
            throw new IllegalStateException("a frame does not fit in the empty segment " + full.fileName());
        }
        Path closedPath = dir.resolve(SegmentName.closed(full.firstIndex, full.lastIndex()).fileName());
        full.rename(options.io(), closedPath);
        options.io().fsyncDirectory(dir);
        Segment next = createOpenSegment(full.lastIndex() + 1);
        index.update(segments -> {
            full.open = false;
            segments.add(next);
        });
    }

    /** Gives the prepared segment its header, then renames it to {@code open-N.seg}. */
    private Segment createOpenSegment(long firstIndex) throws IOException {
        Path preparedPath = takePrepared();
        Path openPath = dir.resolve(SegmentName.open(preparedCounter).fileName());
        FileChannel channel = options.io().open(preparedPath, StandardOpenOption.READ, StandardOpenOption.WRITE);
        try {
            ByteBuffer header = ByteBuffer.allocate(Format.SEGMENT_HEADER_BYTES);
            Format.encodeSegmentHeader(header, firstIndex);
            SegmentFiles.writeFully(channel, header.flip(), 0);
            channel.force(false);
            SegmentFiles.renameDurably(options.io(), preparedPath, openPath);
        } catch (IOException | RuntimeException failure) {
            channel.close();
            throw failure;
        }
        startPreparing();
        return new Segment(openPath, channel, firstIndex, new IntLongList(), true,
                Format.SEGMENT_HEADER_BYTES, options.segmentSizeBytes());
    }

    private Path takePrepared() throws IOException {
        try {
            return prepared.get();
        } catch (ExecutionException failure) {
            throw new IOException("preparing segment " + SegmentName.prepared(preparedCounter) + " failed",
                    failure.getCause());
        } catch (InterruptedException interrupted) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while waiting for a prepared segment", interrupted);
        }
    }

    private void startPreparing() {
        preparedCounter = counterNext++;
        Path path = dir.resolve(SegmentName.prepared(preparedCounter).fileName());
        long sizeBytes = options.segmentSizeBytes();
        prepared = CompletableFuture.supplyAsync(() -> {
            try {
                SegmentFiles.preallocate(options.io(), path, sizeBytes);
                return path;
            } catch (IOException failure) {
                throw new UncheckedIOException(failure);
            }
        }, preparer);
    }

    /** FORMAT.md section 5, "Truncate suffix". */
    private void truncateSuffix(long fromIndex) throws IOException {
        List<Segment> segments = index.snapshot();
        long lastIndex = segments.get(segments.size() - 1).lastIndex();
        if (fromIndex == lastIndex + 1) {
            return;
        }
        int targetPosition = segments.size() - 1;
        while (!segments.get(targetPosition).contains(fromIndex)) {
            targetPosition--;
        }
        Segment target = segments.get(targetPosition);
        List<Segment> doomed = new ArrayList<>(segments.subList(targetPosition + 1, segments.size()));
        // Newest first, one directory fsync each, so that a crash leaves a prefix of the log.
        for (int i = doomed.size() - 1; i >= 0; i--) {
            deleteDurably(doomed.get(i).path);
        }
        cutSegment(target, fromIndex, doomed);
    }

    /** Makes {@code target} the open segment, ending just before {@code fromIndex}. */
    private void cutSegment(Segment target, long fromIndex, List<Segment> doomed) throws IOException {
        Path path = target.path;
        FileChannel oldChannel = target.channel;
        FileChannel channel = oldChannel;
        if (!target.open) {
            // A closed segment is never modified: it becomes open again first.
            path = dir.resolve(SegmentName.open(counterNext++).fileName());
            target.rename(options.io(), path);
            options.io().fsyncDirectory(dir);
            channel = options.io().open(path, StandardOpenOption.READ, StandardOpenOption.WRITE);
        }
        int cutOffset = target.offsetOf(fromIndex);
        Path openPath = path;
        FileChannel openChannel = channel;
        // Forget the entries before cutting them, so that no reader is sent to bytes that
        // are about to disappear.
        index.update(segments -> {
            segments.removeAll(doomed);
            target.channel = openChannel;
            target.open = true;
            target.frames.truncate((int) (fromIndex - target.firstIndex));
            target.writePosition = cutOffset;
        });
        SegmentFiles.cutAndRefill(channel, cutOffset, target.capacityBytes);
        if (oldChannel != channel) {
            oldChannel.close();
        }
        for (Segment segment : doomed) {
            segment.closeChannel();
        }
    }

    /** FORMAT.md section 5, "Compact prefix": closed segments wholly at or below the snapshot go. */
    private void compactPrefix(long snapshotIndex) throws IOException {
        List<Segment> doomed = new ArrayList<>();
        for (Segment segment : index.snapshot()) {
            if (segment.open || segment.lastIndex() > snapshotIndex) {
                break;
            }
            doomed.add(segment);
        }
        if (doomed.isEmpty()) {
            return;
        }
        index.update(segments -> segments.removeAll(doomed));
        for (Segment segment : doomed) {
            segment.closeChannel();
            // One directory fsync per file, oldest first, so that a crash leaves a suffix
            // of the log and never a gap.
            deleteDurably(segment.path);
        }
    }

    /** FORMAT.md section 5, "Reset": everything goes; the next entry is snapshotIndex + 1. */
    private void reset(long snapshotIndex) throws IOException {
        List<Segment> old = index.snapshot();
        for (Segment segment : old) {
            deleteDurably(segment.path);
        }
        Segment fresh = createOpenSegment(snapshotIndex + 1);
        index.update(segments -> {
            segments.clear();
            segments.add(fresh);
        });
        for (Segment segment : old) {
            segment.closeChannel();
        }
    }

    private void deleteDurably(Path path) throws IOException {
        options.io().delete(path);
        options.io().fsyncDirectory(dir);
    }

    private void shutdown() throws IOException, InterruptedException {
        preparer.shutdown();
        if (!preparer.awaitTermination(PREPARER_STOP_MS, TimeUnit.MILLISECONDS)) {
            throw new IOException("preparing the next segment did not finish within " + PREPARER_STOP_MS + " ms");
        }
        index.close();
        takePrepared();
    }
}

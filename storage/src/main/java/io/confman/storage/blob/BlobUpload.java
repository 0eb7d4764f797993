package io.confman.storage.blob;

import java.io.IOException;
import java.io.InterruptedIOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Objects;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import net.openhft.chronicle.bytes.MappedBytes;
import net.openhft.chronicle.core.io.IORuntimeException;

/**
 * One blob being written: bytes are appended in order, hashed, and the blob is published by
 * {@link #finish}. Used by one thread at a time. Closing an unfinished upload deletes its
 * temporary file.
 *
 * <p>The bytes go into the upload's file in {@code tmp/} through a Chronicle
 * {@link MappedBytes}, which maps the file one window at a time and grows it a window ahead
 * (sparse) as the writes reach the end; {@link #finish} releases the mapping, cuts the file to
 * the bytes written, fsyncs it and hands it to the store to rename (FORMAT.md section 9.4).
 *
 * <p>One thread at a time, but not always the same one: bytes may arrive on an event loop
 * and {@code finish} run on a thread that may block. The caller's hand-off from one thread
 * to the next must order the calls (any executor or queue does); Chronicle's own check that
 * one thread uses its bytes is turned off for that reason.
 */
public final class BlobUpload implements AutoCloseable {

    /** Bytes copied at a time from a source without an accessible array (a direct buffer). */
    private static final int STAGING_BYTES = 64 << 10;
    /**
     * After this many bytes, an fdatasync of what is written so far starts on another thread
     * (as snapshots do, storage/FORMAT.md 8.5): the page cache would otherwise hold the whole
     * blob dirty until {@link #finish}, whose fsync then writes a gigabyte while nothing else
     * moves. With it the disk works while the bytes arrive, and the final fsync has the tail.
     */
    static final long SYNC_BEHIND_BYTES = 64L << 20;
    /** One thread for every upload's sync-behind: they all wait on the same disk. */
    private static final ExecutorService SYNCS = Executors.newSingleThreadExecutor(runnable -> {
        Thread thread = new Thread(runnable, "confman-blob-sync");
        thread.setDaemon(true);
        return thread;
    });

    private enum State { WRITING, FINISHED, CLOSED }

    private final BlobStore store;
    private final Path file;
    private final long windowBytes;
    private final MessageDigest sha256 = newSha256();
    /** The file's mapping: null before the first byte and once released. */
    private MappedBytes mapped;
    private byte[] staging;
    // Invariant: sizeBytes bytes were hashed and written through the mapping at offsets
    // [0, sizeBytes), in order.
    private long sizeBytes;
    private State state = State.WRITING;
    /** The size at which the latest sync-behind was started; the pending one, or null. */
    private long syncStartedAt;
    private Future<?> pendingSync;

    BlobUpload(BlobStore store, Path file, long windowBytes) {
        this.store = store;
        this.file = file;
        this.windowBytes = windowBytes;
    }

    /** Appends the remaining bytes of {@code source} (consuming them). */
    public void write(ByteBuffer source) throws IOException {
        Objects.requireNonNull(source, "source");
        requireWriting();
        if (source.hasArray()) {
            write(source.array(), source.arrayOffset() + source.position(), source.remaining());
            source.position(source.limit());
            return;
        }
        if (staging == null) {
            staging = new byte[STAGING_BYTES];
        }
        // A direct buffer is copied once either way: MessageDigest copies it into an array
        // of its own when given a buffer, so it might as well be this one.
        while (source.hasRemaining()) {
            int length = Math.min(source.remaining(), staging.length);
            source.get(staging, 0, length);
            write(staging, 0, length);
        }
    }

    /** Appends {@code length} bytes of {@code bytes} from {@code offset}. */
    public void write(byte[] bytes, int offset, int length) throws IOException {
        Objects.checkFromIndexSize(offset, length, bytes.length);
        requireWriting();
        if (length == 0) {
            return;
        }
        try {
            if (mapped == null) {
                mapped = map();
            }
            // ChunkedMappedBytes splits a write that crosses a window boundary itself.
            mapped.write(sizeBytes, bytes, offset, length);
        } catch (IOException | IORuntimeException | InternalError failure) {
            throw abandonAfter(failure, "writing " + length + " bytes at offset " + sizeBytes);
        }
        sha256.update(bytes, offset, length);
        sizeBytes += length;
        if (sizeBytes - syncStartedAt >= SYNC_BEHIND_BYTES && (pendingSync == null || pendingSync.isDone())) {
            syncStartedAt = sizeBytes;
            pendingSync = SYNCS.submit(this::syncSoFar);
        }
    }

    /**
     * fdatasync of the pages written so far, through a descriptor of its own (on Linux it
     * writes back the pages dirtied through the mapping too). Only an early start of the
     * final fsync: a failure here is left for that one to report, and a file deleted by an
     * abandoned upload meanwhile is no failure at all.
     */
    private void syncSoFar() {
        try (FileChannel channel = FileChannel.open(file, StandardOpenOption.READ)) {
            channel.force(false);
        } catch (IOException | RuntimeException ignored) {
            // See above.
        }
    }

    /** Waits for a sync-behind still running, so that the final fsync does not race it. */
    private void awaitPendingSync() throws IOException {
        Future<?> pending = pendingSync;
        pendingSync = null;
        if (pending == null) {
            return;
        }
        try {
            pending.get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new InterruptedIOException("interrupted while a sync-behind of " + file + " ran");
        } catch (ExecutionException e) {
            // syncSoFar throws nothing; the final fsync reports any real problem.
        }
    }

    /** Bytes written so far. */
    public long size() {
        return sizeBytes;
    }

    /**
     * Publishes the blob durably and returns its digest. When {@code expected} is not null and
     * differs from the digest of the bytes written, nothing is published and
     * {@link BlobDigestMismatchException} is thrown. When the store already holds the blob,
     * the temporary file is dropped and the existing blob stays.
     *
     * <p>On any failure the temporary file is deleted and the upload is closed.
     */
    public BlobDigest finish(BlobDigest expected) throws IOException {
        requireWriting();
        try {
            releaseMapping();
            BlobDigest actual = BlobDigest.of(sha256.digest());
            if (expected != null && !expected.equals(actual)) {
                throw new BlobDigestMismatchException(expected, actual);
            }
            if (store.touch(actual)) { // Marks it wanted first: a collector then keeps it.
                store.io().delete(file); // Held durably already: no need to fsync a copy.
            } else {
                awaitPendingSync();
                makeDurable();
                store.publish(file, actual, sizeBytes);
            }
            state = State.FINISHED;
            return actual;
        } catch (Throwable failure) {
            abandon(failure);
            throw failure;
        }
    }

    /** Deletes the temporary file unless the upload was finished. Idempotent. */
    @Override
    public void close() {
        if (state != State.WRITING) {
            return;
        }
        IOException failure = new IOException("abandoning upload file " + file);
        abandon(failure);
        if (failure.getSuppressed().length > 0) {
            throw new UncheckedIOException(failure);
        }
    }

    @Override
    public String toString() {
        return "upload " + file.getFileName() + " (" + sizeBytes + " bytes, " + state + ")";
    }

    // ---------------------------------------------------------------- internals

    static MessageDigest newSha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException impossible) {
            throw new IllegalStateException("every Java runtime has SHA-256", impossible);
        }
    }

    private MappedBytes map() throws IOException {
        MappedBytes bytes = MappedBytes.mappedBytes(file.toFile(), windowBytes, 0);
        bytes.singleThreadedCheckDisabled(true); // See the class comment.
        return bytes;
    }

    /**
     * Drops the last reference to the mapping, which unmaps every window and closes the file
     * Chronicle opened, on this thread (ChronicleRuntime sets {@code background.releaser=false}).
     */
    private void releaseMapping() throws IOException {
        MappedBytes releasing = mapped;
        mapped = null;
        if (releasing != null) {
            try {
                releasing.releaseLast();
            } catch (IORuntimeException failure) {
                throw new IOException("releasing the mapping of upload file " + file, failure);
            }
        }
    }

    /**
     * Cuts the file to the bytes written (the mapping grew it a window at a time) and fsyncs
     * it. On Linux an fsync writes back the pages dirtied through a shared mapping too, here
     * after the mapping is gone.
     */
    private void makeDurable() throws IOException {
        try (FileChannel channel = store.io().open(file, StandardOpenOption.WRITE)) {
            long found = channel.size();
            if (found < sizeBytes) {
                throw new IOException("upload file " + file + " is " + found + " bytes after " + sizeBytes
                        + " were written through its mapping");
            }
            channel.truncate(sizeBytes);
            // The other side of the disk: the file is now exactly the bytes that were hashed.
            if (channel.size() != sizeBytes) {
                throw new IOException("upload file " + file + " is " + channel.size() + " bytes after truncating it to "
                        + sizeBytes);
            }
            channel.force(true);
        }
    }

    /**
     * Closes the upload after {@code failure} and returns the IOException to throw: a
     * Chronicle I/O error, or the {@link InternalError} the JVM raises when a write to a
     * mapping faults (the disk is full under a sparse file, or failed).
     */
    private IOException abandonAfter(Throwable failure, String what) {
        Throwable cause = failure instanceof IORuntimeException && failure.getCause() != null
                ? failure.getCause() : failure;
        String why = failure instanceof InternalError ? " (a fault in the mapping: the disk is full, or failed)" : "";
        IOException thrown = failure instanceof IOException io ? io
                : new IOException(what + " of upload file " + file + " failed" + why, cause);
        abandon(thrown);
        return thrown;
    }

    /** Releases the mapping and deletes the file; what fails here is added to {@code failure}. */
    private void abandon(Throwable failure) {
        state = State.CLOSED;
        Future<?> pending = pendingSync;
        pendingSync = null;
        if (pending != null) {
            pending.cancel(false); // A queued sync of a file about to be deleted need not run.
        }
        try {
            releaseMapping();
        } catch (IOException | RuntimeException releaseFailure) {
            failure.addSuppressed(releaseFailure);
        }
        try {
            store.io().delete(file);
        } catch (NoSuchFileException gone) {
            // Renamed already: publish failed after the rename (at the directory fsync). The
            // blob is whole, and listed once the store is opened again.
        } catch (IOException | RuntimeException deleteFailure) {
            failure.addSuppressed(deleteFailure);
        }
    }

    private void requireWriting() {
        if (state != State.WRITING) {
            throw new IllegalStateException(this + " is " + (state == State.FINISHED ? "finished" : "closed"));
        }
    }
}

package io.confman.storage.raft;

import io.confman.raft.SnapshotChunk;
import io.confman.raft.SnapshotMetadata;
import io.confman.raft.SnapshotSource;
import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.zip.CRC32C;

/**
 * A node's snapshot files, in the format of {@code storage/FORMAT.md} section 8: the ones it
 * took of its own state machine or received from a leader, and the one it is receiving.
 * Snapshots are written and read as streams, so no snapshot is ever held in memory whole.
 *
 * <p>The bytes a leader serves ({@link #read}) and a follower receives ({@link #writeChunk})
 * are the whole file, header included, so the follower checks the CRC the leader computed
 * when it wrote the snapshot: damage on the leader's disk or on the way is caught before
 * the follower installs anything. {@link SnapshotMetadata#sizeBytes()} is therefore the file
 * length, {@link SnapshotFormat#SNAPSHOT_HEADER_BYTES} more than the state machine's bytes.
 *
 * <p>Not thread-safe: the node's thread owns it, as it owns the Raft core. The one exception
 * is {@link #prepare}, which another thread may run (see there).
 */
public final class SnapshotStore implements SnapshotSource, AutoCloseable {

    /** Writes a state machine's bytes; the stream it is given must not be closed by it. */
    @FunctionalInterface
    public interface BodyWriter {
        void writeTo(OutputStream out) throws IOException;
    }

    static final String SNAPSHOT_SUFFIX = ".snap";
    static final String TEMP_SUFFIX = ".snap.tmp";
    static final String PARTIAL_SUFFIX = ".partial";
    private static final Pattern SNAPSHOT_NAME = Pattern.compile("snapshot-(\\d{20})-(\\d{20})\\.snap");
    private static final int STREAM_BUFFER_BYTES = 64 << 10;

    private final Path dir;
    private final int snapshotsRetainedCount;
    // Invariant: keyed by lastIncludedIndex; every file listed here passed every check of
    // FORMAT.md section 8.3 when it was opened or published.
    private final TreeMap<Long, SnapshotMetadata> snapshots = new TreeMap<>();
    /** The snapshot being received from a leader, or null. */
    private Receiving receiving;

    /** A partial file and how far it is written. */
    private static final class Receiving {
        final SnapshotMetadata snapshot;
        final Path path;
        final FileChannel channel;
        // Invariant: receivedBytes <= snapshot.sizeBytes(); the next chunk starts exactly here.
        long receivedBytes;

        Receiving(SnapshotMetadata snapshot, Path path, FileChannel channel) {
            this.snapshot = snapshot;
            this.path = path;
            this.channel = channel;
        }
    }

    private SnapshotStore(Path dir, int snapshotsRetainedCount) {
        this.dir = dir;
        this.snapshotsRetainedCount = snapshotsRetainedCount;
    }

    /**
     * Opens the snapshot directory: checks every snapshot file from end to end, then deletes
     * the temporary and partial files a crash left (a transfer is never resumed after a
     * restart: the core asks the leader to start again at offset 0).
     *
     * @throws SnapshotCorruptionException when a snapshot file fails a check; nothing is
     *     deleted then, so that a person can decide
     */
    public static SnapshotStore open(Path dir, int snapshotsRetainedCount) throws IOException {
        if (snapshotsRetainedCount < 1) {
            throw new IllegalArgumentException("snapshotsRetainedCount must be >= 1, was " + snapshotsRetainedCount);
        }
        Files.createDirectories(dir);
        SnapshotStore store = new SnapshotStore(dir, snapshotsRetainedCount);
        List<Path> stale = new ArrayList<>();
        try (DirectoryStream<Path> files = Files.newDirectoryStream(dir)) {
            for (Path file : files) {
                String name = file.getFileName().toString();
                if (name.endsWith(TEMP_SUFFIX) || name.endsWith(PARTIAL_SUFFIX)) {
                    stale.add(file);
                } else if (name.endsWith(SNAPSHOT_SUFFIX)) {
                    SnapshotMetadata snapshot = verify(file);
                    store.snapshots.put(snapshot.lastIncludedIndex(), snapshot);
                }
            }
        }
        for (Path file : stale) {
            Files.delete(file);
        }
        // Always: a snapshot renamed just before a crash may be visible and not yet durable
        // (publishUnsynced), and recovery is about to compact the log to it.
        fsyncDirectory(dir);
        return store;
    }

    /** The newest snapshot, {@link SnapshotMetadata#EMPTY} if there is none. */
    public SnapshotMetadata latest() {
        return snapshots.isEmpty() ? SnapshotMetadata.EMPTY : snapshots.lastEntry().getValue();
    }

    /** Every snapshot held, oldest first. */
    public List<SnapshotMetadata> list() {
        return List.copyOf(snapshots.values());
    }

    /**
     * A snapshot file written and made durable under its temporary name by {@link #prepare},
     * not yet part of the store: {@link #publish} or {@link #discard} it on the owner thread.
     */
    public static final class Prepared {
        private final SnapshotMetadata snapshot;
        private final Path tempFile;
        // Invariant: published or discarded at most once, on the owner thread.
        private boolean done;

        private Prepared(SnapshotMetadata snapshot, Path tempFile) {
            this.snapshot = snapshot;
            this.tempFile = tempFile;
        }

        public SnapshotMetadata snapshot() {
            return snapshot;
        }

        Path tempFile() {
            return tempFile;
        }

        @Override
        public String toString() {
            return "prepared " + snapshot;
        }
    }

    /**
     * Writes a snapshot of the state machine as of {@code lastIncludedIndex} and publishes it:
     * {@link #prepare} then {@link #publish}, on the calling thread. Durable on return.
     */
    public SnapshotMetadata write(long lastIncludedIndex, long lastIncludedTerm, BodyWriter body) throws IOException {
        if (lastIncludedIndex <= latest().lastIncludedIndex()) {
            throw new IllegalArgumentException("snapshot at " + lastIncludedIndex + " is not newer than "
                    + latest());
        }
        return publish(prepare(lastIncludedIndex, lastIncludedTerm, body));
    }

    /**
     * Writes a snapshot file under its temporary name and makes its bytes durable: the body
     * goes first, the header (with the body's length and CRC) last, then one fsync.
     *
     * <p>Thread-safe with every other method: it reads only the final directory path and
     * touches only its own temporary file, so another thread may call it while the owner
     * thread goes on serving and receiving snapshots (thesis §5.2, copy-on-write snapshots
     * written while the state machine keeps applying). At most one prepare per index may run
     * at a time, since the temporary name is derived from it. A crash leaves only the
     * temporary file, which {@link #open} deletes. On failure the temporary file is deleted.
     */
    public Prepared prepare(long lastIncludedIndex, long lastIncludedTerm, BodyWriter body) throws IOException {
        if (lastIncludedIndex < 1 || lastIncludedTerm < 1) {
            throw new IllegalArgumentException("a snapshot includes at least index 1 of term 1, was "
                    + lastIncludedTerm + "/" + lastIncludedIndex);
        }
        Path temp = dir.resolve(fileName(lastIncludedIndex, lastIncludedTerm) + ".tmp");
        try (FileChannel channel = FileChannel.open(temp, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                StandardOpenOption.TRUNCATE_EXISTING)) {
            channel.position(SnapshotFormat.SNAPSHOT_HEADER_BYTES);
            BodyStream out = new BodyStream(Channels.newOutputStream(channel), channel);
            try {
                body.writeTo(out);
                out.flush();
            } catch (IOException | RuntimeException failed) {
                try {
                    out.awaitSyncBehind(); // Never close the channel under a running fdatasync.
                } catch (IOException syncFailed) {
                    failed.addSuppressed(syncFailed);
                }
                throw failed;
            }
            out.awaitSyncBehind();
            SnapshotFormat.Header header = new SnapshotFormat.Header(lastIncludedIndex, lastIncludedTerm,
                    out.lengthBytes, (int) out.crc.getValue());
            writeFully(channel, SnapshotFormat.encodeHeader(header), 0);
            // Check the other side of the disk: the length the stream counted is the file's.
            if (channel.size() != header.fileLengthBytes()) {
                throw new IOException("snapshot file " + temp.getFileName() + " is " + channel.size()
                        + " bytes after writing " + header.fileLengthBytes());
            }
            // force(false) is fdatasync: it makes the data durable together with the metadata
            // needed to read it back, the file's size included, and skips only timestamps. The
            // name is made durable separately, by the rename and the directory fsync in
            // publish, so nothing the recovery of FORMAT.md 8.6 relies on is left out.
            channel.force(false);
            return new Prepared(new SnapshotMetadata(lastIncludedIndex, lastIncludedTerm, header.fileLengthBytes()),
                    temp);
        } catch (IOException | RuntimeException failure) {
            deleteAfterFailure(temp, failure);
            throw failure;
        }
    }

    /**
     * Publishes a prepared snapshot on the owner thread: renames it to its name and fsyncs
     * the directory. Refuses one that is not newer than {@link #latest()} (a leader's snapshot
     * may have been installed while it was written): {@link #discard} that one instead.
     */
    public SnapshotMetadata publish(Prepared prepared) throws IOException {
        claimNewer(prepared);
        publish(prepared.tempFile, prepared.snapshot);
        return prepared.snapshot;
    }

    /**
     * {@link #publish} without the directory fsync, for an owner thread that must not wait for
     * one: the snapshot is visible under its name at once, and its name is durable once
     * {@link #syncDirectory} returned. Until then a crash may bring back the previous snapshot
     * instead, so the caller deletes nothing the new one covers (log segments, older
     * snapshots) before that.
     */
    public SnapshotMetadata publishUnsynced(Prepared prepared) throws IOException {
        claimNewer(prepared);
        rename(prepared.tempFile, prepared.snapshot);
        return prepared.snapshot;
    }

    /** Marks {@code prepared} as used, refusing one used already or no newer than {@link #latest()}. */
    private void claimNewer(Prepared prepared) {
        requireUndone(prepared);
        if (prepared.snapshot.lastIncludedIndex() <= latest().lastIncludedIndex()) {
            throw new IllegalStateException(prepared + " is not newer than " + latest() + "; discard it");
        }
        prepared.done = true;
    }

    /**
     * Makes every rename and deletion in the snapshot directory so far durable (an fsync of
     * the directory). Safe from any thread: it touches no state of this store.
     */
    public void syncDirectory() throws IOException {
        fsyncDirectory(dir);
    }

    /** Deletes a prepared snapshot's temporary file (it was never visible under a snapshot name). */
    public void discard(Prepared prepared) throws IOException {
        requireUndone(prepared);
        prepared.done = true;
        Files.deleteIfExists(prepared.tempFile);
    }

    private void requireUndone(Prepared prepared) {
        Objects.requireNonNull(prepared, "prepared");
        if (prepared.done) {
            throw new IllegalStateException(prepared + " was already published or discarded");
        }
        if (!prepared.tempFile.getParent().equals(dir)) {
            throw new IllegalArgumentException(prepared + " was prepared by another store");
        }
    }

    /**
     * The state machine's bytes of a held snapshot, to restore from. The stream checks the
     * body's CRC when it reaches the end and throws {@link SnapshotCorruptionException} there
     * if it differs, so a restore must read to the end before it trusts what it read.
     */
    public InputStream openBody(SnapshotMetadata snapshot) throws IOException {
        Path file = pathOf(requireHeld(snapshot));
        FileChannel channel = FileChannel.open(file, StandardOpenOption.READ);
        try {
            SnapshotFormat.Header header = readHeader(channel, file);
            channel.position(SnapshotFormat.SNAPSHOT_HEADER_BYTES);
            return new CheckedBody(file.getFileName().toString(), Channels.newInputStream(channel),
                    header.bodyLengthBytes(), header.bodyCrc());
        } catch (IOException | RuntimeException failure) {
            channel.close();
            throw failure;
        }
    }

    /** Serves a chunk of a held snapshot's file to a follower, with one positional read. */
    @Override
    public byte[] read(SnapshotMetadata snapshot, long offset, int maxBytes) {
        requireHeld(snapshot);
        if (offset < 0 || offset > snapshot.sizeBytes() || maxBytes < 1) {
            throw new IllegalArgumentException("cannot read " + maxBytes + " bytes at offset " + offset + " of "
                    + snapshot);
        }
        int length = (int) Math.min(maxBytes, snapshot.sizeBytes() - offset);
        Path file = pathOf(snapshot);
        try (FileChannel channel = FileChannel.open(file, StandardOpenOption.READ)) {
            ByteBuffer chunk = ByteBuffer.allocate(length);
            readFully(channel, chunk, offset, file);
            return chunk.array();
        } catch (IOException failure) {
            throw new UncheckedIOException("reading snapshot file " + file.getFileName(), failure);
        }
    }

    /**
     * Writes a chunk received from the leader into the partial file. Offset 0 starts a new
     * transfer (dropping any other partial file); any other chunk must continue the current
     * transfer exactly, since the core accepts chunks only in order.
     *
     * <p>The chunk is not fsynced: a partial file never outlives a restart ({@link #open}
     * deletes it, and a restarted core asks for offset 0), so the acknowledgement of a chunk
     * promises nothing a crash could break. {@link #finishReceiving} fsyncs the whole file.
     */
    public void writeChunk(SnapshotChunk chunk) throws IOException {
        if (chunk.offset() == 0) {
            abandonReceiving();
            Path path = dir.resolve("receiving-" + chunk.snapshot().lastIncludedIndex() + "-"
                    + chunk.snapshot().lastIncludedTerm() + PARTIAL_SUFFIX);
            FileChannel channel = FileChannel.open(path, StandardOpenOption.CREATE, StandardOpenOption.READ,
                    StandardOpenOption.WRITE, StandardOpenOption.TRUNCATE_EXISTING);
            receiving = new Receiving(chunk.snapshot(), path, channel);
        }
        if (receiving == null || !receiving.snapshot.equals(chunk.snapshot())) {
            throw new IllegalStateException(chunk + " does not continue the snapshot being received, "
                    + (receiving == null ? "none" : receiving.snapshot));
        }
        if (chunk.offset() != receiving.receivedBytes) {
            throw new IllegalStateException(chunk + " leaves a gap or overlaps: " + receiving.receivedBytes
                    + " bytes received so far");
        }
        writeFully(receiving.channel, ByteBuffer.wrap(chunk.data()), chunk.offset());
        receiving.receivedBytes += chunk.data().length;
        if (receiving.receivedBytes > receiving.snapshot.sizeBytes()) {
            throw new IllegalStateException("received " + receiving.receivedBytes + " bytes of " + receiving.snapshot);
        }
    }

    /**
     * Checks the received file from end to end (header, length, body CRC), fsyncs it and
     * publishes it under its name. A file that fails a check is deleted and the failure
     * thrown: the leader's copy or the transfer was damaged.
     */
    public SnapshotMetadata finishReceiving(SnapshotMetadata snapshot) throws IOException {
        Receiving done = receiving;
        if (done == null || !done.snapshot.equals(snapshot) || done.receivedBytes != snapshot.sizeBytes()) {
            throw new IllegalStateException("cannot finish " + snapshot + ": received "
                    + (done == null ? "nothing" : done.receivedBytes + " bytes of " + done.snapshot));
        }
        receiving = null;
        try (FileChannel channel = done.channel) {
            if (snapshot.lastIncludedIndex() <= latest().lastIncludedIndex()) {
                throw new IllegalStateException("received " + snapshot + " is not newer than " + latest());
            }
            SnapshotMetadata checked = verify(channel, done.path, snapshot.lastIncludedIndex(),
                    snapshot.lastIncludedTerm());
            if (!checked.equals(snapshot)) {
                throw new SnapshotCorruptionException(done.path.getFileName().toString(), "holds " + checked
                        + " where the leader announced " + snapshot);
            }
            channel.force(true);
        } catch (IOException | RuntimeException failure) {
            deleteAfterFailure(done.path, failure);
            throw failure;
        }
        publish(done.path, snapshot);
        return snapshot;
    }

    /**
     * Deletes snapshot files beyond the newest {@code snapshotsRetainedCount}, never
     * {@code inUse} (the one the log reports, which a leader may be streaming). The deletions
     * are not made durable (see below).
     */
    public void deleteOld(SnapshotMetadata inUse) throws IOException {
        List<SnapshotMetadata> doomed = new ArrayList<>();
        int kept = 0;
        for (SnapshotMetadata snapshot : snapshots.descendingMap().values()) {
            if (kept < snapshotsRetainedCount || snapshot.equals(inUse)) {
                kept++;
            } else {
                doomed.add(snapshot);
            }
        }
        for (SnapshotMetadata snapshot : doomed) {
            Files.delete(pathOf(snapshot));
            snapshots.remove(snapshot.lastIncludedIndex());
        }
        // No directory fsync: an unlink lost in a crash only brings back an older, valid
        // snapshot, which is never the latest and which open's caller deletes again. Sparing
        // the fsync keeps a directory flush off the loop on every snapshot.
    }

    /** Drops a transfer in progress and its partial file. */
    @Override
    public void close() throws IOException {
        abandonReceiving();
    }

    // ---------------------------------------------------------------- files

    static String fileName(long lastIncludedIndex, long lastIncludedTerm) {
        return String.format("snapshot-%020d-%020d%s", lastIncludedIndex, lastIncludedTerm, SNAPSHOT_SUFFIX);
    }

    private Path pathOf(SnapshotMetadata snapshot) {
        return dir.resolve(fileName(snapshot.lastIncludedIndex(), snapshot.lastIncludedTerm()));
    }

    private SnapshotMetadata requireHeld(SnapshotMetadata snapshot) {
        Objects.requireNonNull(snapshot, "snapshot");
        if (!snapshot.equals(snapshots.get(snapshot.lastIncludedIndex()))) {
            throw new IllegalArgumentException("no snapshot " + snapshot + " is held; held: " + snapshots.values());
        }
        return snapshot;
    }

    /** Renames a checked, fsynced file to its snapshot name and makes the rename durable. */
    private void publish(Path from, SnapshotMetadata snapshot) throws IOException {
        rename(from, snapshot);
        fsyncDirectory(dir);
    }

    /** Renames a checked, fsynced file to its snapshot name; the rename is not durable yet. */
    private void rename(Path from, SnapshotMetadata snapshot) throws IOException {
        Files.move(from, pathOf(snapshot), StandardCopyOption.ATOMIC_MOVE);
        snapshots.put(snapshot.lastIncludedIndex(), snapshot);
    }

    private void abandonReceiving() throws IOException {
        Receiving abandoned = receiving;
        receiving = null;
        if (abandoned != null) {
            abandoned.channel.close();
            Files.deleteIfExists(abandoned.path);
        }
    }

    /** Checks a snapshot file found on open: its name, then FORMAT.md section 8.3. */
    private static SnapshotMetadata verify(Path file) throws IOException {
        String name = file.getFileName().toString();
        Matcher matcher = SNAPSHOT_NAME.matcher(name);
        if (!matcher.matches()) {
            throw new SnapshotCorruptionException(name, "the name is not snapshot-INDEX-TERM.snap");
        }
        try (FileChannel channel = FileChannel.open(file, StandardOpenOption.READ)) {
            return verify(channel, file, Long.parseLong(matcher.group(1)), Long.parseLong(matcher.group(2)));
        }
    }

    /** Checks header, expected index and term, file length and body CRC, reading the body once. */
    private static SnapshotMetadata verify(FileChannel channel, Path file, long index, long term) throws IOException {
        String name = file.getFileName().toString();
        SnapshotFormat.Header header = readHeader(channel, file);
        if (header.lastIncludedIndex() != index || header.lastIncludedTerm() != term) {
            throw new SnapshotCorruptionException(name, "the header holds " + header.lastIncludedTerm() + "/"
                    + header.lastIncludedIndex() + " where " + term + "/" + index + " was expected");
        }
        if (channel.size() != header.fileLengthBytes()) {
            throw new SnapshotCorruptionException(name, "the file is " + channel.size() + " bytes, the header says "
                    + header.fileLengthBytes());
        }
        CRC32C crc = new CRC32C();
        ByteBuffer buffer = ByteBuffer.allocate(STREAM_BUFFER_BYTES);
        long position = SnapshotFormat.SNAPSHOT_HEADER_BYTES;
        while (position < header.fileLengthBytes()) {
            buffer.clear().limit((int) Math.min(buffer.capacity(), header.fileLengthBytes() - position));
            readFully(channel, buffer, position, file);
            crc.update(buffer.flip());
            position += buffer.limit();
        }
        if ((int) crc.getValue() != header.bodyCrc()) {
            throw new SnapshotCorruptionException(name, "body CRC " + Integer.toHexString((int) crc.getValue())
                    + " differs from the header's " + Integer.toHexString(header.bodyCrc()));
        }
        return new SnapshotMetadata(index, term, header.fileLengthBytes());
    }

    private static SnapshotFormat.Header readHeader(FileChannel channel, Path file) throws IOException {
        String name = file.getFileName().toString();
        if (channel.size() < SnapshotFormat.SNAPSHOT_HEADER_BYTES) {
            throw new SnapshotCorruptionException(name, "the file is " + channel.size()
                    + " bytes, shorter than the header");
        }
        ByteBuffer bytes = ByteBuffer.allocate(SnapshotFormat.SNAPSHOT_HEADER_BYTES);
        readFully(channel, bytes, 0, file);
        try {
            return SnapshotFormat.decodeHeader(bytes.flip());
        } catch (IllegalArgumentException invalid) {
            throw new SnapshotCorruptionException(name, invalid.getMessage());
        }
    }

    private static void readFully(FileChannel channel, ByteBuffer buffer, long position, Path file)
            throws IOException {
        long at = position;
        while (buffer.hasRemaining()) {
            int read = channel.read(buffer, at);
            if (read < 0) {
                throw new SnapshotCorruptionException(file.getFileName().toString(), "ends at " + at
                        + " before the bytes it should hold");
            }
            at += read;
        }
    }

    private static void writeFully(FileChannel channel, ByteBuffer buffer, long position) throws IOException {
        long at = position;
        while (buffer.hasRemaining()) {
            at += channel.write(buffer, at);
        }
    }

    /** Makes a rename or unlink durable (fsync of the directory, as the WAL does). */
    static void fsyncDirectory(Path dir) throws IOException {
        try (FileChannel channel = FileChannel.open(dir, StandardOpenOption.READ)) {
            channel.force(true);
        }
    }

    private static void deleteAfterFailure(Path file, Throwable failure) {
        try {
            Files.deleteIfExists(file);
        } catch (IOException deleteFailure) {
            failure.addSuppressed(deleteFailure);
        }
    }

    // ---------------------------------------------------------------- streams

    /** Counts and checksums the body as it is written; closing it only flushes. */
    /** Bytes of body after which the data written so far is fdatasynced in the background. */
    static final long SYNC_BEHIND_BYTES = 4L << 20;

    /** Runs the background fdatasyncs of every store in this process, one at a time. */
    private static final java.util.concurrent.ExecutorService SYNC_BEHIND =
            java.util.concurrent.Executors.newSingleThreadExecutor(runnable -> {
                Thread thread = new Thread(runnable, "confman-snapshot-sync");
                thread.setDaemon(true);
                return thread;
            });

    /**
     * The body's stream: counts and checksums what passes, and every {@link #SYNC_BEHIND_BYTES}
     * starts an fdatasync of what is written so far on another thread, at most one at a time,
     * so that the disk writes the file while the body is still being produced and the final
     * fdatasync has only the tail left (for 100,000 keys the file is 15 MB). Only a hint: the
     * final {@code force} alone makes the file durable.
     */
    private static final class BodyStream extends BufferedOutputStream {
        final CRC32C crc = new CRC32C();
        long lengthBytes;
        private final FileChannel channel;
        private long syncedUpTo;
        private java.util.concurrent.Future<?> syncing;

        BodyStream(OutputStream file, FileChannel channel) {
            super(file, STREAM_BUFFER_BYTES);
            this.channel = channel;
        }

        @Override
        public synchronized void write(int b) throws IOException {
            super.write(b);
            crc.update(b);
            lengthBytes++;
            maybeSyncBehind();
        }

        @Override
        public synchronized void write(byte[] bytes, int offset, int length) throws IOException {
            super.write(bytes, offset, length);
            crc.update(bytes, offset, length);
            lengthBytes += length;
            maybeSyncBehind();
        }

        private void maybeSyncBehind() throws IOException {
            if (lengthBytes - syncedUpTo < SYNC_BEHIND_BYTES || (syncing != null && !syncing.isDone())) {
                return;
            }
            checkSyncBehind();
            flush(); // What the buffer holds goes to the file first, so the sync covers it.
            syncedUpTo = lengthBytes;
            syncing = SYNC_BEHIND.submit(() -> {
                channel.force(false);
                return null;
            });
        }

        /** Waits for the background fdatasync in flight, if any, and rethrows its failure. */
        void awaitSyncBehind() throws IOException {
            if (syncing == null) {
                return;
            }
            try {
                syncing.get();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new java.io.InterruptedIOException("interrupted while a snapshot file was synced");
            } catch (java.util.concurrent.ExecutionException e) {
                throw e.getCause() instanceof IOException io ? io : new IOException(e.getCause());
            } finally {
                syncing = null;
            }
        }

        private void checkSyncBehind() throws IOException {
            if (syncing != null) {
                awaitSyncBehind(); // Done already: only its failure is left to report.
            }
        }

        @Override
        public void close() throws IOException {
            // The store owns the file: it still has to write the header and fsync.
            flush();
        }
    }

    /** Reads exactly the body's bytes and checks their CRC at the end. */
    private static final class CheckedBody extends InputStream {
        private final String file;
        private final InputStream in;
        private final CRC32C crc = new CRC32C();
        private final int expectedCrc;
        // Invariant: remainingBytes >= 0; the CRC is checked when it reaches 0.
        private long remainingBytes;
        private boolean checked;

        CheckedBody(String file, InputStream in, long lengthBytes, int expectedCrc) {
            this.file = file;
            this.in = new java.io.BufferedInputStream(in, STREAM_BUFFER_BYTES);
            this.remainingBytes = lengthBytes;
            this.expectedCrc = expectedCrc;
        }

        @Override
        public int read() throws IOException {
            byte[] one = new byte[1];
            return read(one, 0, 1) < 0 ? -1 : one[0] & 0xff;
        }

        @Override
        public int read(byte[] bytes, int offset, int length) throws IOException {
            Objects.checkFromIndexSize(offset, length, bytes.length);
            if (remainingBytes == 0) {
                checkCrc();
                return -1;
            }
            if (length == 0) {
                return 0;
            }
            int read = in.read(bytes, offset, (int) Math.min(length, remainingBytes));
            if (read < 0) {
                throw new SnapshotCorruptionException(file, "ends " + remainingBytes + " bytes early");
            }
            crc.update(bytes, offset, read);
            remainingBytes -= read;
            if (remainingBytes == 0) {
                checkCrc();
            }
            return read;
        }

        private void checkCrc() throws SnapshotCorruptionException {
            if (!checked && (int) crc.getValue() != expectedCrc) {
                throw new SnapshotCorruptionException(file, "body CRC " + Integer.toHexString((int) crc.getValue())
                        + " differs from the header's " + Integer.toHexString(expectedCrc));
            }
            checked = true;
        }

        @Override
        public void close() throws IOException {
            in.close();
        }
    }
}

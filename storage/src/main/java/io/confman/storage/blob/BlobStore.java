package io.confman.storage.blob;

import io.confman.storage.wal.StorageIo;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.System.Logger.Level;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.security.MessageDigest;
import java.util.List;
import java.util.Objects;
import java.util.OptionalLong;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentSkipListMap;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Consumer;
import java.util.function.Predicate;

/**
 * Blobs on disk, addressed by SHA-256 (storage/FORMAT.md, "Blob store"). Thread-safe.
 *
 * <p>An upload streams into a temporary file through a memory mapping while it is hashed,
 * and is published only whole: fsync of the file, rename to its digest, fsync of the
 * directory. A crash at any point leaves either no blob or the whole blob; temporary files
 * left by a crash are deleted when the store opens.
 *
 * <p>The store keeps in memory which blobs it holds and their sizes, read from the directory
 * when it opens (without reading the blobs: they may be GiBs; {@link #verify} rehashes one).
 * A blob is in that index only once its name is durable, so whatever {@link #contains}
 * reports survives a crash. Uploads are written through Chronicle Bytes, which needs the JVM
 * flags listed in FORMAT.md section 9.5 (the parent pom's {@code confman.jvm.opens});
 * {@link #open} refuses to start without them.
 */
public final class BlobStore implements AutoCloseable {

    /** How much of a file one mapping covers, for uploads and for reads. */
    static final long WINDOW_BYTES_DEFAULT = 16L << 20;
    /** Windows are whole multiples of this, the largest mapping granularity of the systems Java runs on. */
    static final long WINDOW_ALIGNMENT_BYTES = 64L << 10;
    /** Publishes and deletes of blobs whose digests share a stripe wait for each other. */
    private static final int DIGEST_LOCKS_COUNT = 64;
    private static final int VERIFY_BUFFER_BYTES = 64 << 10;
    private static final System.Logger LOG = System.getLogger(BlobStore.class.getName());

    /** The directories of the stores open in this JVM (real paths). */
    private static final Set<Path> OPEN_IN_THIS_PROCESS = ConcurrentHashMap.newKeySet();

    private final BlobLayout layout;
    private final long windowBytes;
    private final StorageIo io;
    private final FileChannel lockChannel;
    private final FileLock lock;
    private final ReentrantLock[] digestLocks = new ReentrantLock[DIGEST_LOCKS_COUNT];
    // Invariant: holds exactly the blobs whose file is in sha256/ under its digest with a
    // durable name, with their sizes; changed only under the digest's lock, together with the
    // totals, under totalsLock.
    /** Told of every upload about to publish (or find present) its blob; see {@link #onFinishing}. */
    private volatile Consumer<BlobDigest> finishingListener = digest -> { };
    private final ConcurrentSkipListMap<BlobDigest, Long> sizes = new ConcurrentSkipListMap<>();
    private final Object totalsLock = new Object();
    // Invariant (under totalsLock): count == sizes.size() and bytes == the sum of sizes' values.
    private long count;
    private long bytes;
    private volatile boolean closed;

    private BlobStore(BlobLayout layout, long windowBytes, StorageIo io, FileChannel lockChannel, FileLock lock) {
        this.layout = layout;
        this.windowBytes = windowBytes;
        this.io = io;
        this.lockChannel = lockChannel;
        this.lock = lock;
        for (int i = 0; i < DIGEST_LOCKS_COUNT; i++) {
            digestLocks[i] = new ReentrantLock();
        }
    }

    /** Opens (creating if needed) the store in {@code directory}; deletes leftover temporary files. */
    public static BlobStore open(Path directory) throws IOException {
        return open(directory, WINDOW_BYTES_DEFAULT, StorageIo.fileSystem());
    }

    /**
     * Opens the store with windows of {@code windowBytes} (a multiple of
     * {@link #WINDOW_ALIGNMENT_BYTES}) and every change to the disk made through {@code io}:
     * the seams tests use to cross window boundaries with small blobs and to see the order of
     * renames and fsyncs. FORMAT.md section 9.3 is the procedure.
     *
     * @throws IOException also when another store, in this process or another, has the directory open
     */
    static BlobStore open(Path directory, long windowBytes, StorageIo io) throws IOException {
        if (windowBytes < WINDOW_ALIGNMENT_BYTES || windowBytes % WINDOW_ALIGNMENT_BYTES != 0) {
            throw new IllegalArgumentException("windowBytes must be a positive multiple of " + WINDOW_ALIGNMENT_BYTES
                    + ", was " + windowBytes);
        }
        ChronicleRuntime.requireUsable();
        BlobLayout layout = new BlobLayout(directory);
        io.createDirectoriesDurably(layout.blobs);
        io.createDirectoriesDurably(layout.temp);
        // Checked before the lock file is opened: POSIX locks belong to the process, so closing
        // a second descriptor of the lock file, even a refused one, would drop the first's lock.
        Path key = layout.root.toRealPath();
        if (!OPEN_IN_THIS_PROCESS.add(key)) {
            throw new IOException("the blob store in " + layout.root + " is open already in this process");
        }
        FileChannel lockChannel;
        try {
            lockChannel = FileChannel.open(layout.lock, StandardOpenOption.CREATE, StandardOpenOption.WRITE);
        } catch (IOException | RuntimeException failure) {
            OPEN_IN_THIS_PROCESS.remove(key);
            throw failure;
        }
        try {
            FileLock lock = tryLock(lockChannel, layout);
            BlobStore store = new BlobStore(layout, windowBytes, io, lockChannel, lock);
            store.deleteTemporaryFiles();
            store.loadIndex();
            // Always: a blob renamed just before the process died is visible, perhaps not yet
            // durable, and the index is about to report it as held.
            io.fsyncDirectory(layout.blobs);
            return store;
        } catch (IOException | RuntimeException failure) {
            try {
                lockChannel.close(); // Releases the lock too.
            } catch (IOException closeFailure) {
                failure.addSuppressed(closeFailure);
            } finally {
                OPEN_IN_THIS_PROCESS.remove(key);
            }
            throw failure;
        }
    }

    private static FileLock tryLock(FileChannel lockChannel, BlobLayout layout) throws IOException {
        FileLock lock;
        try {
            lock = lockChannel.tryLock();
        } catch (OverlappingFileLockException heldHere) {
            lock = null;
        }
        if (lock == null) {
            throw new IOException("blob store " + layout.root + " is open already, in this process or another ("
                    + layout.lock + " is locked)");
        }
        return lock;
    }

    /** Step 3 of FORMAT.md 9.3: uploads a crash interrupted are never resumed. */
    private void deleteTemporaryFiles() throws IOException {
        try (DirectoryStream<Path> files = Files.newDirectoryStream(layout.temp)) {
            for (Path file : files) {
                String name = file.getFileName().toString();
                if (BlobLayout.isTempName(name) && Files.isRegularFile(file, LinkOption.NOFOLLOW_LINKS)) {
                    io.delete(file);
                } else {
                    LOG.log(Level.WARNING, "event=blob-store-unexpected-file file=" + file + " left alone");
                }
            }
        }
        // No directory fsync: a deletion a crash undoes is done again by the next open.
    }

    /** Step 4 of FORMAT.md 9.3: the index, from names and sizes alone. */
    private void loadIndex() throws IOException {
        try (DirectoryStream<Path> files = Files.newDirectoryStream(layout.blobs)) {
            for (Path file : files) {
                String name = file.getFileName().toString();
                BlobDigest digest = BlobLayout.digestOfName(name);
                BasicFileAttributes attributes =
                        Files.readAttributes(file, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
                if (digest == null || !attributes.isRegularFile()) {
                    LOG.log(Level.WARNING, "event=blob-store-unexpected-file file=" + file + " left alone");
                } else if (attributes.size() == 0 && !digest.equals(BlobLayout.EMPTY_DIGEST)) {
                    LOG.log(Level.ERROR, "event=blob-store-damaged-blob file=" + file
                            + " is empty, which only " + BlobLayout.EMPTY_DIGEST.hex() + " can be;"
                            + " not listed, and replaced when the blob is uploaded again");
                } else {
                    indexAdd(digest, attributes.size());
                }
            }
        }
    }

    /** Starts an upload; its bytes are hashed as they are written. */
    public BlobUpload begin() throws IOException {
        requireOpen();
        Path file = Files.createTempFile(layout.temp, BlobLayout.TEMP_PREFIX, BlobLayout.TEMP_SUFFIX);
        return new BlobUpload(this, file, windowBytes);
    }

    public boolean contains(BlobDigest digest) {
        return sizes.containsKey(Objects.requireNonNull(digest, "digest"));
    }

    /** The blob's size, or empty when the store does not hold it. */
    public OptionalLong size(BlobDigest digest) {
        Long size = sizes.get(Objects.requireNonNull(digest, "digest"));
        return size == null ? OptionalLong.empty() : OptionalLong.of(size);
    }

    /**
     * Opens the blob for reading, or throws {@link java.nio.file.NoSuchFileException}. A reader
     * stays valid when the blob is deleted meanwhile (the file lives until it is closed).
     */
    public BlobReader open(BlobDigest digest) throws IOException {
        requireOpen();
        Path file = layout.blobFile(Objects.requireNonNull(digest, "digest"));
        Long size = sizes.get(digest);
        if (size == null) {
            throw new NoSuchFileException(file.toString(), null, "the store holds no blob " + digest);
        }
        FileChannel channel = FileChannel.open(file, StandardOpenOption.READ);
        try {
            // The other side of the disk: the file is the size it had when it was indexed.
            long found = channel.size();
            if (found != size) {
                throw new IOException("blob file " + file + " is " + found + " bytes; it was " + size);
            }
            return new BlobReader(digest, channel, size, windowBytes);
        } catch (IOException | RuntimeException failure) {
            channel.close();
            throw failure;
        }
    }

    /** Deletes the blob (durably); false when it was not there. */
    public boolean delete(BlobDigest digest) throws IOException {
        requireOpen();
        Objects.requireNonNull(digest, "digest");
        ReentrantLock digestLock = lockOf(digest);
        digestLock.lock();
        try {
            if (!sizes.containsKey(digest)) {
                return false;
            }
            io.delete(layout.blobFile(digest));
            indexRemove(digest);
            // Until this returns a crash may bring the blob back, whole: never a part of it.
            io.fsyncDirectory(layout.blobs);
            return true;
        } finally {
            digestLock.unlock();
        }
    }

    /**
     * Deletes the blob (durably) only if {@code stillGarbage} holds, checked under the blob's
     * lock, so that no {@link #touch} of it can come between the check and the delete; false
     * when it was not deleted.
     */
    public boolean deleteIf(BlobDigest digest, Predicate<BlobDigest> stillGarbage) throws IOException {
        requireOpen();
        Objects.requireNonNull(digest, "digest");
        ReentrantLock digestLock = lockOf(digest);
        digestLock.lock();
        try {
            requireOpen(); // Again under the lock: a store closed meanwhile deletes nothing more.
            if (!sizes.containsKey(digest) || !stillGarbage.test(digest)) {
                return false;
            }
            io.delete(layout.blobFile(digest));
            indexRemove(digest);
            io.fsyncDirectory(layout.blobs);
            return true;
        } finally {
            digestLock.unlock();
        }
    }

    /**
     * Tells the {@link #onFinishing} listener that the blob is wanted now, then says whether
     * the store holds it, both under the blob's lock: a true answer means a collector using
     * {@link #deleteIf} has seen the mark, so the blob stays.
     */
    public boolean touch(BlobDigest digest) {
        Objects.requireNonNull(digest, "digest");
        ReentrantLock digestLock = lockOf(digest);
        digestLock.lock();
        try {
            finishingListener.accept(digest);
            return sizes.containsKey(digest);
        } finally {
            digestLock.unlock();
        }
    }

    /** Every blob held, in digest order. */
    public List<BlobDigest> list() throws IOException {
        return List.copyOf(sizes.keySet());
    }

    /** How many blobs and bytes the store holds (kept as blobs are published and deleted). */
    public long count() {
        synchronized (totalsLock) {
            return count;
        }
    }

    public long bytes() {
        synchronized (totalsLock) {
            return bytes;
        }
    }

    /**
     * Calls {@code listener} (on the uploading thread, quickly) each time an upload with a
     * verified digest is about to publish its blob or to find it already held, so that a
     * garbage collector can tell a blob that was just uploaded from one nobody wants.
     */
    public void onFinishing(Consumer<BlobDigest> listener) {
        this.finishingListener = Objects.requireNonNull(listener, "listener");
    }


    public Path directory() {
        return layout.root;
    }

    /**
     * Reads the whole blob and hashes it: true when its bytes still hash to its name, false
     * when the file is damaged (the caller may {@link #delete} it and fetch it again). Reads
     * through bounded windows, like {@link #open}, whatever the size.
     *
     * @throws NoSuchFileException when the store does not hold the blob
     */
    public boolean verify(BlobDigest digest) throws IOException {
        MessageDigest sha256 = BlobUpload.newSha256();
        try (BlobReader reader = open(digest)) {
            ByteBuffer buffer = ByteBuffer.allocate(VERIFY_BUFFER_BYTES);
            long position = 0;
            int read;
            while ((read = reader.read(position, buffer.clear())) > 0) {
                sha256.update(buffer.array(), 0, read);
                position += read;
            }
            if (position != reader.size()) {
                throw new IllegalStateException("read " + position + " bytes of blob " + digest + " of "
                        + reader.size());
            }
        }
        return BlobDigest.of(sha256.digest()).equals(digest);
    }

    /**
     * Releases the directory's lock. Uploads not finished yet fail at {@link BlobUpload#finish}
     * (their files are deleted by the next open); open readers keep working.
     */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        try {
            lock.release();
            lockChannel.close();
        } catch (IOException e) {
            throw new UncheckedIOException("releasing the lock of blob store " + layout.root, e);
        } finally {
            try {
                OPEN_IN_THIS_PROCESS.remove(layout.root.toRealPath());
            } catch (IOException gone) {
                OPEN_IN_THIS_PROCESS.removeIf(path -> !java.nio.file.Files.exists(path));
            }
        }
    }

    // ---------------------------------------------------------------- for uploads

    StorageIo io() {
        return io;
    }

    /**
     * Publishes an upload's file, written and fsynced already, as blob {@code digest}: renames
     * it to its name and fsyncs the directory, then indexes it. When the store holds the blob
     * already (another upload of the same bytes won) the file is deleted instead and the
     * existing blob stays. Either way the blob is durable on return.
     */
    void publish(Path uploadFile, BlobDigest digest, long sizeBytes) throws IOException {
        requireOpen();
        ReentrantLock digestLock = lockOf(digest);
        digestLock.lock();
        try {
            if (sizes.containsKey(digest)) {
                io.delete(uploadFile);
                return;
            }
            io.move(uploadFile, layout.blobFile(digest));
            io.fsyncDirectory(layout.blobs);
            indexAdd(digest, sizeBytes);
        } finally {
            digestLock.unlock();
        }
        // The rename also removed the name from tmp/ and that directory is not fsynced: a
        // crash may bring the name back there too, and the next open deletes it.
    }

    private ReentrantLock lockOf(BlobDigest digest) {
        return digestLocks[Math.floorMod(digest.hashCode(), DIGEST_LOCKS_COUNT)];
    }

    private void indexAdd(BlobDigest digest, long sizeBytes) {
        synchronized (totalsLock) {
            Long previous = sizes.put(digest, sizeBytes);
            if (previous != null) {
                throw new IllegalStateException("blob " + digest + " was indexed twice");
            }
            count++;
            bytes += sizeBytes;
        }
    }

    private void indexRemove(BlobDigest digest) {
        synchronized (totalsLock) {
            Long size = sizes.remove(digest);
            if (size == null) {
                throw new IllegalStateException("blob " + digest + " was not indexed");
            }
            count--;
            bytes -= size;
        }
    }

    private void requireOpen() {
        if (closed) {
            throw new IllegalStateException("blob store " + layout.root + " is closed");
        }
    }
}

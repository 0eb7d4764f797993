package io.confman.storage.blob;

import static io.confman.storage.blob.BlobTesting.randomBytes;
import static io.confman.storage.blob.BlobTesting.sha256;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.confman.storage.wal.StorageIo;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.ReadableByteChannel;
import java.nio.channels.WritableByteChannel;
import java.nio.file.OpenOption;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The order of the changes that make a blob durable (FORMAT.md section 9.4): the file is cut
 * to size and fsynced before it is renamed, the directory fsynced after, and a delete is
 * followed by a directory fsync. Each change is recorded, with names relative to the store.
 */
class BlobDurabilityOrderTest {

    @TempDir
    Path dir;

    private final List<String> changes = new ArrayList<>();

    @Test
    void aBlobIsForcedThenRenamedThenItsDirectoryFsynced() throws IOException {
        byte[] bytes = randomBytes(1, BlobTesting.WINDOW_BYTES + 10);
        BlobDigest digest = sha256(bytes);
        try (BlobStore store = BlobStore.open(dir, BlobTesting.WINDOW_BYTES, new Recording())) {
            assertEquals(List.of("fsync-directory sha256"), changes.subList(changes.size() - 1, changes.size()),
                    "opening ends with an fsync of the blob directory");
            changes.clear();
            try (BlobUpload upload = store.begin()) {
                upload.write(bytes, 0, bytes.length);
                upload.finish(digest);
            }
            String temp = changes.get(0).substring("open ".length());
            assertEquals(List.of(
                    "open " + temp,
                    "truncate " + temp + " " + bytes.length,
                    "force " + temp,
                    "move " + temp + " sha256/" + digest.hex(),
                    "fsync-directory sha256"), changes);

            changes.clear();
            try (BlobUpload again = store.begin()) {
                again.write(bytes, 0, bytes.length);
                again.finish(digest);
            }
            assertEquals(1, changes.size(), "held already: no fsync, no rename, only " + changes);
            assertTrue(changes.get(0).startsWith("delete tmp/upload-"), changes.get(0));

            changes.clear();
            store.delete(digest);
            assertEquals(List.of("delete sha256/" + digest.hex(), "fsync-directory sha256"), changes);
        }
    }

    @Test
    void aMismatchNeverForcesOrRenames() throws IOException {
        byte[] bytes = randomBytes(2, 100);
        try (BlobStore store = BlobStore.open(dir, BlobTesting.WINDOW_BYTES, new Recording())) {
            changes.clear();
            try (BlobUpload upload = store.begin()) {
                upload.write(bytes, 0, bytes.length);
                upload.finish(sha256(new byte[1]));
            } catch (BlobDigestMismatchException expected) {
                // What this test is about.
            }
            assertEquals(1, changes.size(), changes.toString());
            assertTrue(changes.get(0).startsWith("delete tmp/upload-"), changes.get(0));
        }
    }

    private String relative(Path path) {
        return dir.relativize(path).toString();
    }

    /** The real file system, recording every change in {@link #changes}. */
    private final class Recording implements StorageIo {
        private final StorageIo real = StorageIo.fileSystem();

        @Override
        public FileChannel open(Path path, OpenOption... options) throws IOException {
            changes.add("open " + relative(path));
            return new RecordingChannel(relative(path), real.open(path, options));
        }

        @Override
        public void move(Path from, Path to) throws IOException {
            changes.add("move " + relative(from) + " " + relative(to));
            real.move(from, to);
        }

        @Override
        public void delete(Path path) throws IOException {
            changes.add("delete " + relative(path));
            real.delete(path);
        }

        @Override
        public void fsyncDirectory(Path directory) throws IOException {
            changes.add("fsync-directory " + relative(directory));
            real.fsyncDirectory(directory);
        }

        @Override
        public void createDirectory(Path directory) throws IOException {
            changes.add("create-directory " + directory);
            real.createDirectory(directory);
        }
    }

    /** Records truncations and forces; the store writes no other way through a channel. */
    private final class RecordingChannel extends FileChannel {
        private final String name;
        private final FileChannel channel;

        RecordingChannel(String name, FileChannel channel) {
            this.name = name;
            this.channel = channel;
        }

        @Override
        public FileChannel truncate(long size) throws IOException {
            changes.add("truncate " + name + " " + size);
            channel.truncate(size);
            return this;
        }

        @Override
        public void force(boolean metaData) throws IOException {
            changes.add(metaData ? "force " + name : "force-data " + name);
            channel.force(metaData);
        }

        @Override
        public long size() throws IOException {
            return channel.size();
        }

        @Override
        public int read(ByteBuffer dst) {
            throw new UnsupportedOperationException("not used by the store");
        }

        @Override
        public long read(ByteBuffer[] dsts, int offset, int length) {
            throw new UnsupportedOperationException("not used by the store");
        }

        @Override
        public int write(ByteBuffer src) {
            throw new UnsupportedOperationException("not used by the store");
        }

        @Override
        public long write(ByteBuffer[] srcs, int offset, int length) {
            throw new UnsupportedOperationException("not used by the store");
        }

        @Override
        public long position() {
            throw new UnsupportedOperationException("not used by the store");
        }

        @Override
        public FileChannel position(long newPosition) {
            throw new UnsupportedOperationException("not used by the store");
        }

        @Override
        public long transferTo(long position, long count, WritableByteChannel target) {
            throw new UnsupportedOperationException("not used by the store");
        }

        @Override
        public long transferFrom(ReadableByteChannel src, long position, long count) {
            throw new UnsupportedOperationException("not used by the store");
        }

        @Override
        public int read(ByteBuffer dst, long position) {
            throw new UnsupportedOperationException("not used by the store");
        }

        @Override
        public int write(ByteBuffer src, long position) {
            throw new UnsupportedOperationException("not used by the store");
        }

        @Override
        public MappedByteBuffer map(MapMode mode, long position, long size) {
            throw new UnsupportedOperationException("not used by the store");
        }

        @Override
        public FileLock lock(long position, long size, boolean shared) {
            throw new UnsupportedOperationException("not used by the store");
        }

        @Override
        public FileLock tryLock(long position, long size, boolean shared) {
            throw new UnsupportedOperationException("not used by the store");
        }

        @Override
        protected void implCloseChannel() throws IOException {
            channel.close();
        }
    }
}

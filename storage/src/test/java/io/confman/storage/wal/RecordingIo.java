package io.confman.storage.wal;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.ReadableByteChannel;
import java.nio.channels.WritableByteChannel;
import java.nio.file.Files;
import java.nio.file.OpenOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;

/**
 * A {@link StorageIo} for tests: it does every operation on the real file system (without
 * the fsyncs, which it only records, so that tests stay fast) and keeps the sequence of
 * changes, from which {@link #durableAfterCrash} computes what a crash after any prefix of
 * them may leave on disk.
 *
 * <p>The crash model: a file's writes and truncations up to its last force are durable;
 * each one after it persists or not, a write page by page (4 KiB), independently and in
 * any combination. Creations, renames and deletions in a directory up to its last fsync
 * are durable; of the later ones, a prefix persists (metadata is journaled in order).
 */
final class RecordingIo implements StorageIo {
    static final int PAGE_BYTES = 4096;

    sealed interface Event {
    }

    record Create(String name, int file) implements Event {
    }

    record Rename(String from, String to) implements Event {
    }

    record Delete(String name) implements Event {
    }

    record DirectoryFsync(Path dir) implements Event {
    }

    record DirectoryCreate(Path dir) implements Event {
    }

    record Write(int file, long position, byte[] bytes) implements Event {
    }

    record Truncate(int file, long sizeBytes) implements Event {
    }

    record Force(int file) implements Event {
    }

    /** A point in the test's own sequence, e.g. "operation 3 acknowledged". */
    record Mark(String label) implements Event {
    }

    private final List<Event> events = new ArrayList<>();
    /** The file behind each name in the directory as the process sees it. */
    private final Map<String, Integer> names = new HashMap<>();
    private int nextFile;

    synchronized List<Event> events() {
        return List.copyOf(events);
    }

    synchronized void mark(String label) {
        events.add(new Mark(label));
    }

    private synchronized void record(Event event) {
        events.add(event);
    }

    @Override
    public FileChannel open(Path path, OpenOption... options) throws IOException {
        Set<OpenOption> set = Set.of(options);
        boolean creates = set.contains(StandardOpenOption.CREATE_NEW)
                || (set.contains(StandardOpenOption.CREATE) && !Files.exists(path));
        FileChannel real = FileChannel.open(path, options);
        int file;
        synchronized (this) {
            String name = path.getFileName().toString();
            if (creates) {
                file = nextFile++;
                names.put(name, file);
                events.add(new Create(name, file));
            } else {
                Integer known = names.get(name);
                if (known == null) {
                    // A file this io did not create (written before the test began).
                    known = nextFile++;
                    names.put(name, known);
                }
                file = known;
            }
        }
        return new RecordingChannel(real, file);
    }

    @Override
    public synchronized void move(Path from, Path to) throws IOException {
        Files.move(from, to, StandardCopyOption.ATOMIC_MOVE);
        String fromName = from.getFileName().toString();
        names.put(to.getFileName().toString(), names.remove(fromName));
        events.add(new Rename(fromName, to.getFileName().toString()));
    }

    @Override
    public synchronized void delete(Path path) throws IOException {
        Files.delete(path);
        names.remove(path.getFileName().toString());
        events.add(new Delete(path.getFileName().toString()));
    }

    @Override
    public void fsyncDirectory(Path dir) {
        record(new DirectoryFsync(dir.toAbsolutePath().normalize()));
    }

    @Override
    public void createDirectory(Path dir) throws IOException {
        Files.createDirectory(dir);
        record(new DirectoryCreate(dir.toAbsolutePath().normalize()));
    }

    /**
     * The files of the log directory that a crash after the first {@code eventCount}
     * events may leave, by name, with random choices from {@code random}.
     */
    static Map<String, byte[]> durableAfterCrash(List<Event> events, int eventCount, Random random) {
        List<Event> prefix = events.subList(0, eventCount);
        Map<String, Integer> directory = durableDirectory(prefix, random);
        Map<String, byte[]> files = new HashMap<>();
        for (Map.Entry<String, Integer> entry : directory.entrySet()) {
            files.put(entry.getKey(), durableContent(prefix, entry.getValue(), random));
        }
        return files;
    }

    private static Map<String, Integer> durableDirectory(List<Event> prefix, Random random) {
        List<Event> changes = new ArrayList<>();
        int synced = 0;
        for (Event event : prefix) {
            if (event instanceof Create || event instanceof Rename || event instanceof Delete) {
                changes.add(event);
            } else if (event instanceof DirectoryFsync) {
                synced = changes.size();
            }
        }
        int persisted = synced + random.nextInt(changes.size() - synced + 1);
        Map<String, Integer> directory = new HashMap<>();
        for (Event change : changes.subList(0, persisted)) {
            if (change instanceof Create create) {
                directory.put(create.name(), create.file());
            } else if (change instanceof Rename rename) {
                directory.put(rename.to(), directory.remove(rename.from()));
            } else if (change instanceof Delete delete) {
                directory.remove(delete.name());
            }
        }
        directory.values().removeIf(java.util.Objects::isNull);
        return directory;
    }

    private static byte[] durableContent(List<Event> prefix, int file, Random random) {
        List<Event> changes = new ArrayList<>();
        int forced = 0;
        for (Event event : prefix) {
            if (event instanceof Write write && write.file() == file
                    || event instanceof Truncate truncate && truncate.file() == file) {
                changes.add(event);
            } else if (event instanceof Force force && force.file() == file) {
                forced = changes.size();
            }
        }
        Content content = new Content();
        for (int i = 0; i < changes.size(); i++) {
            boolean durable = i < forced;
            if (changes.get(i) instanceof Write write) {
                content.write(write, durable, random);
            } else if (durable || random.nextBoolean()) {
                content.truncate(((Truncate) changes.get(i)).sizeBytes());
            }
        }
        return content.bytes();
    }

    /** A file's bytes as the crash leaves them. */
    private static final class Content {
        private byte[] bytes = new byte[0];
        private int size;

        void write(Write write, boolean durable, Random random) {
            long end = write.position() + write.bytes().length;
            for (long page = write.position() / PAGE_BYTES * PAGE_BYTES; page < end; page += PAGE_BYTES) {
                if (!durable && random.nextBoolean()) {
                    continue;
                }
                long from = Math.max(page, write.position());
                long to = Math.min(page + PAGE_BYTES, end);
                ensure((int) to);
                System.arraycopy(write.bytes(), (int) (from - write.position()), bytes, (int) from, (int) (to - from));
                size = Math.max(size, (int) to);
            }
        }

        void truncate(long sizeBytes) {
            if (sizeBytes < size) {
                Arrays.fill(bytes, (int) sizeBytes, size, (byte) 0);
                size = (int) sizeBytes;
            }
        }

        private void ensure(int capacity) {
            if (bytes.length < capacity) {
                bytes = Arrays.copyOf(bytes, Math.max(capacity, bytes.length * 2));
            }
        }

        byte[] bytes() {
            return Arrays.copyOf(bytes, size);
        }
    }

    /** Delegates to the real channel, recording positional writes, truncations and forces. */
    private final class RecordingChannel extends FileChannel {
        private final FileChannel real;
        private final int file;

        RecordingChannel(FileChannel real, int file) {
            this.real = real;
            this.file = file;
        }

        @Override
        public int write(ByteBuffer source, long position) throws IOException {
            ByteBuffer copy = source.duplicate();
            int written = real.write(source, position);
            byte[] bytes = new byte[written];
            copy.get(bytes);
            record(new Write(file, position, bytes));
            return written;
        }

        @Override
        public FileChannel truncate(long size) throws IOException {
            real.truncate(size);
            record(new Truncate(file, size));
            return this;
        }

        @Override
        public void force(boolean metaData) {
            record(new Force(file));
        }

        @Override
        public int read(ByteBuffer destination, long position) throws IOException {
            return real.read(destination, position);
        }

        @Override
        public int read(ByteBuffer destination) throws IOException {
            return real.read(destination);
        }

        @Override
        public long read(ByteBuffer[] destinations, int offset, int length) throws IOException {
            return real.read(destinations, offset, length);
        }

        @Override
        public long size() throws IOException {
            return real.size();
        }

        @Override
        public long position() throws IOException {
            return real.position();
        }

        @Override
        public FileChannel position(long newPosition) throws IOException {
            real.position(newPosition);
            return this;
        }

        @Override
        public MappedByteBuffer map(MapMode mode, long position, long size) throws IOException {
            if (mode != MapMode.READ_ONLY) {
                throw new UnsupportedOperationException("writes through a mapping would not be recorded");
            }
            return real.map(mode, position, size);
        }

        // The log writes only at explicit positions; other writes would go unrecorded.
        @Override
        public int write(ByteBuffer source) {
            throw new UnsupportedOperationException("relative write is not recorded");
        }

        @Override
        public long write(ByteBuffer[] sources, int offset, int length) {
            throw new UnsupportedOperationException("gathering write is not recorded");
        }

        @Override
        public long transferTo(long position, long count, WritableByteChannel target) {
            throw new UnsupportedOperationException("transferTo is not used by the log");
        }

        @Override
        public long transferFrom(ReadableByteChannel source, long position, long count) {
            throw new UnsupportedOperationException("transferFrom is not recorded");
        }

        @Override
        public FileLock lock(long position, long size, boolean shared) {
            throw new UnsupportedOperationException("locks are not used by the log");
        }

        @Override
        public FileLock tryLock(long position, long size, boolean shared) {
            throw new UnsupportedOperationException("locks are not used by the log");
        }

        @Override
        protected void implCloseChannel() throws IOException {
            real.close();
        }
    }
}

package io.confman.bench.wal;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Locale;

/**
 * Measures what the disk under a directory can do, so that the WAL benchmark's numbers can
 * be read against it: the rate of a 4 KiB write + fdatasync loop (the ceiling for one
 * appender without group commit) and sequential write bandwidth (the ceiling for group
 * commit with large batches). Prints one plain line per figure.
 *
 * <pre>java -cp CLASSPATH io.confman.bench.wal.DiskProbe DIR [--seconds S] [--sequential-mib M]</pre>
 */
public final class DiskProbe {
    static final int SYNC_WRITE_BYTES = 4096;
    static final int SEQUENTIAL_CHUNK_BYTES = 1 << 20;
    /** The fsync loop writes over a preallocated file of this size, as the WAL does. */
    static final long SYNC_FILE_BYTES = 64L << 20;

    private DiskProbe() {
    }

    public static void main(String[] args) throws IOException {
        if (args.length < 1 || args.length % 2 != 1) {
            System.err.println("usage: DiskProbe DIR [--seconds S] [--sequential-mib M]");
            System.exit(2);
        }
        Path dir = Path.of(args[0]);
        double seconds = 3;
        long sequentialMib = 256;
        for (int i = 1; i < args.length; i += 2) {
            switch (args[i]) {
                case "--seconds" -> seconds = Double.parseDouble(args[i + 1]);
                case "--sequential-mib" -> sequentialMib = Long.parseLong(args[i + 1]);
                default -> {
                    System.err.println("DiskProbe: unknown option " + args[i]);
                    System.exit(2);
                }
            }
        }
        System.out.println("disk-probe dir=" + dir.toAbsolutePath());
        System.out.println(fdatasyncLoop(dir, seconds));
        System.out.println(sequentialWrite(dir, sequentialMib));
    }

    /** 4 KiB write + fdatasync, repeated for {@code seconds} over a preallocated file. */
    static String fdatasyncLoop(Path dir, double seconds) throws IOException {
        Path file = Files.createTempFile(dir, "disk-probe-fsync-", ".tmp");
        try (FileChannel channel = FileChannel.open(file, StandardOpenOption.WRITE)) {
            writeZeros(channel, SYNC_FILE_BYTES);
            channel.force(true);
            ByteBuffer block = ByteBuffer.allocateDirect(SYNC_WRITE_BYTES);
            long count = 0;
            long start = System.nanoTime();
            long deadline = start + (long) (seconds * 1e9);
            long now = start;
            while (now < deadline) {
                long position = (count * SYNC_WRITE_BYTES) % SYNC_FILE_BYTES;
                block.clear();
                while (block.hasRemaining()) {
                    channel.write(block, position + block.position());
                }
                channel.force(false);
                count++;
                now = System.nanoTime();
            }
            double elapsed = (now - start) / 1e9;
            return String.format(Locale.ROOT, "fdatasync_4k_per_s=%.1f (%d writes of 4 KiB each followed by"
                    + " fdatasync in %.2f s, mean %.3f ms)", count / elapsed, count, elapsed, elapsed * 1e3 / count);
        } finally {
            Files.delete(file);
        }
    }

    /** {@code mib} MiB written in 1 MiB chunks to a new file, then one fsync; timed together. */
    static String sequentialWrite(Path dir, long mib) throws IOException {
        Path file = Files.createTempFile(dir, "disk-probe-seq-", ".tmp");
        try (FileChannel channel = FileChannel.open(file, StandardOpenOption.WRITE)) {
            long start = System.nanoTime();
            writeZeros(channel, mib * SEQUENTIAL_CHUNK_BYTES);
            channel.force(true);
            double elapsed = (System.nanoTime() - start) / 1e9;
            return String.format(Locale.ROOT, "sequential_write_mib_per_s=%.1f (%d MiB in 1 MiB writes, then one"
                    + " fsync, in %.2f s)", mib / elapsed, mib, elapsed);
        } finally {
            Files.delete(file);
        }
    }

    private static void writeZeros(FileChannel channel, long bytes) throws IOException {
        ByteBuffer chunk = ByteBuffer.allocateDirect(SEQUENTIAL_CHUNK_BYTES);
        long position = 0;
        while (position < bytes) {
            chunk.clear().limit((int) Math.min(SEQUENTIAL_CHUNK_BYTES, bytes - position));
            while (chunk.hasRemaining()) {
                position += channel.write(chunk, position);
            }
        }
    }
}

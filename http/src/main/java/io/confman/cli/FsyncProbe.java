package io.confman.cli;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * Measures how long the data directory's disk takes to make a small write durable, the way
 * the write-ahead log does it (write, then {@code force(false)}). A node whose fsync takes
 * close to an election timeout cannot keep its followers' timers from firing, so the server
 * refuses to start on such a disk rather than flap between leaders (CONTRACT.md, timing).
 */
final class FsyncProbe {

    static final int WRITE_BYTES = 4096;
    static final int SAMPLES = 5;

    private FsyncProbe() {
    }

    /** The slowest of {@code samples} write+force rounds in a temporary file of {@code dir}, in nanoseconds. */
    static long worstNanos(Path dir, int samples) throws IOException {
        Path probe = Files.createTempFile(dir, ".fsync-probe-", ".tmp");
        try (FileChannel channel = FileChannel.open(probe, StandardOpenOption.WRITE)) {
            ByteBuffer block = ByteBuffer.allocate(WRITE_BYTES);
            long worst = 0;
            for (int i = 0; i < samples; i++) {
                block.clear();
                long started = System.nanoTime();
                while (block.hasRemaining()) {
                    channel.write(block, (long) i * WRITE_BYTES + block.position());
                }
                channel.force(false);
                worst = Math.max(worst, System.nanoTime() - started);
            }
            return worst;
        } finally {
            Files.deleteIfExists(probe);
        }
    }
}

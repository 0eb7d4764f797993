package io.confman.bench.blob;

import io.confman.bench.BenchFiles;
import io.confman.storage.blob.BlobDigest;
import io.confman.storage.blob.BlobReader;
import io.confman.storage.blob.BlobStore;
import io.confman.storage.blob.BlobUpload;
import io.netty.channel.DefaultFileRegion;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.WritableByteChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import java.util.zip.CRC32C;
import org.openjdk.jmh.annotations.AuxCounters;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;

/**
 * Streaming a stored blob of {@code blobBytes} bytes out of the blob store (storage/FORMAT.md
 * section 9), whole, into a sink that computes the CRC32C of every byte, so that each byte is
 * really read. The blob is uploaded once in {@code @Setup} and then read from the page cache:
 * the figure is the node's cost of serving a blob, without the network and the disk.
 *
 * <ul>
 *   <li>{@code fileRegion}: the path of a {@code GET} of a blob (http/HTTP.md, "Blobs"): the
 *       front opens the blob with {@code BlobStore.open} and hands the reader's file channel to
 *       Netty as a {@code DefaultFileRegion}, which Netty writes with
 *       {@code region.transferTo(channel, transferred)} until the count is reached. Into a
 *       socket the kernel then copies the pages itself ({@code sendfile}); into this sink the
 *       JDK reads the file in small chunks of a direct buffer and hands them over, so the figure
 *       is that of the file's pages going through user space once.</li>
 *   <li>{@code mappedChunks}: {@code BlobReader.read} in 1 MiB chunks, the path a node uses to
 *       push a blob to a peer: copies out of the reader's memory-mapped windows (16 MiB each,
 *       one mapped at a time, each page faulted in once per mapping).</li>
 * </ul>
 *
 * <p>The primary score is blobs per second; the secondary result {@code mebibytes} is MiB
 * streamed per second. Memory does not grow with the blob: the region holds a file channel,
 * the reader one window, and this sink a checksum; the forked JVM gets a 64 MiB heap, less
 * than the 100 MiB blob, and {@code -prof gc} shows the bytes allocated per blob. {@code dir}
 * defaults to {@code target/blob-bench} under the working directory (not
 * {@code java.io.tmpdir}); the store's Chronicle Bytes needs the JVM flags passed to the fork.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Fork(jvmArgsAppend = {"--add-opens=java.base/java.lang.reflect=ALL-UNNAMED",
        "--add-exports=java.base/sun.nio.ch=ALL-UNNAMED", "--add-exports=java.base/jdk.internal.ref=ALL-UNNAMED",
        "-Xmx64m"})
public class BlobReadBenchmark {
    /** Where the store goes by default: under the build's directory, not on a tmpfs by accident. */
    static final Path DEFAULT_PARENT = Path.of("target", "blob-bench");
    /** The chunk a node pushes to a peer in one message. */
    static final int CHUNK_BYTES = 1 << 20;

    @Param({"1048576", "104857600"})
    public long blobBytes;

    /** Directory to create the store in; empty means under {@link #DEFAULT_PARENT}. */
    @Param("")
    public String dir;

    private Path storeDir;
    private BlobStore store;
    private BlobDigest digest;
    private long expectedCrc;
    private ByteBuffer chunk;

    @Setup(Level.Trial)
    public void upload() throws IOException {
        Path parent = dir.isEmpty() ? DEFAULT_PARENT : Path.of(dir);
        Files.createDirectories(parent);
        storeDir = Files.createTempDirectory(parent, "blobs-");
        store = BlobStore.open(storeDir);
        byte[] bytes = new byte[CHUNK_BYTES];
        SplittableRandom random = new SplittableRandom(42);
        CRC32C crc = new CRC32C();
        try (BlobUpload upload = store.begin()) {
            for (long written = 0; written < blobBytes; written += bytes.length) {
                int length = (int) Math.min(bytes.length, blobBytes - written);
                random.nextBytes(bytes);
                upload.write(bytes, 0, length);
                crc.update(bytes, 0, length);
            }
            digest = upload.finish(null);
        }
        expectedCrc = crc.getValue();
        chunk = ByteBuffer.allocate(CHUNK_BYTES);
    }

    @TearDown(Level.Trial)
    public void removeStore() throws IOException {
        store.close();
        BenchFiles.deleteTree(storeDir);
    }

    /** MiB streamed, reported per second beside the score. */
    @AuxCounters(AuxCounters.Type.OPERATIONS)
    @State(Scope.Thread)
    public static class Streamed {
        public double mebibytes;

        @Setup(Level.Iteration)
        public void reset() {
            mebibytes = 0;
        }
    }

    @Benchmark
    public long fileRegion(Streamed streamed) throws IOException {
        long crc = streamThroughFileRegion();
        streamed.mebibytes += blobBytes / (double) (1 << 20);
        return crc;
    }

    @Benchmark
    public long mappedChunks(Streamed streamed) throws IOException {
        long crc = streamThroughMappedChunks();
        streamed.mebibytes += blobBytes / (double) (1 << 20);
        return crc;
    }

    /** The whole blob through a file region, as the HTTP front sends it; returns its CRC32C, checked. */
    long streamThroughFileRegion() throws IOException {
        ChecksumSink sink = new ChecksumSink();
        ReaderRegion region = new ReaderRegion(store.open(digest));
        try {
            while (region.transferred() < region.count()) {
                region.transferTo(sink, region.transferred());
            }
        } finally {
            region.release();
        }
        return checked(sink.bytes, sink.crc.getValue());
    }

    /** The whole blob through the reader's mapped windows, chunk by chunk; returns its CRC32C, checked. */
    long streamThroughMappedChunks() throws IOException {
        CRC32C crc = new CRC32C();
        long position = 0;
        try (BlobReader reader = store.open(digest)) {
            int read;
            while ((read = reader.read(position, chunk.clear())) > 0) {
                crc.update(chunk.flip());
                position += read;
            }
        }
        return checked(position, crc.getValue());
    }

    private long checked(long bytes, long crc) {
        if (bytes != blobBytes || crc != expectedCrc) {
            throw new IllegalStateException("streamed " + bytes + " of " + blobBytes + " bytes, CRC32C "
                    + Long.toHexString(crc) + " where " + Long.toHexString(expectedCrc) + " was written");
        }
        return crc;
    }

    /** A region over a blob reader's file that closes the reader when released, as the HTTP front's does. */
    private static final class ReaderRegion extends DefaultFileRegion {
        private final BlobReader reader;

        ReaderRegion(BlobReader reader) {
            super(reader.channel(), 0, reader.size());
            this.reader = reader;
        }

        @Override
        protected void deallocate() {
            try {
                reader.close();
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
    }

    /** Consumes every byte written to it into a CRC32C. */
    private static final class ChecksumSink implements WritableByteChannel {
        final CRC32C crc = new CRC32C();
        long bytes;

        @Override
        public int write(ByteBuffer source) {
            int length = source.remaining();
            crc.update(source);
            bytes += length;
            return length;
        }

        @Override
        public boolean isOpen() {
            return true;
        }

        @Override
        public void close() {
        }
    }
}

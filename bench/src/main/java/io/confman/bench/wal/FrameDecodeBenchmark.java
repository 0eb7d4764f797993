package io.confman.bench.wal;

import io.confman.bench.BenchFiles;
import io.confman.storage.wal.Format;
import io.confman.storage.wal.LogRecord;
import io.confman.storage.wal.LogScanner;
import io.confman.storage.wal.SegmentName;
import io.confman.storage.wal.TailState;
import io.confman.storage.wal.WalOptions;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.AuxCounters;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;

/**
 * Decoding of the write-ahead log's frames (storage/FORMAT.md sections 2 and 3) by the reader
 * that recovery runs over every segment when a node opens its log: {@code LogScanner.scan},
 * which maps the segment, skips zero bytes, checks each frame it meets (header rules, CRC32C
 * of header and payload, index in place) and hands its payload to a visitor. The segment is
 * one closed segment of {@link #RECORDS} records of {@code recordBytes} bytes, written in
 * {@code @Setup} and read from the page cache, so the figure is the reader's CPU cost, the
 * floor under how long a restart spends on its log (a cold disk only adds to it).
 *
 * <p>{@code strayZeroBytes} puts a run of that many zero bytes after every frame, beyond its
 * alignment padding: the reader skips stray zeros the way it skips padding and preallocated
 * space (FORMAT.md 2.2), one byte at a time, and 0 against 64 shows what that costs.
 * {@code recordBytes} 168 is the payload of a put of a 100-byte value as the config store
 * encodes it ({@code CommandCodecBenchmark}), 1024 that of {@code WalAppendBenchmark}.
 *
 * <p>The primary score is records per second. The secondary result {@code mebibytes} is the
 * segment's bytes (frames, padding and zeros) scanned per second, in MiB: the rate at which
 * recovery gets through a segment file. {@code dir} defaults to {@code target/frame-bench}
 * under the working directory.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
public class FrameDecodeBenchmark {
    /** Records in the segment: the operations of one scan. */
    static final int RECORDS = 32_768;
    /** Where the segment goes by default: under the build's directory, not {@code java.io.tmpdir}. */
    static final Path DEFAULT_PARENT = Path.of("target", "frame-bench");
    /** Frame type of a normal entry, as the node's log storage writes it. */
    private static final int TYPE_NORMAL = 1;

    @Param({"168", "1024"})
    public int recordBytes;

    @Param({"0", "64"})
    public int strayZeroBytes;

    /** Directory to create the segment in; empty means under {@link #DEFAULT_PARENT}. */
    @Param("")
    public String dir;

    private Path segmentDir;
    private long segmentBytes;
    private long writeBatchBytesMax;

    @Setup(Level.Trial)
    public void writeSegment() throws IOException {
        Path parent = dir.isEmpty() ? DEFAULT_PARENT : Path.of(dir);
        Files.createDirectories(parent);
        segmentDir = Files.createTempDirectory(parent, "frames-");
        byte[] payload = new byte[recordBytes];
        new Random(7).nextBytes(payload);
        long size = Format.SEGMENT_HEADER_BYTES + RECORDS * (Format.frameBytes(recordBytes) + strayZeroBytes);
        ByteBuffer segment = ByteBuffer.allocate(Math.toIntExact(size));
        Format.encodeSegmentHeader(segment, 1);
        for (int i = 0; i < RECORDS; i++) {
            LogRecord record = new LogRecord(i + 1, 1, TYPE_NORMAL, payload);
            Format.encodeFrame(segment, record, i == 0 ? Format.FLAG_BATCH_START : 0);
            segment.position(segment.position() + strayZeroBytes); // A fresh buffer is all zeros.
        }
        Files.write(segmentDir.resolve(SegmentName.closed(1, RECORDS).fileName()), segment.array());
        segmentBytes = size;
        writeBatchBytesMax = WalOptions.defaults().writeBatchBytesMax();
    }

    @TearDown(Level.Trial)
    public void removeSegment() throws IOException {
        BenchFiles.deleteTree(segmentDir);
    }

    /** Bytes of the segment scanned, reported per second beside the score. */
    @AuxCounters(AuxCounters.Type.OPERATIONS)
    @State(Scope.Thread)
    public static class Scanned {
        public double mebibytes;

        @Setup(Level.Iteration)
        public void reset() {
            mebibytes = 0;
        }
    }

    /** Counts the records the reader hands over and the payload bytes they carry. */
    static final class Tally implements LogScanner.RecordVisitor {
        long records;
        long payloadBytes;

        @Override
        public void record(String segment, Format.Frame frame, ByteBuffer payload) {
            records++;
            payloadBytes += payload.remaining();
        }
    }

    @Benchmark
    @OperationsPerInvocation(RECORDS)
    public long scan(Scanned scanned) throws IOException {
        Tally tally = scanOnce();
        scanned.mebibytes += segmentBytes / (double) (1 << 20);
        return tally.payloadBytes;
    }

    /** One scan of the segment, checked: every record written is read back, and the log ends cleanly. */
    Tally scanOnce() throws IOException {
        Tally tally = new Tally();
        LogScanner.ScanResult result = LogScanner.scan(segmentDir, writeBatchBytesMax, tally);
        if (!(result.tail() instanceof TailState.Clean) || tally.records != RECORDS
                || tally.payloadBytes != (long) RECORDS * recordBytes) {
            throw new IllegalStateException("the scan read " + tally.records + " of " + RECORDS + " records ("
                    + tally.payloadBytes + " payload bytes), tail " + result.tail());
        }
        return tally;
    }
}

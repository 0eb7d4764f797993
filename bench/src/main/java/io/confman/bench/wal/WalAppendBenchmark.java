package io.confman.bench.wal;

import io.confman.bench.BenchFiles;
import io.confman.storage.wal.LogRecord;
import io.confman.storage.wal.SegmentedLog;
import io.confman.storage.wal.WalOptions;
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
import org.openjdk.jmh.annotations.Threads;
import org.openjdk.jmh.infra.ThreadParams;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * Append throughput of the write-ahead log with fsync on: each benchmark thread appends one
 * record and waits until the fdatasync that covers it, as a Raft node's callers would. With
 * more threads, group commit lets one fsync cover many records; the {@code fsyncs} counter
 * shows how many were taken, so records per fsync = ops / fsyncs.
 *
 * <p>The primary score is records per second. Run it on the disk you care about with
 * {@code -p dir=PATH}. By default the log goes in a fresh directory under
 * {@code target/wal-bench} of the working directory, not under {@code java.io.tmpdir}:
 * that is often a tmpfs, where fsync costs nothing and the figures would mean nothing.
 */
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@State(Scope.Benchmark)
public class WalAppendBenchmark {
    /** Compact every this many records, as a node taking snapshots would, so the disk use stays bounded. */
    static final long COMPACTION_INTERVAL_RECORDS = 65_536;
    /** Where the log goes by default: on the disk of the build, never on a tmpfs by accident. */
    static final Path DEFAULT_PARENT = Path.of("target", "wal-bench");

    @Param("1024")
    public int recordBytes;

    /** Directory to create the log in; empty means under {@link #DEFAULT_PARENT} of the working directory. */
    @Param("")
    public String dir;

    @Param("67108864")
    public long segmentSizeBytes;

    private Path logDir;
    private SegmentedLog log;
    private final Object indexLock = new Object();
    // Invariant: the next index to append; guarded by indexLock.
    private long nextIndex;
    private byte[] payload;
    private CompletableFuture<Void> lastCompaction = CompletableFuture.completedFuture(null);

    @Setup(Level.Trial)
    public void open() throws IOException {
        Path parent = dir.isEmpty() ? DEFAULT_PARENT : Path.of(dir);
        Files.createDirectories(parent);
        logDir = Files.createTempDirectory(parent, "wal-bench-");
        log = SegmentedLog.open(logDir, new WalOptions(segmentSizeBytes, 1024, 4 << 20));
        nextIndex = log.lastIndex() + 1;
        payload = new byte[recordBytes];
        new Random(1).nextBytes(payload);
    }

    @TearDown(Level.Trial)
    public void close() throws IOException {
        lastCompaction.join();
        log.close();
        BenchFiles.deleteTree(logDir);
    }

    /** Per-thread counters that JMH sums over threads and reports beside the score. */
    @AuxCounters(AuxCounters.Type.EVENTS)
    @State(Scope.Thread)
    public static class FsyncCounter {
        /** fdatasyncs taken during the iteration; only thread 0 reports it, so the sum is the total. */
        public long fsyncs;
        private long baseline;
        private boolean reporter;

        @Setup(Level.Iteration)
        public void start(WalAppendBenchmark benchmark, ThreadParams threads) {
            reporter = threads.getThreadIndex() == 0;
            baseline = benchmark.log.fsyncCount();
            fsyncs = 0;
        }

        /**
         * Samples the log's fsync count once the iteration is over, so that the figure
         * covers every thread's appends in it, not only those until thread 0's last one.
         */
        @TearDown(Level.Iteration)
        public void stop(WalAppendBenchmark benchmark) {
            if (reporter) {
                fsyncs = benchmark.log.fsyncCount() - baseline;
            }
        }
    }

    @Benchmark
    @Threads(1)
    public long appenders01(FsyncCounter counter) {
        return appendAndWait();
    }

    @Benchmark
    @Threads(16)
    public long appenders16(FsyncCounter counter) {
        return appendAndWait();
    }

    @Benchmark
    @Threads(64)
    public long appenders64(FsyncCounter counter) {
        return appendAndWait();
    }

    /**
     * One appender handing over {@link #BATCH_RECORDS} records per call and waiting for them, as a
     * Raft node's loop hands over a Ready's entries: the score is records per second, and it
     * shows how close the writer comes to the disk's sequential bandwidth when the batch, not
     * the number of waiting threads, sets the records per fsync.
     */
    @Benchmark
    @Threads(1)
    @OperationsPerInvocation(BATCH_RECORDS)
    public long batches256(FsyncCounter counter) {
        List<LogRecord> batch = new ArrayList<>(BATCH_RECORDS);
        CompletableFuture<Long> done;
        synchronized (indexLock) {
            for (int i = 0; i < BATCH_RECORDS; i++) {
                batch.add(new LogRecord(nextIndex++, 1, 1, payload));
            }
            done = log.append(batch);
            compactEveryInterval(batch.get(0).index(), nextIndex - 1);
        }
        return done.join();
    }

    /** Records per call in {@link #batches256}. */
    static final int BATCH_RECORDS = 256;

    /** Starts a compaction when [first, last] crosses a multiple of the compaction interval; caller holds indexLock. */
    private void compactEveryInterval(long first, long last) {
        long boundary = last - last % COMPACTION_INTERVAL_RECORDS;
        if (boundary >= first && boundary > 0) {
            lastCompaction.join();
            lastCompaction = log.compactPrefix(boundary - COMPACTION_INTERVAL_RECORDS);
        }
    }

    /** The counter parameter of each benchmark method only makes JMH keep an FsyncCounter per thread. */
    private long appendAndWait() {
        CompletableFuture<Long> done;
        synchronized (indexLock) {
            long index = nextIndex++;
            done = log.append(List.of(new LogRecord(index, 1, 1, payload)));
            compactEveryInterval(index, index);
        }
        return done.join();
    }
}

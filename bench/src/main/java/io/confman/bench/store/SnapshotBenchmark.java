package io.confman.bench.store;

import io.confman.storage.raft.SnapshotStore;
import io.confman.store.ConfigStore;
import io.confman.store.StoreLimits;
import io.confman.store.WaitListener;
import io.confman.store.command.Command;
import io.confman.store.command.CommandCodec;
import io.confman.store.command.Precondition;
import io.confman.store.command.RequestId;
import io.confman.store.command.Value;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;

/**
 * A config store snapshot of {@code keys} keys with {@code valueBytes}-byte values, the way a
 * node takes one (http/NODE.md, "Snapshots"):
 *
 * <ul>
 *   <li>{@code serialise}: the store streamed into a stream that drops the bytes, the CPU part;</li>
 *   <li>{@code writeDurably}: the same streamed into a snapshot file through
 *       {@code SnapshotStore.prepare}, which fdatasyncs it (the file is then discarded), the whole
 *       time a snapshot takes off the loop;</li>
 *   <li>{@code restore}: a store rebuilt from the snapshot's bytes, what a follower does on an
 *       install.</li>
 * </ul>
 *
 * <p>{@code dir} must be on the disk under test (not a tmpfs, where fsync is free); the
 * default is {@code target/snapshot-bench} under the working directory.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
public class SnapshotBenchmark {

    @Param("100000")
    public int keys;

    @Param("100")
    public int valueBytes;

    /**
     * {@code inline}: the values' bytes are in the store; {@code blob}: every key points to a
     * blob of {@code valueBytes} (64 KiB by default for blobs would be typical; the snapshot
     * holds the pointer either way: digest, size, content type), the metadata-only snapshot
     * of http/NODE.md "Blobs".
     */
    @Param({"inline", "blob"})
    public String values;

    @Param("")
    public String dir;

    private ConfigStore store;
    private SnapshotStore snapshots;
    private Path snapshotDir;
    private byte[] snapshotBytes;

    @Setup(Level.Trial)
    public void fill() throws IOException {
        store = new ConfigStore(StoreLimits.DEFAULTS, WaitListener.NONE);
        Random random = new Random(42);
        byte[] value = new byte[valueBytes];
        for (int i = 0; i < keys; i++) {
            random.nextBytes(value);
            String namespace = "ns" + (i % 8);
            Value stored = values.equals("blob")
                    ? new Value.BlobPointer(sha256(value), valueBytes, "application/octet-stream")
                    : Value.Inline.copyOf(value);
            store.apply(i + 1, CommandCodec.encode(new Command.Put(new RequestId(1 + i % 3, 1 + i / 3), namespace,
                    "config/service-" + i + "/setting", stored, Precondition.NONE)));
        }
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        store.writeSnapshot(bytes);
        snapshotBytes = bytes.toByteArray();
        Path base = dir.isEmpty() ? Path.of("target", "snapshot-bench") : Path.of(dir);
        snapshotDir = Files.createDirectories(base).resolve("snapshots-" + System.nanoTime());
        Files.createDirectories(snapshotDir);
        snapshots = SnapshotStore.open(snapshotDir, 2);
    }

    private static byte[] sha256(byte[] bytes) {
        try {
            return java.security.MessageDigest.getInstance("SHA-256").digest(bytes);
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException("every Java runtime has SHA-256", e);
        }
    }

    @TearDown(Level.Trial)
    public void removeFiles() throws IOException {
        snapshots.close();
        try (var files = Files.list(snapshotDir)) {
            for (Path file : files.toList()) {
                Files.delete(file);
            }
        }
        Files.delete(snapshotDir);
    }

    @Benchmark
    public void serialise() throws IOException {
        store.writeSnapshot(OutputStream.nullOutputStream());
    }

    @Benchmark
    public long writeDurably() throws IOException {
        SnapshotStore.Prepared prepared = snapshots.prepare(keys, 1, store::writeSnapshot);
        long size = prepared.snapshot().sizeBytes();
        snapshots.discard(prepared);
        return size;
    }

    @Benchmark
    public long restore() throws IOException {
        return ConfigStore.restore(new ByteArrayInputStream(snapshotBytes), StoreLimits.DEFAULTS, WaitListener.NONE)
                .keyCount();
    }
}

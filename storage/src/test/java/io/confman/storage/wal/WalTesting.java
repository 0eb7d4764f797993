package io.confman.storage.wal;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/** Shared helpers for the WAL tests: records, small logs, and byte surgery on segment files. */
public final class WalTesting {
    /** Small segments so that rollover happens after a few records. */
    public static final long SMALL_SEGMENT_BYTES = 4096;

    private WalTesting() {
    }

    /** The write batch bound of {@link #options}. */
    public static final int WRITE_BATCH_BYTES = 64 * 1024;

    public static WalOptions options(long segmentSizeBytes) {
        return new WalOptions(segmentSizeBytes, 64, WRITE_BATCH_BYTES);
    }

    public static LogRecord record(long index, long term, String payload) {
        return new LogRecord(index, term, 1, payload.getBytes(StandardCharsets.UTF_8));
    }

    /** Records firstIndex.. with deterministic payloads of up to payloadBytesMax bytes. */
    public static List<LogRecord> records(long firstIndex, int count, int payloadBytesMax, Random random) {
        return records(firstIndex, 1, count, payloadBytesMax, random);
    }

    /** The same, with terms starting at {@code firstTerm} and never decreasing. */
    public static List<LogRecord> records(long firstIndex, long firstTerm, int count, int payloadBytesMax,
                                          Random random) {
        List<LogRecord> records = new ArrayList<>();
        long term = firstTerm;
        for (int i = 0; i < count; i++) {
            if (random.nextInt(8) == 0) {
                term++;
            }
            byte[] payload = new byte[random.nextInt(payloadBytesMax + 1)];
            random.nextBytes(payload);
            records.add(new LogRecord(firstIndex + i, term, 1 + random.nextInt(255), payload));
        }
        return records;
    }

    /** Appends one record per call and waits for each, so every record is acknowledged. */
    public static void appendEach(SegmentedLog log, List<LogRecord> records) {
        for (LogRecord record : records) {
            await(log.append(List.of(record)));
        }
    }

    public static <T> T await(java.util.concurrent.CompletableFuture<T> future) {
        try {
            return future.get(30, TimeUnit.SECONDS);
        } catch (Exception failure) {
            throw new AssertionError("log command failed", failure);
        }
    }

    public static List<LogRecord> readAll(SegmentedLog log) throws IOException {
        if (log.lastIndex() < log.firstIndex()) {
            return List.of();
        }
        return log.read(log.firstIndex(), log.lastIndex() + 1, Long.MAX_VALUE);
    }

    public static Path openSegment(Path dir) {
        return segments(dir).stream().filter(p -> p.getFileName().toString().startsWith("open-")).findFirst()
                .orElseThrow(() -> new AssertionError("no open segment in " + dir));
    }

    /** Every closed and open segment, closed first by index. */
    public static List<Path> segments(Path dir) {
        try (Stream<Path> files = Files.list(dir)) {
            return files.filter(p -> SegmentName.parse(p.getFileName().toString())
                            .map(n -> n.kind() != SegmentName.Kind.PREPARED).orElse(false))
                    .sorted((a, b) -> sortKey(a).compareTo(sortKey(b))).toList();
        } catch (IOException failure) {
            throw new UncheckedIOException(failure);
        }
    }

    private static String sortKey(Path path) {
        String name = path.getFileName().toString();
        return name.startsWith("open-") ? "~" + name : name;
    }

    /** Frame offsets of the valid frames of a segment, by scanning it as recovery does. */
    public static List<Format.Frame> frames(Path dir) throws IOException {
        List<Format.Frame> frames = new ArrayList<>();
        LogScanner.scan(dir, WRITE_BATCH_BYTES, (segment, frame, payload) -> frames.add(frame));
        return frames;
    }

    public static void overwrite(Path file, long offset, byte[] bytes) throws IOException {
        try (var channel = java.nio.channels.FileChannel.open(file, java.nio.file.StandardOpenOption.WRITE)) {
            channel.write(ByteBuffer.wrap(bytes), offset);
        }
    }

    public static void flipBit(Path file, long offset, int bit) throws IOException {
        byte[] all = Files.readAllBytes(file);
        all[(int) offset] ^= (byte) (1 << bit);
        Files.write(file, all);
    }

    /** Zeroes a file from {@code offset} to its end: what an append cut short by a crash leaves. */
    public static void zeroFrom(Path file, long offset) throws IOException {
        long size = Files.size(file);
        if (offset < size) {
            overwrite(file, offset, new byte[(int) (size - offset)]);
        }
    }

    /** Builds a segment image byte by byte, for tests that need frames in odd places. */
    public static final class SegmentImage {
        private final ByteBuffer bytes;

        public SegmentImage(int sizeBytes, long firstIndex) {
            bytes = ByteBuffer.allocate(sizeBytes);
            Format.encodeSegmentHeader(bytes, firstIndex);
        }

        /** A frame that starts a write batch of its own, as a record appended and awaited alone. */
        public SegmentImage frame(LogRecord record) {
            return frame(record, Format.FLAG_BATCH_START);
        }

        public SegmentImage frame(LogRecord record, int flags) {
            Format.encodeFrame(bytes, record, flags);
            return this;
        }

        public SegmentImage zeros(int count) {
            bytes.position(bytes.position() + count);
            return this;
        }

        public int position() {
            return bytes.position();
        }

        public Path write(Path file) throws IOException {
            Files.write(file, bytes.array());
            return file;
        }
    }
}

package io.confman.storage.wal;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.stream.Stream;

import static io.confman.storage.wal.WalTesting.SMALL_SEGMENT_BYTES;
import static io.confman.storage.wal.WalTesting.appendEach;
import static io.confman.storage.wal.WalTesting.await;
import static io.confman.storage.wal.WalTesting.options;
import static io.confman.storage.wal.WalTesting.readAll;
import static io.confman.storage.wal.WalTesting.record;
import static io.confman.storage.wal.WalTesting.records;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class SegmentedLogTest {
    @Test
    void newLogIsEmptyAndStartsAtOne(@TempDir Path dir) throws IOException {
        try (SegmentedLog log = SegmentedLog.open(dir, options(8192))) {
            assertEquals(1, log.firstIndex());
            assertEquals(0, log.lastIndex());
            assertEquals(List.of(), readAll(log));
        }
        assertEquals(List.of("open-1.seg"), WalTesting.segments(dir).stream()
                .map(p -> p.getFileName().toString()).toList());
    }

    @Test
    void appendedRecordsSurviveReopen(@TempDir Path dir) throws IOException {
        List<LogRecord> records = records(1, 20, 100, new Random(1));
        try (SegmentedLog log = SegmentedLog.open(dir, options(8192))) {
            assertEquals(20L, await(log.append(records)));
            assertEquals(records, readAll(log));
            assertEquals(records.get(7).term(), log.term(8));
            assertEquals(1, log.fsyncCount(), "one append of 20 records, one fdatasync");
            assertEquals(20, log.appendedRecordCount());
        }
        try (SegmentedLog log = SegmentedLog.open(dir, options(8192))) {
            assertEquals(records, readAll(log));
            assertEquals(new TailState.Clean(), log.recoveredTail());
        }
    }

    @Test
    void segmentsRollOverAndCloseUnderSortableNames(@TempDir Path dir) throws IOException {
        List<LogRecord> records = records(1, 200, 300, new Random(2));
        try (SegmentedLog log = SegmentedLog.open(dir, options(SMALL_SEGMENT_BYTES))) {
            appendEach(log, records.subList(0, 100));
            await(log.append(records.subList(100, 200)));
            assertEquals(records, readAll(log));
        }
        List<Path> segments = WalTesting.segments(dir);
        assertTrue(segments.size() > 5, "expected many segments, got " + segments.size());
        long expectedFirst = 1;
        for (Path segment : segments) {
            assertEquals(SMALL_SEGMENT_BYTES, Files.size(segment), "segments keep their preallocated size");
            SegmentName name = SegmentName.parse(segment.getFileName().toString()).orElseThrow();
            if (name.kind() == SegmentName.Kind.CLOSED) {
                assertEquals(expectedFirst, name.firstIndex());
                expectedFirst = name.lastIndex() + 1;
            }
        }
        try (SegmentedLog log = SegmentedLog.open(dir, options(SMALL_SEGMENT_BYTES))) {
            assertEquals(records, readAll(log));
        }
    }

    @Test
    void gapsAndRepeatedIndexesAreProgrammingErrors(@TempDir Path dir) throws IOException {
        try (SegmentedLog log = SegmentedLog.open(dir, options(8192))) {
            assertThrows(IllegalArgumentException.class, () -> log.append(List.of(record(2, 1, "gap"))));
            await(log.append(List.of(record(1, 1, "a"))));
            assertThrows(IllegalArgumentException.class, () -> log.append(List.of(record(1, 1, "again"))));
            assertThrows(IllegalArgumentException.class,
                    () -> log.append(List.of(record(2, 1, "b"), record(4, 1, "gap inside"))));
            assertThrows(IllegalArgumentException.class, () -> log.append(List.of()));
            assertThrows(IllegalArgumentException.class,
                    () -> log.append(List.of(new LogRecord(2, 1, 1, new byte[8192]))), "too big for a segment");
            assertEquals(2L, await(log.append(List.of(record(2, 1, "b")))));
        }
    }

    @Test
    void rangeReadIsBoundedByBytesButReturnsAtLeastOne(@TempDir Path dir) throws IOException {
        try (SegmentedLog log = SegmentedLog.open(dir, options(SMALL_SEGMENT_BYTES))) {
            List<LogRecord> records = new ArrayList<>();
            for (int i = 1; i <= 30; i++) {
                records.add(new LogRecord(i, 1, 1, new byte[100]));
            }
            await(log.append(records));
            assertEquals(3, log.read(1, 31, 300).size());
            assertEquals(1, log.read(5, 31, 10).size());
            assertEquals(records.subList(9, 30), log.read(10, 31, Long.MAX_VALUE));
            assertThrows(IllegalArgumentException.class, () -> log.read(31));
            assertThrows(IllegalArgumentException.class, () -> log.term(0));
        }
    }

    @Test
    void truncateSuffixInOpenSegment(@TempDir Path dir) throws IOException {
        try (SegmentedLog log = SegmentedLog.open(dir, options(8192))) {
            await(log.append(records(1, 10, 50, new Random(3))));
            await(log.truncateSuffix(6));
            assertEquals(5, log.lastIndex());
            assertThrows(IllegalArgumentException.class, () -> log.append(List.of(record(7, 2, "gap"))));
            await(log.append(List.of(record(6, 2, "new six"))));
        }
        try (SegmentedLog log = SegmentedLog.open(dir, options(8192))) {
            assertEquals(6, log.lastIndex());
            assertEquals(record(6, 2, "new six"), log.read(6));
            assertEquals(new TailState.Clean(), log.recoveredTail());
        }
    }

    @Test
    void truncateSuffixReachingIntoClosedSegments(@TempDir Path dir) throws IOException {
        List<LogRecord> records = records(1, 150, 200, new Random(4));
        long from;
        try (SegmentedLog log = SegmentedLog.open(dir, options(SMALL_SEGMENT_BYTES))) {
            appendEach(log, records);
            List<Path> before = WalTesting.segments(dir);
            assertTrue(before.size() >= 4, "needs several closed segments");
            SegmentName second = SegmentName.parse(before.get(1).getFileName().toString()).orElseThrow();
            from = second.firstIndex() + 2;
            await(log.truncateSuffix(from));
            assertEquals(from - 1, log.lastIndex());
            assertEquals(records.subList(0, (int) from - 1), readAll(log));
            assertEquals(2, WalTesting.segments(dir).size(), "later segments deleted, the cut one reopened");
            assertTrue(WalTesting.openSegment(dir).getFileName().toString().startsWith("open-"));
            await(log.append(List.of(record(from, 9, "after truncation"))));
        }
        try (SegmentedLog log = SegmentedLog.open(dir, options(SMALL_SEGMENT_BYTES))) {
            assertEquals(from, log.lastIndex());
            assertEquals(record(from, 9, "after truncation"), log.read(from));
            assertEquals(records.subList(0, (int) from - 1), log.read(1, from, Long.MAX_VALUE));
        }
    }

    @Test
    void truncateAtFirstIndexOfClosedSegmentAndOfWholeLog(@TempDir Path dir) throws IOException {
        try (SegmentedLog log = SegmentedLog.open(dir, options(SMALL_SEGMENT_BYTES))) {
            appendEach(log, records(1, 100, 200, new Random(5)));
            SegmentName second = SegmentName.parse(WalTesting.segments(dir).get(1).getFileName().toString())
                    .orElseThrow();
            await(log.truncateSuffix(second.firstIndex()));
            assertEquals(second.firstIndex() - 1, log.lastIndex());
            await(log.truncateSuffix(1));
            assertEquals(0, log.lastIndex());
            assertEquals(1, log.firstIndex());
            await(log.append(List.of(record(1, 3, "fresh start"))));
        }
        try (SegmentedLog log = SegmentedLog.open(dir, options(SMALL_SEGMENT_BYTES))) {
            assertEquals(List.of(record(1, 3, "fresh start")), readAll(log));
        }
    }

    @Test
    void compactPrefixDeletesOnlyWholeSegmentsAtOrBelowTheSnapshot(@TempDir Path dir) throws IOException {
        List<LogRecord> records = records(1, 150, 200, new Random(6));
        try (SegmentedLog log = SegmentedLog.open(dir, options(SMALL_SEGMENT_BYTES))) {
            appendEach(log, records);
            List<Path> before = WalTesting.segments(dir);
            SegmentName third = SegmentName.parse(before.get(2).getFileName().toString()).orElseThrow();
            await(log.compactPrefix(third.firstIndex() + 1));
            assertEquals(third.firstIndex(), log.firstIndex(), "the segment holding the snapshot index stays");
            assertEquals(before.subList(2, before.size()), WalTesting.segments(dir));
            assertThrows(IllegalArgumentException.class, () -> log.truncateSuffix(third.firstIndex() - 1));
            await(log.compactPrefix(1_000_000));
            assertEquals(1, WalTesting.segments(dir).size(), "the open segment is never compacted away");
            assertEquals(150, log.lastIndex());
        }
        try (SegmentedLog log = SegmentedLog.open(dir, options(SMALL_SEGMENT_BYTES))) {
            assertEquals(150, log.lastIndex());
            assertEquals(records.get(149), log.read(150));
        }
    }

    @Test
    void resetStartsTheLogAfterTheSnapshot(@TempDir Path dir) throws IOException {
        try (SegmentedLog log = SegmentedLog.open(dir, options(SMALL_SEGMENT_BYTES))) {
            appendEach(log, records(1, 60, 200, new Random(7)));
            await(log.reset(1000));
            assertEquals(1001, log.firstIndex());
            assertEquals(1000, log.lastIndex());
            assertEquals(1, WalTesting.segments(dir).size());
            assertThrows(IllegalArgumentException.class, () -> log.append(List.of(record(61, 1, "old"))));
        }
        try (SegmentedLog log = SegmentedLog.open(dir, options(SMALL_SEGMENT_BYTES))) {
            assertEquals(1001, log.firstIndex(), "an empty log remembers where it starts");
            await(log.append(List.of(record(1001, 5, "after snapshot"))));
            assertEquals(record(1001, 5, "after snapshot"), log.read(1001));
        }
    }

    /** Under a steady load with snapshots, the directory does not grow. */
    @Test
    void directorySizeStaysBoundedWithCompaction(@TempDir Path dir) throws IOException {
        Random random = new Random(8);
        long sizeMax = 0;
        try (SegmentedLog log = SegmentedLog.open(dir, options(SMALL_SEGMENT_BYTES))) {
            long next = 1;
            for (int round = 0; round < 30; round++) {
                List<LogRecord> batch = records(next, 20, 150, random);
                await(log.append(batch));
                next += batch.size();
                await(log.compactPrefix(Math.max(0, next - 30)));
                sizeMax = Math.max(sizeMax, directoryBytes(dir));
            }
            assertEquals(next - 1, log.lastIndex());
        }
        assertTrue(sizeMax <= 5 * SMALL_SEGMENT_BYTES, "directory grew to " + sizeMax + " bytes");
    }

    @Test
    void concurrentAppendersAreGroupedIntoFewerFsyncs(@TempDir Path dir) throws Exception {
        int threads = 16;
        int appendsPerThread = 100;
        Object indexLock = new Object();
        long[] next = {1};
        List<CompletableFuture<Long>> futures = new ArrayList<>();
        try (SegmentedLog log = SegmentedLog.open(dir, options(64 * 1024))) {
            List<Thread> appenders = new ArrayList<>();
            for (int t = 0; t < threads; t++) {
                int thread = t;
                appenders.add(new Thread(() -> {
                    for (int i = 0; i < appendsPerThread; i++) {
                        synchronized (indexLock) {
                            LogRecord record = record(next[0]++, 1, "thread " + thread + " append " + i);
                            CompletableFuture<Long> done = log.append(List.of(record));
                            synchronized (futures) {
                                futures.add(done);
                            }
                        }
                    }
                }));
            }
            appenders.forEach(Thread::start);
            for (Thread appender : appenders) {
                appender.join();
            }
            CompletableFuture.allOf(futures.toArray(CompletableFuture[]::new)).join();
            assertEquals(threads * appendsPerThread, log.lastIndex());
            assertEquals(threads * appendsPerThread, log.appendedRecordCount());
            assertTrue(log.fsyncCount() < log.appendedRecordCount(), "group commit: " + log.fsyncCount()
                    + " fsyncs for " + log.appendedRecordCount() + " records");
            List<LogRecord> all = readAll(log);
            for (int i = 0; i < all.size(); i++) {
                assertEquals(i + 1, all.get(i).index());
            }
        }
    }

    @Test
    void closedLogRefusesWork(@TempDir Path dir) throws IOException {
        SegmentedLog log = SegmentedLog.open(dir, options(8192));
        log.close();
        log.close();
        byte[] before = Files.readAllBytes(dir.resolve("open-1.seg"));
        assertThrows(IllegalStateException.class, () -> log.append(List.of(record(1, 1, "late"))));
        assertThrows(IllegalStateException.class, () -> log.truncateSuffix(1));
        assertThrows(IllegalStateException.class, () -> log.reset(5));
        assertArrayEquals(before, Files.readAllBytes(dir.resolve("open-1.seg")), "nothing was written");
        try (SegmentedLog reopened = SegmentedLog.open(dir, options(8192))) {
            assertEquals(0, reopened.lastIndex(), "the refused append never reached the disk");
        }
    }

    /** An I/O error in the writer fails the log for good; nothing is retried or swallowed. */
    @Test
    void writerFailureFailsPendingAndLaterWork(@TempDir Path dir) throws IOException {
        SegmentedLog log = SegmentedLog.open(dir, options(SMALL_SEGMENT_BYTES));
        await(log.append(List.of(record(1, 1, "durable"))));
        // Pull the open segment away: the next rollover cannot rename it to its closed name.
        Files.delete(dir.resolve("open-1.seg"));
        List<CompletableFuture<Long>> futures = new ArrayList<>();
        IllegalStateException refused = null;
        for (long index = 2; index < 200 && refused == null; index++) {
            try {
                futures.add(log.append(List.of(new LogRecord(index, 1, 1, new byte[200]))));
            } catch (IllegalStateException failed) {
                refused = failed;
            }
        }
        CompletableFuture<Long> lastAccepted = futures.get(futures.size() - 1);
        java.util.concurrent.CompletionException thrown = assertThrows(java.util.concurrent.CompletionException.class,
                lastAccepted::join);
        assertTrue(thrown.getCause() instanceof IOException, "cause: " + thrown.getCause());
        IllegalStateException later = assertThrows(IllegalStateException.class,
                () -> log.append(List.of(record(1000, 1, "after failure"))));
        assertTrue(later.getMessage().contains("failed"), later.getMessage());
        assertThrows(IOException.class, log::close);
    }

    private static long directoryBytes(Path dir) throws IOException {
        try (Stream<Path> files = Files.list(dir)) {
            long total = 0;
            for (Path file : files.toList()) {
                total += Files.size(file);
            }
            return total;
        }
    }
}

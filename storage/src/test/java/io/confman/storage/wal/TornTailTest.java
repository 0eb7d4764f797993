package io.confman.storage.wal;

import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;

import static io.confman.storage.wal.WalTesting.await;
import static io.confman.storage.wal.WalTesting.readAll;
import static io.confman.storage.wal.WalTesting.record;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A last frame cut at every byte offset is a torn tail: recovery truncates it durably and
 * the records before it come back (FORMAT.md section 4, step 6).
 */
class TornTailTest {
    private static final List<LogRecord> RECORDS = List.of(record(1, 1, "first"), record(2, 1, "second"),
            record(3, 2, "the last record, which a crash cuts short"));

    /** Cut by zeroing (preallocated file) or by shortening the file (a file system that lost the size). */
    @ParameterizedTest(name = "cut by shortening the file: {0}")
    @ValueSource(booleans = {false, true})
    void lastFrameCutAtEveryOffsetIsTruncated(boolean shorten, @TempDir Path root) throws IOException {
        Path template = root.resolve("template");
        try (SegmentedLog log = SegmentedLog.open(template, WalTesting.options(8192))) {
            WalTesting.appendEach(log, RECORDS);
        }
        Format.Frame last = WalTesting.frames(template).get(2);
        int frameEnd = last.endOffset();
        for (int cut = 0; cut <= frameEnd - last.offset(); cut++) {
            Path dir = root.resolve("cut-" + cut);
            copy(template, dir);
            Path segment = WalTesting.openSegment(dir);
            long cutOffset = last.offset() + cut;
            if (shorten) {
                try (FileChannel channel = FileChannel.open(segment, StandardOpenOption.WRITE)) {
                    channel.truncate(cutOffset);
                }
            } else {
                WalTesting.zeroFrom(segment, cutOffset);
            }
            boolean torn = cut > 0 && cutOffset < frameEnd;
            try (SegmentedLog log = SegmentedLog.open(dir, WalTesting.options(8192))) {
                List<LogRecord> expected = torn || cut == 0 ? RECORDS.subList(0, 2) : RECORDS;
                assertEquals(expected, readAll(log), "cut at +" + cut);
                if (torn) {
                    assertEquals(new TailState.TornTail(segment.getFileName().toString(), last.offset()),
                            log.recoveredTail(), "cut at +" + cut);
                } else {
                    assertInstanceOf(TailState.Clean.class, log.recoveredTail(), "cut at +" + cut);
                }
                assertEquals(8192, Files.size(segment), "the open segment is refilled to its full size");
                if (cut % 8 != 1) {
                    // Appending and reopening costs fsyncs; every eighth cut is enough to show
                    // that the truncation was durable and the log goes on from it.
                    continue;
                }
                await(log.append(List.of(record(log.lastIndex() + 1, 3, "after recovery"))));
            }
            try (SegmentedLog log = SegmentedLog.open(dir, WalTesting.options(8192))) {
                assertInstanceOf(TailState.Clean.class, log.recoveredTail(), "truncation was durable, cut " + cut);
                assertTrue(log.read(log.lastIndex()).equals(record(log.lastIndex(), 3, "after recovery")));
            }
        }
    }

    static void copy(Path from, Path to) throws IOException {
        Files.createDirectories(to);
        for (Path file : WalTesting.segments(from)) {
            Files.copy(file, to.resolve(file.getFileName()));
        }
    }
}

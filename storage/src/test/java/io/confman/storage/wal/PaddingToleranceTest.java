package io.confman.storage.wal;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

import static io.confman.storage.wal.WalTesting.SegmentImage;
import static io.confman.storage.wal.WalTesting.readAll;
import static io.confman.storage.wal.WalTesting.record;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;

/**
 * FORMAT.md section 3: zero bytes between frames (alignment padding, preallocated space,
 * stray zeros of any length) are skipped, and a frame found at an unaligned offset after
 * them is still read.
 */
class PaddingToleranceTest {
    private static final int SEGMENT_BYTES = 8192;

    enum Where { BEFORE, BETWEEN, AFTER }

    static Stream<Arguments> cases() {
        List<Arguments> cases = new ArrayList<>();
        for (int zeros : new int[] {1, 8, 64, 256}) {
            for (Where where : Where.values()) {
                for (boolean closed : new boolean[] {false, true}) {
                    cases.add(Arguments.of(zeros, where, closed));
                }
            }
        }
        return cases.stream();
    }

    @ParameterizedTest(name = "{0} zero bytes {1} records, closed segment: {2}")
    @MethodSource("cases")
    void zeroRunsAreSkipped(int zeros, Where where, boolean closed, @TempDir Path dir) throws IOException {
        List<LogRecord> records = List.of(record(1, 1, "alpha"), record(2, 1, "bravo!"), record(3, 2, "c"));
        SegmentImage image = new SegmentImage(SEGMENT_BYTES, 1);
        if (where == Where.BEFORE) {
            image.zeros(zeros);
        }
        for (int i = 0; i < records.size(); i++) {
            image.frame(records.get(i));
            if (where == Where.BETWEEN && i < records.size() - 1) {
                image.zeros(zeros);
            }
        }
        if (where == Where.AFTER) {
            image.zeros(zeros);
        }
        String name = closed ? SegmentName.closed(1, 3).fileName() : SegmentName.open(1).fileName();
        image.write(dir.resolve(name));

        LogScanner.ScanResult scan = LogScanner.scan(dir, WalTesting.WRITE_BATCH_BYTES, (segment, frame, payload) -> { });
        assertInstanceOf(TailState.Clean.class, scan.tail());
        try (SegmentedLog log = SegmentedLog.open(dir, WalTesting.options(SEGMENT_BYTES))) {
            assertInstanceOf(TailState.Clean.class, log.recoveredTail());
            assertEquals(records, readAll(log));
            // The log keeps working after odd padding: the next append lands after the last frame.
            WalTesting.await(log.append(List.of(record(4, 2, "delta"))));
        }
        try (SegmentedLog log = SegmentedLog.open(dir, WalTesting.options(SEGMENT_BYTES))) {
            assertEquals(4, log.lastIndex());
            assertEquals(record(4, 2, "delta"), log.read(4));
        }
    }

    @Test
    void frameAtUnalignedOffsetAfterStrayZerosIsRead(@TempDir Path dir) throws IOException {
        SegmentImage image = new SegmentImage(SEGMENT_BYTES, 7).frame(record(7, 3, "x")).zeros(3)
                .frame(record(8, 3, "unaligned"));
        image.write(dir.resolve(SegmentName.open(1).fileName()));
        List<Format.Frame> frames = WalTesting.frames(dir);
        assertEquals(2, frames.size());
        assertEquals(3, frames.get(1).offset() % Format.FRAME_ALIGNMENT_BYTES);
        try (SegmentedLog log = SegmentedLog.open(dir, WalTesting.options(SEGMENT_BYTES))) {
            assertEquals(7, log.firstIndex());
            assertEquals(record(8, 3, "unaligned"), log.read(8));
        }
    }
}

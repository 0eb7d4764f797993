package io.confman.storage.wal;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static io.confman.storage.wal.WalTesting.record;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Damage that is not an interrupted append is reported with the segment and offset, never
 * skipped (FORMAT.md section 4, steps 3 to 6).
 */
class CorruptionTest {
    private static final List<LogRecord> RECORDS = List.of(record(1, 1, "one"), record(2, 1, "two"),
            record(3, 1, "three"), record(4, 2, "four"));

    /** Every bit of a committed frame followed by valid frames, flipped one at a time. */
    @Test
    void flippedBitInCommittedFrameIsCorruption(@TempDir Path root) throws IOException {
        Path template = root.resolve("template");
        try (SegmentedLog log = SegmentedLog.open(template, WalTesting.options(8192))) {
            WalTesting.appendEach(log, RECORDS);
        }
        Format.Frame victim = WalTesting.frames(template).get(1);
        for (int offset = victim.offset(); offset < victim.endOffset(); offset++) {
            for (int bit = 0; bit < 8; bit++) {
                Path dir = root.resolve("flip-" + offset + "-" + bit);
                TornTailTest.copy(template, dir);
                Path segment = WalTesting.openSegment(dir);
                WalTesting.flipBit(segment, offset, bit);
                byte[] before = Files.readAllBytes(segment);
                WalCorruptionException thrown = assertThrows(WalCorruptionException.class,
                        () -> SegmentedLog.open(dir, WalTesting.options(8192)).close(), "flip at " + offset);
                assertEquals(segment.getFileName().toString(), thrown.segment());
                assertEquals(victim.offset(), thrown.offset(), "flip at " + offset + " bit " + bit);
                assertArrayEquals(before, Files.readAllBytes(segment), "a corrupt log is left untouched");
                deleteTree(dir);
            }
        }
    }

    @Test
    void flippedBitInLastFrameOfClosedSegmentIsCorruption(@TempDir Path dir) throws IOException {
        try (SegmentedLog log = SegmentedLog.open(dir, WalTesting.options(WalTesting.SMALL_SEGMENT_BYTES))) {
            WalTesting.appendEach(log, WalTesting.records(1, 40, 200, new java.util.Random(7)));
        }
        Path closed = WalTesting.segments(dir).get(0);
        SegmentName name = SegmentName.parse(closed.getFileName().toString()).orElseThrow();
        List<Format.Frame> frames = WalTesting.frames(dir);
        Format.Frame lastOfClosed = frames.get((int) (name.lastIndex() - 1));
        WalTesting.flipBit(closed, lastOfClosed.endOffset() - 1, 3);
        WalCorruptionException thrown = assertThrows(WalCorruptionException.class,
                () -> SegmentedLog.open(dir, WalTesting.options(WalTesting.SMALL_SEGMENT_BYTES)));
        assertEquals(closed.getFileName().toString(), thrown.segment());
        assertEquals(lastOfClosed.offset(), thrown.offset());
        assertTrue(thrown.getMessage().contains(closed.getFileName().toString()));
    }

    @Test
    void nonZeroByteInPaddingBeforeValidFramesIsCorruption(@TempDir Path dir) throws IOException {
        try (SegmentedLog log = SegmentedLog.open(dir, WalTesting.options(8192))) {
            WalTesting.appendEach(log, RECORDS);
        }
        Format.Frame first = WalTesting.frames(dir).get(0);
        long paddingOffset = first.endOffset();
        WalTesting.overwrite(WalTesting.openSegment(dir), paddingOffset, new byte[] {0x5a});
        WalCorruptionException thrown = assertThrows(WalCorruptionException.class,
                () -> SegmentedLog.open(dir, WalTesting.options(8192)));
        assertEquals(paddingOffset, thrown.offset());
    }

    @Test
    void damagedSegmentHeaderIsCorruptionAtOffsetZero(@TempDir Path dir) throws IOException {
        try (SegmentedLog log = SegmentedLog.open(dir, WalTesting.options(8192))) {
            WalTesting.appendEach(log, RECORDS);
        }
        WalTesting.flipBit(WalTesting.openSegment(dir), 17, 0);
        WalCorruptionException thrown = assertThrows(WalCorruptionException.class,
                () -> SegmentedLog.open(dir, WalTesting.options(8192)));
        assertEquals(0, thrown.offset());
    }

    @Test
    void gapBetweenSegmentsIsCorruption(@TempDir Path dir) throws IOException {
        try (SegmentedLog log = SegmentedLog.open(dir, WalTesting.options(WalTesting.SMALL_SEGMENT_BYTES))) {
            WalTesting.appendEach(log, WalTesting.records(1, 150, 200, new java.util.Random(3)));
        }
        List<Path> segments = WalTesting.segments(dir);
        assertTrue(segments.size() >= 3, "needs three segments, has " + segments);
        Files.delete(segments.get(1));
        WalCorruptionException thrown = assertThrows(WalCorruptionException.class,
                () -> SegmentedLog.open(dir, WalTesting.options(WalTesting.SMALL_SEGMENT_BYTES)));
        assertEquals(segments.get(2).getFileName().toString(), thrown.segment());
        assertEquals(0, thrown.offset(), "a gap is reported at the header of the segment after it");
    }

    @Test
    void frameReadBackIsCheckedAgain(@TempDir Path dir) throws IOException {
        try (SegmentedLog log = SegmentedLog.open(dir, WalTesting.options(8192))) {
            WalTesting.appendEach(log, RECORDS);
            Format.Frame second = WalTesting.frames(dir).get(1);
            WalTesting.flipBit(WalTesting.openSegment(dir), second.offset() + Format.FRAME_HEADER_BYTES, 1);
            WalCorruptionException thrown = assertThrows(WalCorruptionException.class, () -> log.read(2));
            assertEquals(second.offset(), thrown.offset());
            assertEquals(record(1, 1, "one"), log.read(1));
        }
    }

    /** A damaged payloadLength is checked against the frame's extent in the index, never trusted. */
    @Test
    void damagedLengthOnReadIsCorruptionNotAnAllocation(@TempDir Path dir) throws IOException {
        try (SegmentedLog log = SegmentedLog.open(dir, WalTesting.options(8192))) {
            WalTesting.appendEach(log, RECORDS);
            Format.Frame second = WalTesting.frames(dir).get(1);
            WalTesting.overwrite(WalTesting.openSegment(dir), second.offset() + 4, new byte[] {0, 0x1f, 0, 0});
            WalCorruptionException thrown = assertThrows(WalCorruptionException.class, () -> log.read(2));
            assertEquals(second.offset(), thrown.offset());
            assertTrue(thrown.getMessage().contains("extent of 32 bytes"), thrown.getMessage());
        }
    }

    /** A range read stops on the next header: the payload it will not return is not read. */
    @Test
    void rangeReadDoesNotReadThePayloadPastBytesMax(@TempDir Path dir) throws IOException {
        try (SegmentedLog log = SegmentedLog.open(dir, WalTesting.options(8192))) {
            WalTesting.appendEach(log, RECORDS);
            Format.Frame second = WalTesting.frames(dir).get(1);
            WalTesting.flipBit(WalTesting.openSegment(dir), second.offset() + Format.FRAME_HEADER_BYTES, 0);
            assertEquals(List.of(record(1, 1, "one")), log.read(1, 5, 3));
            assertThrows(WalCorruptionException.class, () -> log.read(1, 5, 6));
        }
    }

    static void deleteTree(Path dir) throws IOException {
        try (var files = Files.walk(dir)) {
            for (Path path : files.sorted((a, b) -> b.getNameCount() - a.getNameCount()).toList()) {
                Files.delete(path);
            }
        }
    }
}

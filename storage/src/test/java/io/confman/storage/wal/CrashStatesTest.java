package io.confman.storage.wal;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static io.confman.storage.wal.WalTesting.SegmentImage;
import static io.confman.storage.wal.WalTesting.await;
import static io.confman.storage.wal.WalTesting.readAll;
import static io.confman.storage.wal.WalTesting.record;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The directory states a crash between the steps of FORMAT.md section 5 can leave. */
class CrashStatesTest {
    private static final int SEGMENT_BYTES = 4096;

    @Test
    void nextSegmentIsPreparedAheadAtFullSize(@TempDir Path dir) throws IOException {
        try (SegmentedLog log = SegmentedLog.open(dir, WalTesting.options(SEGMENT_BYTES))) {
            await(log.append(List.of(record(1, 1, "one"))));
        }
        Path prepared = dir.resolve("prepared-2.seg");
        assertTrue(Files.exists(prepared), "close waits for the segment being prepared");
        assertEquals(SEGMENT_BYTES, Files.size(prepared));
        byte[] bytes = Files.readAllBytes(prepared);
        for (byte b : bytes) {
            assertEquals(0, b, "a prepared segment is all zeros, header included");
        }
    }

    /** Crash after the full segment was renamed closed, before the prepared one was opened. */
    @Test
    void closedSegmentsWithoutOpenSegmentGetANewOne(@TempDir Path dir) throws IOException {
        new SegmentImage(SEGMENT_BYTES, 1).frame(record(1, 1, "a")).frame(record(2, 1, "b"))
                .write(dir.resolve(SegmentName.closed(1, 2).fileName()));
        Files.write(dir.resolve("prepared-5.seg"), new byte[1000]);
        try (SegmentedLog log = SegmentedLog.open(dir, WalTesting.options(SEGMENT_BYTES))) {
            assertFalse(Files.exists(dir.resolve("prepared-5.seg")), "a half-prepared segment is deleted");
            assertEquals(2, log.lastIndex());
            await(log.append(List.of(record(3, 1, "c"))));
            assertEquals(List.of(record(1, 1, "a"), record(2, 1, "b"), record(3, 1, "c")), readAll(log));
        }
        assertTrue(Files.exists(dir.resolve("open-6.seg")), "new open segments count past every counter seen");
    }

    /** Crash during truncation into a closed segment: renamed open, not yet cut. */
    @Test
    void reopenedSegmentStillHoldingItsEntriesIsClean(@TempDir Path dir) throws IOException {
        new SegmentImage(SEGMENT_BYTES, 1).frame(record(1, 1, "a")).frame(record(2, 1, "b"))
                .write(dir.resolve(SegmentName.open(9).fileName()));
        try (SegmentedLog log = SegmentedLog.open(dir, WalTesting.options(SEGMENT_BYTES))) {
            assertEquals(new TailState.Clean(), log.recoveredTail());
            assertEquals(2, log.lastIndex());
        }
    }

    @Test
    void twoOpenSegmentsAreCorruption(@TempDir Path dir) throws IOException {
        new SegmentImage(SEGMENT_BYTES, 1).frame(record(1, 1, "a")).write(dir.resolve("open-1.seg"));
        new SegmentImage(SEGMENT_BYTES, 2).frame(record(2, 1, "b")).write(dir.resolve("open-2.seg"));
        WalCorruptionException thrown = assertThrows(WalCorruptionException.class,
                () -> SegmentedLog.open(dir, WalTesting.options(SEGMENT_BYTES)));
        assertTrue(thrown.getMessage().contains("more than one open segment"), thrown.getMessage());
        assertEquals("open-2.seg", thrown.segment());
        assertEquals(0, thrown.offset());
    }

    @Test
    void closedSegmentHoldingFewerEntriesThanItsNameIsCorruption(@TempDir Path dir) throws IOException {
        new SegmentImage(SEGMENT_BYTES, 1).frame(record(1, 1, "a"))
                .write(dir.resolve(SegmentName.closed(1, 2).fileName()));
        WalCorruptionException thrown = assertThrows(WalCorruptionException.class,
                () -> SegmentedLog.open(dir, WalTesting.options(SEGMENT_BYTES)));
        assertEquals(SegmentName.closed(1, 2).fileName(), thrown.segment());
        assertEquals(SEGMENT_BYTES, thrown.offset(), "reported where the scan ended: the end of the file");
    }

    @Test
    void validFrameOutOfPlaceIsCorruption(@TempDir Path dir) throws IOException {
        SegmentImage image = new SegmentImage(SEGMENT_BYTES, 1).frame(record(1, 1, "a"));
        int misplaced = image.position();
        image.frame(record(3, 1, "skips index 2")).write(dir.resolve("open-1.seg"));
        WalCorruptionException thrown = assertThrows(WalCorruptionException.class,
                () -> SegmentedLog.open(dir, WalTesting.options(SEGMENT_BYTES)));
        assertEquals(misplaced, thrown.offset());
    }

    /**
     * A crash before the fdatasync of a multi-frame batch, on a disk that persisted the
     * batch's later pages but not its first: nothing of it was acknowledged, so it is a torn
     * tail, cut where the batch starts (FORMAT.md section 4, step 6).
     */
    @Test
    void lostFirstPageOfTheLastBatchIsATornTail(@TempDir Path dir) throws IOException {
        Path segment = dir.resolve("open-1.seg");
        SegmentImage image = new SegmentImage(SEGMENT_BYTES, 1).frame(record(1, 1, "acknowledged"));
        int batchStart = image.position();
        image.frame(record(2, 1, "lost"), Format.FLAG_BATCH_START).frame(record(3, 1, "kept, same batch"), 0)
                .frame(record(4, 1, "kept, same batch"), 0).write(segment);
        WalTesting.overwrite(segment, batchStart, new byte[(int) Format.frameBytes(4)]);
        try (SegmentedLog log = SegmentedLog.open(dir, WalTesting.options(SEGMENT_BYTES))) {
            assertEquals(new TailState.TornTail("open-1.seg", batchStart), log.recoveredTail());
            assertEquals(List.of(record(1, 1, "acknowledged")), readAll(log));
            await(log.append(List.of(record(2, 2, "after recovery"))));
        }
        try (SegmentedLog log = SegmentedLog.open(dir, WalTesting.options(SEGMENT_BYTES))) {
            assertEquals(new TailState.Clean(), log.recoveredTail(), "the cut was durable");
            assertEquals(2, log.lastIndex());
        }
    }

    /** The same loss, but a later batch is on disk: the damaged batch had been fsynced. */
    @Test
    void lostPageFollowedByALaterBatchIsCorruption(@TempDir Path dir) throws IOException {
        Path segment = dir.resolve("open-1.seg");
        SegmentImage image = new SegmentImage(SEGMENT_BYTES, 1).frame(record(1, 1, "acknowledged"));
        int batchStart = image.position();
        image.frame(record(2, 1, "lost"), Format.FLAG_BATCH_START).frame(record(3, 1, "same batch"), 0);
        int laterBatch = image.position();
        image.frame(record(4, 1, "a later batch"), Format.FLAG_BATCH_START).write(segment);
        WalTesting.overwrite(segment, batchStart, new byte[(int) Format.frameBytes(4)]);
        byte[] before = Files.readAllBytes(segment);
        WalCorruptionException thrown = assertThrows(WalCorruptionException.class,
                () -> SegmentedLog.open(dir, WalTesting.options(SEGMENT_BYTES)));
        assertEquals("open-1.seg", thrown.segment());
        assertEquals(batchStart, thrown.offset());
        assertTrue(thrown.getMessage().contains("offset " + laterBatch), thrown.getMessage());
        assertArrayEquals(before, Files.readAllBytes(segment), "a corrupt log is left untouched");
    }

    /** Damage whose later frames reach farther than one write batch cannot be a torn batch. */
    @Test
    void damageFollowedByFramesBeyondOneBatchIsCorruption(@TempDir Path dir) throws IOException {
        int segmentBytes = 64 * 1024;
        WalOptions options = new WalOptions(segmentBytes, 16, 4096);
        Path segment = dir.resolve("open-1.seg");
        SegmentImage image = new SegmentImage(segmentBytes, 1);
        int damaged = image.position();
        image.frame(record(1, 1, "damaged"));
        for (int i = 2; i <= 10; i++) {
            image.frame(new LogRecord(i, 1, 1, new byte[500]), 0);
        }
        image.write(segment);
        WalTesting.flipBit(segment, damaged + Format.FRAME_HEADER_BYTES, 0);
        WalCorruptionException thrown = assertThrows(WalCorruptionException.class,
                () -> SegmentedLog.open(dir, options));
        assertEquals(damaged, thrown.offset());
        assertTrue(thrown.getMessage().contains("farther than one write batch"), thrown.getMessage());
    }

    /** The writer keeps every batch within writeBatchBytesMax and marks where each starts. */
    @Test
    void writerMarksTheFirstFrameOfEveryBatchAndBoundsItsBytes(@TempDir Path dir) throws IOException {
        WalOptions options = new WalOptions(64 * 1024, 16, 4096);
        List<LogRecord> records = new java.util.ArrayList<>();
        for (int i = 1; i <= 20; i++) {
            records.add(new LogRecord(i, 1, 1, new byte[500]));
        }
        try (SegmentedLog log = SegmentedLog.open(dir, options)) {
            await(log.append(records));
            await(log.append(List.of(record(21, 1, "alone"))));
        }
        List<Format.Frame> frames = WalTesting.frames(dir);
        List<Integer> starts = new java.util.ArrayList<>();
        for (int i = 0; i < frames.size(); i++) {
            if (frames.get(i).batchStart()) {
                starts.add(i);
            }
        }
        // 528-byte frames: seven fill 3696 of the 4096 bytes a batch may hold.
        assertEquals(List.of(0, 7, 14, 20), starts);
    }
}

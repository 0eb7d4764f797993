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
    }

    @Test
    void closedSegmentHoldingFewerEntriesThanItsNameIsCorruption(@TempDir Path dir) throws IOException {
        new SegmentImage(SEGMENT_BYTES, 1).frame(record(1, 1, "a"))
                .write(dir.resolve(SegmentName.closed(1, 2).fileName()));
        assertThrows(WalCorruptionException.class, () -> SegmentedLog.open(dir, WalTesting.options(SEGMENT_BYTES)));
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
}

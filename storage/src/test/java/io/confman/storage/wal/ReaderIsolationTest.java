package io.confman.storage.wal;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.channels.ClosedByInterruptException;
import java.nio.file.Path;
import java.util.List;

import static io.confman.storage.wal.WalTesting.await;
import static io.confman.storage.wal.WalTesting.readAll;
import static io.confman.storage.wal.WalTesting.record;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** A reader, whatever happens to its thread, cannot break the writer. */
class ReaderIsolationTest {
    @Test
    void interruptedReaderDoesNotCloseTheWritersChannel(@TempDir Path dir) throws IOException {
        try (SegmentedLog log = SegmentedLog.open(dir, WalTesting.options(8192))) {
            WalTesting.appendEach(log, List.of(record(1, 1, "one"), record(2, 1, "two")));
            Thread.currentThread().interrupt();
            try {
                assertThrows(ClosedByInterruptException.class, () -> log.read(1));
            } finally {
                assertTrue(Thread.interrupted(), "the reader keeps its interrupt, and this clears it");
            }
            await(log.append(List.of(record(3, 1, "three"))));
            assertEquals(List.of(record(1, 1, "one"), record(2, 1, "two"), record(3, 1, "three")), readAll(log));
        }
    }

    @Test
    void readersOnOtherThreadsReopenAChannelAnInterruptClosed(@TempDir Path dir) throws Exception {
        try (SegmentedLog log = SegmentedLog.open(dir, WalTesting.options(8192))) {
            WalTesting.appendEach(log, List.of(record(1, 1, "one")));
            Thread interrupted = new Thread(() -> {
                Thread.currentThread().interrupt();
                assertThrows(ClosedByInterruptException.class, () -> log.read(1));
            });
            interrupted.start();
            interrupted.join();
            assertEquals(record(1, 1, "one"), log.read(1));
            await(log.append(List.of(record(2, 1, "two"))));
            assertEquals(record(2, 1, "two"), log.read(2));
        }
    }
}

package io.confman.storage.wal;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.stream.Stream;

import static io.confman.storage.wal.WalTesting.await;
import static io.confman.storage.wal.WalTesting.readAll;
import static io.confman.storage.wal.WalTesting.record;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** close() finishes submitted work, and on every path leaves no file open and nothing being written. */
class CloseTest {
    @Test
    void closeFinishesPendingAppends(@TempDir Path dir) throws IOException {
        List<CompletableFuture<Long>> pending = new ArrayList<>();
        List<LogRecord> records = WalTesting.records(1, 50, 300, new java.util.Random(5));
        try (SegmentedLog log = SegmentedLog.open(dir, WalTesting.options(WalTesting.SMALL_SEGMENT_BYTES))) {
            for (LogRecord record : records) {
                pending.add(log.append(List.of(record)));
            }
        }
        for (int i = 0; i < pending.size(); i++) {
            assertTrue(pending.get(i).isDone(), "append " + (i + 1) + " finished before close returned");
            assertEquals(i + 1, pending.get(i).join());
        }
        try (SegmentedLog log = SegmentedLog.open(dir, WalTesting.options(WalTesting.SMALL_SEGMENT_BYTES))) {
            assertEquals(records, readAll(log));
        }
        assertEquals(List.of(), openFilesIn(dir));
    }

    /**
     * The writer fails while the next segment is still being prepared: close reports the
     * failure as an IOException, closes every channel and waits for the preparer, so no
     * file of the log is open or still growing once it returns.
     */
    @Test
    void closeAfterWriterFailureClosesEverythingAndStopsThePreparer(@TempDir Path dir) throws Exception {
        WalOptions large = new WalOptions(16L << 20, 16, 64 * 1024);
        SegmentedLog log = SegmentedLog.open(dir, large);
        await(log.append(List.of(record(1, 1, "durable"))));
        // Pull the open segment away: the reset cannot delete it, and the writer fails.
        Files.delete(dir.resolve("open-1.seg"));
        CompletableFuture<Void> reset = log.reset(5);
        assertThrows(Exception.class, reset::join);
        IOException thrown = assertThrows(IOException.class, log::close);
        assertTrue(thrown.getMessage().contains("failed"), thrown.getMessage());
        assertEquals(List.of(), openFilesIn(dir), "no channel of the log is left open");
        List<String> files = listing(dir);
        Thread.sleep(200);
        assertEquals(files, listing(dir), "nothing is written after close returned");
        assertThrows(IllegalStateException.class, () -> log.read(1), "reads fail once the log is closed");
        log.close();
    }

    @Test
    void readsAfterCloseFailWithoutReopeningFiles(@TempDir Path dir) throws IOException {
        SegmentedLog log = SegmentedLog.open(dir, WalTesting.options(8192));
        await(log.append(List.of(record(1, 1, "one"))));
        log.close();
        assertThrows(IllegalStateException.class, () -> log.read(1));
        assertEquals(List.of(), openFilesIn(dir));
    }

    private static List<String> listing(Path dir) throws IOException {
        try (Stream<Path> files = Files.list(dir)) {
            List<String> names = new ArrayList<>();
            for (Path file : files.sorted().toList()) {
                names.add(file.getFileName() + ":" + Files.size(file));
            }
            return names;
        }
    }

    /** Files under {@code dir} this process holds open, from /proc/self/fd (Linux). */
    static List<String> openFilesIn(Path dir) throws IOException {
        Path fds = Path.of("/proc/self/fd");
        if (!Files.isDirectory(fds)) {
            return List.of();
        }
        Path real = dir.toRealPath();
        List<String> open = new ArrayList<>();
        try (Stream<Path> links = Files.list(fds)) {
            for (Path link : links.toList()) {
                try {
                    Path target = Files.readSymbolicLink(link);
                    if (target.startsWith(real) && !target.equals(real)) {
                        open.add(target.getFileName().toString());
                    }
                } catch (IOException gone) {
                    // The descriptor was closed between listing and reading it: not open.
                }
            }
        }
        return open;
    }
}

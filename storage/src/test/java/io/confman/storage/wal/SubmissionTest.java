package io.confman.storage.wal;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.CompletableFuture;

import static io.confman.storage.wal.WalTesting.await;
import static io.confman.storage.wal.WalTesting.readAll;
import static io.confman.storage.wal.WalTesting.record;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Arguments are checked against the log as it will be once every submitted change has run,
 * before anything is queued, and a callback on the writer thread cannot wait for the log.
 * Both used to end in a dead or hung log.
 */
class SubmissionTest {
    private static final long SEGMENT_BYTES = 8192;

    @Test
    void truncateBelowAQueuedResetIsRejectedAtSubmission(@TempDir Path dir) throws IOException {
        try (SegmentedLog log = SegmentedLog.open(dir, WalTesting.options(SEGMENT_BYTES))) {
            WalTesting.appendEach(log, WalTesting.records(1, 5, 50, new java.util.Random(1)));
            CompletableFuture<Void> reset = log.reset(10);
            // Old first index 1 <= 3 <= 10: valid for the log before the reset, not after it.
            assertThrows(IllegalArgumentException.class, () -> log.truncateSuffix(3));
            await(reset);
            await(log.append(List.of(record(11, 2, "the log goes on"))));
            assertEquals(11, log.lastIndex());
        }
    }

    @Test
    void truncateAtOrBelowACompactedSnapshotIsRejected(@TempDir Path dir) throws IOException {
        try (SegmentedLog log = SegmentedLog.open(dir, WalTesting.options(SEGMENT_BYTES))) {
            WalTesting.appendEach(log, WalTesting.records(1, 5, 50, new java.util.Random(2)));
            CompletableFuture<Void> compact = log.compactPrefix(3);
            assertThrows(IllegalArgumentException.class, () -> log.truncateSuffix(3));
            await(compact);
            await(log.truncateSuffix(4));
            assertEquals(3, log.lastIndex());
        }
    }

    @Test
    void resetBeyondIndexMaxIsRejectedBeforeAnythingIsDeleted(@TempDir Path dir) throws IOException {
        try (SegmentedLog log = SegmentedLog.open(dir, WalTesting.options(SEGMENT_BYTES))) {
            await(log.append(List.of(record(1, 1, "kept"))));
            List<Path> before = WalTesting.segments(dir);
            assertThrows(IllegalArgumentException.class, () -> log.reset(Long.MAX_VALUE));
            assertThrows(IllegalArgumentException.class, () -> log.reset(-1));
            assertThrows(IllegalArgumentException.class, () -> log.compactPrefix(Long.MAX_VALUE));
            assertEquals(before, WalTesting.segments(dir));
            await(log.append(List.of(record(2, 1, "the log goes on"))));
            assertEquals(List.of(record(1, 1, "kept"), record(2, 1, "the log goes on")), readAll(log));
        }
    }

    @Test
    void appendPastIndexMaxIsRejectedAndNothingIsWritten(@TempDir Path dir) throws IOException {
        try (SegmentedLog log = SegmentedLog.open(dir, WalTesting.options(SEGMENT_BYTES))) {
            await(log.reset(Format.INDEX_MAX - 1));
            await(log.append(List.of(record(Format.INDEX_MAX, 1, "the last index there is"))));
            assertThrows(IllegalArgumentException.class,
                    () -> log.append(List.of(record(Format.INDEX_MAX + 1, 1, "overflows next index"))));
            assertEquals(Format.INDEX_MAX, log.lastIndex());
        }
        try (SegmentedLog log = SegmentedLog.open(dir, WalTesting.options(SEGMENT_BYTES))) {
            assertEquals(Format.INDEX_MAX, log.lastIndex());
            assertEquals(new TailState.Clean(), log.recoveredTail());
        }
    }

    /**
     * From a callback on the writer thread, changing or closing the log and waiting for a
     * later future of it throw instead of hanging the writer; the log goes on afterwards.
     */
    @Test
    void callbacksOnTheWriterThreadCannotWaitForTheLog(@TempDir Path dir) throws IOException {
        SegmentedLog log = SegmentedLog.open(dir, WalTesting.options(SEGMENT_BYTES));
        List<String> outcomes = Collections.synchronizedList(new ArrayList<>());
        assertTimeoutPreemptively(Duration.ofSeconds(30), () -> {
            long next = 1;
            // A callback runs on the writer thread when it is attached before the fsync
            // completes the future; retry until one did, which is almost always the first.
            for (int attempt = 0; attempt < 100 && outcomes.isEmpty(); attempt++) {
                CompletableFuture<Long> first = log.append(List.of(record(next, 1, "first")));
                CompletableFuture<Long> later = log.append(List.of(record(next + 1, 1, "later")));
                long nextAfter = next + 2;
                CompletableFuture<Void> checked = first.thenAccept(index -> {
                    if (!Thread.currentThread().getName().startsWith("wal-writer-")) {
                        return;
                    }
                    outcomes.add(outcome(() -> log.append(List.of(record(nextAfter, 1, "from a callback")))));
                    outcomes.add(outcome(() -> log.truncateSuffix(nextAfter)));
                    outcomes.add(outcome(() -> log.compactPrefix(0)));
                    outcomes.add(outcome(() -> log.reset(0)));
                    outcomes.add(outcome(later::join));
                    outcomes.add(outcome(() -> later.thenApply(i -> i).join()));
                    outcomes.add(outcome(() -> {
                        log.close();
                        return null;
                    }));
                });
                await(later);
                await(checked);
                next = nextAfter;
            }
            assertEquals(Collections.nCopies(7, "IllegalStateException"), outcomes);
            await(log.append(List.of(record(next, 1, "the log goes on"))));
            log.close();
        });
    }

    private interface Call {
        Object call() throws Exception;
    }

    private static String outcome(Call call) {
        try {
            call.call();
            return "returned";
        } catch (Exception thrown) {
            return thrown.getClass().getSimpleName();
        }
    }

    @Test
    void aFutureMayStillBeJoinedOffTheWriterThread(@TempDir Path dir) throws IOException {
        try (SegmentedLog log = SegmentedLog.open(dir, WalTesting.options(SEGMENT_BYTES))) {
            CompletableFuture<Long> appended = log.append(List.of(record(1, 1, "one")));
            assertEquals(1L, appended.thenApplyAsync(index -> index).join());
            assertTrue(appended.isDone());
        }
    }
}

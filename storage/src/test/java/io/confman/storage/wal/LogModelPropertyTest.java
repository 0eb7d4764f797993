package io.confman.storage.wal;

import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.LongRange;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

import static io.confman.storage.wal.WalTesting.await;
import static io.confman.storage.wal.WalTesting.readAll;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Random sequences of append, truncateSuffix, compactPrefix, reset and reopen, on small
 * segments so that every operation crosses segment boundaries, checked after each step
 * against a plain list of the records the log must hold.
 */
class LogModelPropertyTest {
    private static final long SEGMENT_BYTES = 4096;
    private static final int STEPS = 30;

    @Property(tries = 25, seed = "7")
    void logMatchesModelThroughEveryOperation(@ForAll @LongRange(min = 0, max = Long.MAX_VALUE) long seed)
            throws IOException {
        Random random = new Random(seed);
        Path dir = Files.createTempDirectory("wal-model");
        // The model: the records from model.get(0) on; firstIndex when the list is empty.
        List<LogRecord> model = new ArrayList<>();
        long[] firstIndex = {1};
        // The lowest index truncateSuffix may take: past every compacted snapshot index.
        long[] truncateIndexMin = {1};
        SegmentedLog log = SegmentedLog.open(dir, WalTesting.options(SEGMENT_BYTES));
        try {
            for (int step = 0; step < STEPS; step++) {
                log = step(log, dir, model, firstIndex, truncateIndexMin, random);
                assertEquals(firstIndex[0], log.firstIndex(), "step " + step);
                assertEquals(firstIndex[0] + model.size() - 1, log.lastIndex(), "step " + step);
                assertEquals(model, readAll(log), "step " + step);
            }
        } finally {
            log.close();
            CorruptionTest.deleteTree(dir);
        }
    }

    private static SegmentedLog step(SegmentedLog log, Path dir, List<LogRecord> model, long[] firstIndex,
                                     long[] truncateIndexMin, Random random) throws IOException {
        long lastIndex = firstIndex[0] + model.size() - 1;
        switch (random.nextInt(10)) {
            case 0, 1, 2, 3 -> {
                List<LogRecord> records = WalTesting.records(lastIndex + 1, 1 + random.nextInt(12), 600, random);
                await(log.append(records));
                model.addAll(records);
            }
            case 4, 5 -> {
                long fromMin = Math.max(firstIndex[0], truncateIndexMin[0]);
                if (fromMin > lastIndex + 1) {
                    return log;
                }
                long from = fromMin + random.nextInt((int) (lastIndex + 1 - fromMin + 1));
                await(log.truncateSuffix(from));
                model.subList((int) (from - firstIndex[0]), model.size()).clear();
            }
            case 6 -> {
                long snapshotIndex = random.nextInt((int) lastIndex + 1);
                await(log.compactPrefix(snapshotIndex));
                long newFirst = log.firstIndex();
                assertTrue(newFirst >= firstIndex[0], "compaction never moves the start back");
                assertTrue(newFirst <= Math.max(firstIndex[0], snapshotIndex + 1), "compaction went past the snapshot");
                model.subList(0, (int) (newFirst - firstIndex[0])).clear();
                firstIndex[0] = newFirst;
                truncateIndexMin[0] = Math.max(truncateIndexMin[0], snapshotIndex + 1);
            }
            case 7 -> {
                // Below, at or beyond the last index: a reset discards the whole log either way.
                long snapshotIndex = Math.max(0, lastIndex - 20 + random.nextInt(70));
                await(log.reset(snapshotIndex));
                model.clear();
                firstIndex[0] = snapshotIndex + 1;
                truncateIndexMin[0] = snapshotIndex + 1;
            }
            default -> {
                log.close();
                log = SegmentedLog.open(dir, WalTesting.options(SEGMENT_BYTES));
                assertEquals(new TailState.Clean(), log.recoveredTail());
            }
        }
        return log;
    }
}

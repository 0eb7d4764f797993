package io.confman.storage.wal;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;

import static io.confman.storage.wal.WalTesting.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Readers running while the writer truncates, compacts, resets and closes: a read returns
 * a record that was written at that index, or refuses an index no longer in the log, or
 * (after close) the closed log; it never reports corruption or reads a cut or deleted file.
 */
class ConcurrentReadTest {
    private static final int READERS = 3;

    @Test
    void readsDuringTruncateCompactResetAndClose(@TempDir Path dir) throws Exception {
        SegmentedLog log = SegmentedLog.open(dir, WalTesting.options(WalTesting.SMALL_SEGMENT_BYTES));
        // Every record ever written at an index: a reader may see any of them.
        Map<Long, Set<LogRecord>> written = new ConcurrentHashMap<>();
        List<Throwable> unexpected = new CopyOnWriteArrayList<>();
        AtomicBoolean stop = new AtomicBoolean();
        List<Thread> readers = new ArrayList<>();
        for (int r = 0; r < READERS; r++) {
            Random random = new Random(r);
            readers.add(new Thread(() -> readUntilStopped(log, written, unexpected, stop, random)));
        }
        readers.forEach(Thread::start);
        Random random = new Random(42);
        long next = 1;
        long term = 1;
        for (int round = 0; round < 40; round++) {
            List<LogRecord> records = WalTesting.records(next, term, 1 + random.nextInt(6), 300, random);
            records.forEach(record -> written.computeIfAbsent(record.index(), i -> ConcurrentHashMap.newKeySet())
                    .add(record));
            await(log.append(records));
            next += records.size();
            term = records.get(records.size() - 1).term() + 1;
            switch (round % 4) {
                case 0 -> {
                    long from = Math.max(log.firstIndex(), next - 1 - random.nextInt(5));
                    await(log.truncateSuffix(from));
                    next = from;
                }
                case 1 -> await(log.compactPrefix(next / 2));
                case 2 -> {
                    if (round % 12 == 2) {
                        await(log.reset(next + 3));
                        next += 4;
                    }
                }
                default -> {
                }
            }
        }
        log.close();
        Thread.sleep(50);
        stop.set(true);
        for (Thread reader : readers) {
            reader.join();
        }
        assertEquals(List.of(), unexpected);
    }

    private static void readUntilStopped(SegmentedLog log, Map<Long, Set<LogRecord>> written,
                                         List<Throwable> unexpected, AtomicBoolean stop, Random random) {
        while (!stop.get()) {
            long first = log.firstIndex();
            long last = log.lastIndex();
            if (last < first) {
                continue;
            }
            long index = first + random.nextInt((int) (last - first + 1));
            try {
                List<LogRecord> records = log.read(index, index + 3, 1000);
                for (LogRecord record : records) {
                    assertTrue(written.get(record.index()).contains(record), "read " + record);
                }
            } catch (IllegalArgumentException goneMeanwhile) {
                // The index left the log between lastIndex() and read(): truncated or compacted.
                continue;
            } catch (IllegalStateException closed) {
                if (!closed.getMessage().contains("closed")) {
                    unexpected.add(closed);
                }
            } catch (Throwable failure) {
                unexpected.add(failure);
            }
        }
    }
}

package io.confman.storage.raft;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.confman.raft.Entry;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** The ring against a plain list of the log's entries, with a fixed seed. */
class EntryCacheTest {

    @Test
    void holdsASuffixOfTheLogWithinItsBounds() {
        SplittableRandom random = new SplittableRandom(42);
        EntryCache cache = new EntryCache(16, 2_000);
        List<Entry> log = new ArrayList<>();
        long firstIndex = 1;
        for (int step = 0; step < 5_000; step++) {
            int choice = random.nextInt(10);
            long lastIndex = firstIndex + log.size() - 1;
            if (choice < 6) {
                long from = firstIndex + random.nextLong(log.size() + 1);
                log.subList((int) (from - firstIndex), log.size()).clear();
                cache.truncateFrom(from);
                List<Entry> added = new ArrayList<>();
                for (int i = 0; i < 1 + random.nextInt(5); i++) {
                    added.add(Entry.normal(from + i, 1 + step, new byte[random.nextInt(random.nextInt(10) == 0 ? 2_500 : 200)]));
                }
                log.addAll(added);
                cache.append(added);
            } else if (choice < 8 && !log.isEmpty()) {
                long to = firstIndex + random.nextLong(log.size());
                log.subList(0, (int) (to - firstIndex)).clear();
                firstIndex = to;
                cache.dropBefore(to);
            } else if (choice == 8) {
                cache.clear();
            }
            lastIndex = firstIndex + log.size() - 1;
            long cachedFirst = cache.firstIndex(lastIndex);
            assertTrue(cachedFirst >= firstIndex, "step " + step);
            long bytes = 0;
            for (long index = cachedFirst; index <= lastIndex; index++) {
                Entry entry = cache.get(index);
                assertEquals(log.get((int) (index - firstIndex)), entry, "step " + step + " index " + index);
                bytes += entry.sizeBytes();
            }
            assertTrue(lastIndex - cachedFirst + 1 <= 16 && bytes <= 2_000, "step " + step);
            long outside = cachedFirst - 1;
            assertThrows(IllegalArgumentException.class, () -> cache.get(outside));
        }
    }
}

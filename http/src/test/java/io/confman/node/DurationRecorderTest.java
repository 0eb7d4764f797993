package io.confman.node;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

class DurationRecorderTest {

    @Test
    void theP99LeavesOutDurationsOlderThanTheWindowAge() {
        DurationRecorder recorder = new DurationRecorder();
        long slow = TimeUnit.MILLISECONDS.toNanos(600);
        recorder.record(slow);
        long now = System.nanoTime();
        assertEquals(slow, recorder.p99Nanos(now), "a slow snapshot just now counts");
        long later = now + DurationRecorder.WINDOW_AGE_NANOS + TimeUnit.SECONDS.toNanos(1);
        assertEquals(0, recorder.p99Nanos(later), "a minute later it no longer does");
        assertEquals(1, recorder.count(), "the totals keep it");
        assertEquals(slow, recorder.maxNanos());
    }

    @Test
    void theP99IsTheNearestRankOfRecentDurations() {
        DurationRecorder recorder = new DurationRecorder();
        for (int i = 1; i <= 200; i++) {
            recorder.record(i);
        }
        assertEquals(198, recorder.p99Nanos(), "rank ceil(0.99 * 200) = 198");
    }
}

package io.confman.bench.load;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.concurrent.atomic.AtomicLong;
import org.HdrHistogram.Histogram;
import org.junit.jupiter.api.Test;

/**
 * The open loop's arithmetic on a clock that moves only when the fake server says so: one
 * worker, 100 operations a second (one due every 10 ms), a server that answers in 1 ms
 * except for operation 0, which it holds for a second.
 */
class LoadRunnerTest {

    static final long MS = 1_000_000;

    /** Time passes only by sleeping until a deadline or by a request's service time. */
    static final class FakeClock implements Clock {
        final AtomicLong now = new AtomicLong();

        @Override
        public long nanoTime() {
            return now.get();
        }

        @Override
        public void sleepUntil(long deadlineNanos) {
            now.accumulateAndGet(deadlineNanos, Math::max);
        }

        Operation server(long stalledOperation, long stallNanos, long serviceNanos) {
            return (worker, index) -> {
                now.addAndGet(index == stalledOperation ? stallNanos : serviceNanos);
                return Outcome.OK;
            };
        }
    }

    @Test
    void operationsDueAtFixedIntervalsWithoutDrift() {
        Schedule.OpenLoop schedule = new Schedule.OpenLoop(3);
        assertEquals(5, schedule.intendedStartNanos(5, 0));
        assertEquals(5 + 333_333_333, schedule.intendedStartNanos(5, 1));
        assertEquals(5 + 666_666_666, schedule.intendedStartNanos(5, 2));
        assertEquals(5 + 1_000_000_000, schedule.intendedStartNanos(5, 3));
        assertEquals(5 + 333_333_333_333_333_333L, schedule.intendedStartNanos(5, 1_000_000_000L),
                "a billion operations at 3/s: the last is due 333,333,333.333333333 s later, no drift");
        assertEquals(1_000_000 * 1_000_000_000L, new Schedule.OpenLoop(LoadOptions.RATE_MAX)
                .intendedStartNanos(0, 1_000_000L * LoadOptions.RATE_MAX), "no overflow at the top rate");
        assertEquals(7, new Schedule.ClosedLoop().intendedStartNanos(7, 12_345));
        assertThrows(IllegalArgumentException.class, () -> new Schedule.OpenLoop(0));
    }

    @Test
    void openLoopCountsTheStallForEveryOperationQueuedBehindIt() throws InterruptedException {
        FakeClock clock = new FakeClock();
        LoadRunner.Result result = new LoadRunner(clock, new Schedule.OpenLoop(100), 1)
                .run(200, clock.server(0, 1_000 * MS, MS), null, 60_000);
        Histogram latencies = result.latencies();
        assertEquals(200, latencies.getTotalCount());
        // Operation 0 answers at 1000 ms; operation k (due at 10k ms) is sent when k-1 has
        // answered, at 999 + k ms, and answers at 1000 + k ms: a latency of 1000 - 9k ms, until
        // operation 111, due at 1110 ms, is sent on time again.
        assertEquals(1_000_000, latencies.getMaxValue(), 1_000);
        assertEquals(110, result.late(), "operations 1 to 110 were sent after their due time");
        assertEquals(56, latencies.getCountBetweenValues(500_000, LoadRunner.LATENCY_MICROS_MAX),
                "operations 0 to 55 took over 500 ms from their due time");
        assertEquals(1_000, latencies.getValueAtPercentile(40), 1, "the operations after the catch-up took 1 ms");
        assertTrue(latencies.getValueAtPercentile(50) > 1_000, "over half the operations waited: p50 "
                + latencies.getValueAtPercentile(50) + " us");
        assertEquals(1_991 * MS, result.elapsedNanos(), "the last operation was due at 1990 ms and ran on time");
    }

    @Test
    void closedLoopShowsTheSameStallAsOneSlowSample() throws InterruptedException {
        FakeClock clock = new FakeClock();
        LoadRunner.Result result = new LoadRunner(clock, new Schedule.ClosedLoop(), 1)
                .run(200, clock.server(0, 1_000 * MS, MS), null, 60_000);
        Histogram latencies = result.latencies();
        assertEquals(1, latencies.getCountBetweenValues(500_000, LoadRunner.LATENCY_MICROS_MAX),
                "the coordinated omission an open loop avoids: one slow sample, however many waited");
        assertEquals(1_000, latencies.getValueAtPercentile(99), 1);
        assertEquals(0, result.late());
    }

    @Test
    void everyOperationIsRunOnceAcrossWorkersAndOutcomesAreCounted() throws InterruptedException {
        long[] seen = new long[1_000];
        LoadRunner.Result result = new LoadRunner(Clock.SYSTEM, new Schedule.ClosedLoop(), 8).run(1_000,
                (worker, index) -> {
                    synchronized (seen) {
                        seen[(int) index]++;
                    }
                    return index % 10 == 0 ? Outcome.ERROR : index % 10 == 1 ? Outcome.CONFLICT : Outcome.OK;
                }, null, 1_000);
        for (long count : seen) {
            assertEquals(1, count);
        }
        assertEquals(1_000, result.operations());
        assertEquals(100, result.errors());
        assertEquals(100, result.conflicts());
    }

    @Test
    void aFailingOperationStopsTheRunLoudly() {
        IllegalStateException failure = assertThrows(IllegalStateException.class, () -> new LoadRunner(Clock.SYSTEM,
                new Schedule.ClosedLoop(), 4).run(100, (worker, index) -> {
                    if (index == 50) {
                        throw new IllegalArgumentException("a bug");
                    }
                    return Outcome.OK;
                }, null, 1_000));
        assertTrue(failure.getMessage().contains("a bug"), failure.getMessage());
    }

    @Test
    void latenciesAreAlsoSplitByInterval() throws InterruptedException {
        // 1 worker, 2 ms an operation for 200 operations: about 400 ms, split every 100 ms.
        LoadRunner.Result result = new LoadRunner(Clock.SYSTEM, new Schedule.ClosedLoop(), 1, 100_000_000L)
                .run(200, (worker, index) -> {
                    Thread.sleep(2);
                    return Outcome.OK;
                }, null, 10);
        assertTrue(result.intervals().size() >= 3, "at least 400 ms in intervals of 100 ms: "
                + result.intervals().size());
        long counted = result.intervals().stream().mapToLong(org.HdrHistogram.Histogram::getTotalCount).sum();
        assertEquals(200, counted, "each operation in exactly one interval");
        assertEquals(1, new LoadRunner(Clock.SYSTEM, new Schedule.ClosedLoop(), 1).run(5,
                (worker, index) -> Outcome.OK, null, 10).intervals().size(), "without intervals, one: the whole run");
    }
}

package io.confman.bench.load;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import org.HdrHistogram.Histogram;
import org.HdrHistogram.Recorder;

/**
 * Runs a fixed number of operations on {@code concurrency} worker threads and records each
 * one's latency in microseconds. Workers take operation numbers in order from one counter;
 * a worker waits for its operation's intended start ({@link Schedule}) and then sends it, so
 * in an open loop the concurrency is the bound on requests in flight, and an operation that
 * found every worker busy has its wait counted in its latency and is counted as late.
 */
final class LoadRunner {

    /** Ten minutes: an open-loop run far past what the cluster can take still records its queueing. */
    static final long LATENCY_MICROS_MAX = 600_000_000L;
    static final int SIGNIFICANT_DIGITS = 3;
    /** An operation sent more than this after its intended start is late (open loop only). */
    static final long LATE_TOLERANCE_NANOS = 1_000_000;

    /**
     * What a run measured; {@code latencies} in microseconds, one value per operation;
     * {@code intervals} the same latencies split by the interval of the run in which each
     * operation finished (one histogram per interval, the last one possibly shorter), so that
     * a long run shows whether its latency grew.
     */
    record Result(Histogram latencies, List<Histogram> intervals, long operations, long errors, long conflicts,
                  long late, long elapsedNanos) {
        Result {
            intervals = List.copyOf(intervals);
        }
    }

    /** Called on the thread that started the run, about once per progress interval. */
    @FunctionalInterface
    interface Progress {
        void report(long done, long errors, Histogram soFar, long elapsedNanos);
    }

    private final Clock clock;
    private final Schedule schedule;
    private final int concurrency;
    private final long intervalNanos;

    /** A runner whose result has one interval, the whole run. */
    LoadRunner(Clock clock, Schedule schedule, int concurrency) {
        this(clock, schedule, concurrency, Long.MAX_VALUE);
    }

    /**
     * A runner that also splits its latencies by intervals of {@code intervalNanos}. The split
     * happens when the progress loop wakes, so an interval's edge is exact to within the
     * progress interval.
     */
    LoadRunner(Clock clock, Schedule schedule, int concurrency, long intervalNanos) {
        if (concurrency < 1) {
            throw new IllegalArgumentException("at least one worker, not " + concurrency);
        }
        if (intervalNanos <= 0) {
            throw new IllegalArgumentException("an interval must be positive, not " + intervalNanos);
        }
        this.clock = clock;
        this.schedule = schedule;
        this.concurrency = concurrency;
        this.intervalNanos = intervalNanos;
    }

    Result run(long operations, Operation operation, Progress progress, long progressIntervalMs)
            throws InterruptedException {
        Recorder recorder = new Recorder(LATENCY_MICROS_MAX, SIGNIFICANT_DIGITS);
        Histogram total = new Histogram(LATENCY_MICROS_MAX, SIGNIFICANT_DIGITS);
        AtomicLong next = new AtomicLong();
        AtomicLong done = new AtomicLong();
        AtomicLong errors = new AtomicLong();
        AtomicLong conflicts = new AtomicLong();
        AtomicLong late = new AtomicLong();
        AtomicReference<Throwable> failure = new AtomicReference<>();
        CountDownLatch finished = new CountDownLatch(concurrency);
        long startNanos = clock.nanoTime();
        List<Thread> workers = new ArrayList<>();
        for (int w = 0; w < concurrency; w++) {
            int workerIndex = w;
            Thread worker = new Thread(() -> {
                try {
                    long index;
                    while (failure.get() == null && (index = next.getAndIncrement()) < operations) {
                        long intended = schedule.intendedStartNanos(startNanos, index);
                        clock.sleepUntil(intended);
                        long sent = clock.nanoTime();
                        Outcome outcome = operation.run(workerIndex, index);
                        long answered = clock.nanoTime();
                        long from = schedule.open() ? intended : sent;
                        recorder.recordValue(Math.min(LATENCY_MICROS_MAX, Math.max(0, answered - from) / 1_000));
                        if (schedule.open() && sent - intended > LATE_TOLERANCE_NANOS) {
                            late.incrementAndGet();
                        }
                        if (outcome == Outcome.ERROR) {
                            errors.incrementAndGet();
                        } else if (outcome == Outcome.CONFLICT) {
                            conflicts.incrementAndGet();
                        }
                        done.incrementAndGet();
                    }
                } catch (InterruptedException stopped) {
                    failure.compareAndSet(null, stopped);
                } catch (RuntimeException | Error bug) {
                    failure.compareAndSet(null, bug);
                } finally {
                    finished.countDown();
                }
            }, "bench-worker-" + w);
            worker.setDaemon(true);
            workers.add(worker);
        }
        List<Histogram> intervals = new ArrayList<>();
        Histogram interval = new Histogram(LATENCY_MICROS_MAX, SIGNIFICANT_DIGITS);
        Histogram recent = null;
        workers.forEach(Thread::start);
        try {
            while (!finished.await(progressIntervalMs, TimeUnit.MILLISECONDS)) {
                recent = recorder.getIntervalHistogram(recent); // recycled: no new histogram a second
                total.add(recent);
                interval.add(recent);
                if (clock.nanoTime() - startNanos >= (intervals.size() + 1) * (double) intervalNanos) {
                    intervals.add(interval);
                    interval = new Histogram(LATENCY_MICROS_MAX, SIGNIFICANT_DIGITS);
                }
                if (progress != null) {
                    progress.report(done.get(), errors.get(), total, clock.nanoTime() - startNanos);
                }
            }
        } finally {
            workers.forEach(Thread::interrupt);
        }
        long elapsed = clock.nanoTime() - startNanos;
        Histogram last = recorder.getIntervalHistogram();
        total.add(last);
        interval.add(last);
        if (interval.getTotalCount() > 0 || intervals.isEmpty()) {
            intervals.add(interval);
        }
        if (failure.get() != null) {
            throw new IllegalStateException("a worker failed after " + done.get() + " operations: "
                    + failure.get(), failure.get());
        }
        // Pair assertion: every operation handed out was recorded once, in the whole run and
        // in exactly one interval.
        long inIntervals = intervals.stream().mapToLong(Histogram::getTotalCount).sum();
        if (total.getTotalCount() != operations || done.get() != operations || inIntervals != operations) {
            throw new IllegalStateException("recorded " + total.getTotalCount() + " latencies (" + inIntervals
                    + " in intervals) for " + done.get() + " of " + operations + " operations");
        }
        return new Result(total, intervals, operations, errors.get(), conflicts.get(), late.get(), elapsed);
    }
}

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

    /** What a run measured; {@code latencies} in microseconds, one value per operation. */
    record Result(Histogram latencies, long operations, long errors, long conflicts, long late,
                  long elapsedNanos) {
    }

    /** Called on the thread that started the run, about once per progress interval. */
    @FunctionalInterface
    interface Progress {
        void report(long done, long errors, Histogram soFar, long elapsedNanos);
    }

    private final Clock clock;
    private final Schedule schedule;
    private final int concurrency;

    LoadRunner(Clock clock, Schedule schedule, int concurrency) {
        if (concurrency < 1) {
            throw new IllegalArgumentException("at least one worker, not " + concurrency);
        }
        this.clock = clock;
        this.schedule = schedule;
        this.concurrency = concurrency;
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
        workers.forEach(Thread::start);
        try {
            while (!finished.await(progressIntervalMs, TimeUnit.MILLISECONDS)) {
                total.add(recorder.getIntervalHistogram());
                if (progress != null) {
                    progress.report(done.get(), errors.get(), total, clock.nanoTime() - startNanos);
                }
            }
        } finally {
            workers.forEach(Thread::interrupt);
        }
        long elapsed = clock.nanoTime() - startNanos;
        total.add(recorder.getIntervalHistogram());
        if (failure.get() != null) {
            throw new IllegalStateException("a worker failed after " + done.get() + " operations: "
                    + failure.get(), failure.get());
        }
        // Pair assertion: every operation handed out was recorded once.
        if (total.getTotalCount() != operations || done.get() != operations) {
            throw new IllegalStateException("recorded " + total.getTotalCount() + " latencies for " + done.get()
                    + " of " + operations + " operations");
        }
        return new Result(total, operations, errors.get(), conflicts.get(), late.get(), elapsed);
    }
}

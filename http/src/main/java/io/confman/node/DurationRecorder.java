package io.confman.node;

import java.util.Objects;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.LongConsumer;

/**
 * Counts durations of one kind (an fsync, a snapshot): written by the loop thread, read by
 * any thread (the metrics layer). Keeps the count, the sum and the maximum; a histogram can
 * replace it without changing callers.
 */
public final class DurationRecorder {

    private final LongAdder count = new LongAdder();
    private final LongAdder totalNanos = new LongAdder();
    private final AtomicLong maxNanos = new AtomicLong();
    private volatile long lastNanos;
    private final CopyOnWriteArrayList<LongConsumer> observers =
            new CopyOnWriteArrayList<>();

    /** Calls {@code observer} with every duration recorded from now on, on the recording thread. */
    public void subscribe(LongConsumer observer) {
        observers.add(Objects.requireNonNull(observer, "observer"));
    }

    public void record(long nanos) {
        if (nanos < 0) {
            throw new IllegalArgumentException("a duration cannot be negative: " + nanos);
        }
        count.increment();
        totalNanos.add(nanos);
        maxNanos.accumulateAndGet(nanos, Math::max);
        lastNanos = nanos;
        for (LongConsumer observer : observers) {
            observer.accept(nanos);
        }
    }

    public long count() {
        return count.sum();
    }

    public long totalNanos() {
        return totalNanos.sum();
    }

    public long maxNanos() {
        return maxNanos.get();
    }

    public long lastNanos() {
        return lastNanos;
    }
}

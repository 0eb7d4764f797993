package io.confman.node;

import java.util.Arrays;
import java.util.Objects;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.LongConsumer;

/**
 * Counts durations of one kind (an fsync, a snapshot): written by the loop thread, read by
 * any thread (the metrics layer). Keeps the count, the sum and the maximum, and the last
 * {@link #WINDOW_SAMPLES} durations for a recent p99; a histogram can replace it without
 * changing callers.
 */
public final class DurationRecorder {

    /** How many recent durations the p99 is computed over (bounded, STYLE 9). */
    public static final int WINDOW_SAMPLES = 1024;

    private final LongAdder count = new LongAdder();
    private final LongAdder totalNanos = new LongAdder();
    private final AtomicLong maxNanos = new AtomicLong();
    private volatile long lastNanos;
    /** A ring of the latest durations, guarded by itself (written by the loop, read by any thread). */
    private final long[] window = new long[WINDOW_SAMPLES];
    // Invariant: 0 <= windowCount <= WINDOW_SAMPLES and 0 <= windowNext < WINDOW_SAMPLES.
    private int windowCount;
    private int windowNext;
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
        synchronized (window) {
            window[windowNext] = nanos;
            windowNext = (windowNext + 1) % WINDOW_SAMPLES;
            windowCount = Math.min(windowCount + 1, WINDOW_SAMPLES);
        }
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

    /**
     * The 99th percentile of the last {@link #WINDOW_SAMPLES} durations (nearest rank), or 0
     * when none was recorded. A recent window, not all time, so that one slow disk hour last
     * week does not warn forever.
     */
    public long p99Nanos() {
        long[] recent;
        synchronized (window) {
            recent = Arrays.copyOf(window, windowCount);
        }
        if (recent.length == 0) {
            return 0;
        }
        Arrays.sort(recent);
        int rank = (int) Math.ceil(0.99 * recent.length); // 1-based nearest rank
        return recent[rank - 1];
    }
}

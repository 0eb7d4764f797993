package io.confman.node;

import java.util.Arrays;
import java.util.Objects;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
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
    /**
     * Durations older than this leave the p99: snapshots are rare (one per many thousand
     * entries), so a count window alone would let one slow snapshot, say of a store that held
     * large values inline before they moved to blobs, mark the node for hours.
     */
    public static final long WINDOW_AGE_NANOS = TimeUnit.SECONDS.toNanos(60);

    private final LongAdder count = new LongAdder();
    private final LongAdder totalNanos = new LongAdder();
    private final AtomicLong maxNanos = new AtomicLong();
    private volatile long lastNanos;
    /** A ring of the latest durations, guarded by itself (written by the loop, read by any thread). */
    private final long[] window = new long[WINDOW_SAMPLES];
    /** When each duration in {@link #window} was recorded (System.nanoTime), same slots. */
    private final long[] recordedAt = new long[WINDOW_SAMPLES];
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
        long now = System.nanoTime();
        synchronized (window) {
            window[windowNext] = nanos;
            recordedAt[windowNext] = now;
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
     * The 99th percentile (nearest rank) of the last {@link #WINDOW_SAMPLES} durations recorded
     * within {@link #WINDOW_AGE_NANOS}, or 0 when there are none. A recent window, not all
     * time, so that one slow disk hour last week does not warn forever.
     */
    public long p99Nanos() {
        return p99Nanos(System.nanoTime());
    }

    long p99Nanos(long nowNanos) {
        return percentileNanos(0.99, nowNanos);
    }

    /** The median of the same recent window as {@link #p99Nanos()}, or 0 when there are none. */
    public long p50Nanos() {
        return percentileNanos(0.50, System.nanoTime());
    }

    /** The {@code quantile} (nearest rank) of the recent window. */
    private long percentileNanos(double quantile, long nowNanos) {
        long[] recent = new long[WINDOW_SAMPLES];
        int count = 0;
        synchronized (window) {
            for (int i = 0; i < windowCount; i++) {
                if (nowNanos - recordedAt[i] <= WINDOW_AGE_NANOS) {
                    recent[count++] = window[i];
                }
            }
        }
        if (count == 0) {
            return 0;
        }
        recent = Arrays.copyOf(recent, count);
        Arrays.sort(recent);
        int rank = (int) Math.ceil(quantile * recent.length); // 1-based nearest rank
        return recent[Math.max(rank, 1) - 1];
    }
}

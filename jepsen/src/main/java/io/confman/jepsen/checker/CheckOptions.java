package io.confman.jepsen.checker;

import java.time.Duration;

/**
 * Limits of a check. The search is exponential in the worst case, so each limit turns a
 * search that would run too long or fill the heap into an {@link Verdict#UNKNOWN} verdict.
 *
 * @param timeLimit for the whole history, all keys together
 * @param cacheBytesMax memory of the configurations remembered per key (the arrays as
 *     allocated; one costs some 40 bytes, more for a wide window of concurrent operations)
 * @param threads keys checked at once
 */
public record CheckOptions(Duration timeLimit, long cacheBytesMax, int threads) {

    /**
     * 60 s, one thread per core, and per key a quarter of the heap shared by the threads
     * (the cache's arrays double as they grow, and the history itself needs room too).
     */
    public static final CheckOptions DEFAULTS = new CheckOptions(Duration.ofSeconds(60),
            Math.max(16L << 20, Runtime.getRuntime().maxMemory() / 4 / Runtime.getRuntime().availableProcessors()),
            Runtime.getRuntime().availableProcessors());

    public CheckOptions {
        if (timeLimit.isNegative() || timeLimit.isZero()) {
            throw new IllegalArgumentException("the time limit must be positive, not " + timeLimit);
        }
        if (cacheBytesMax < 1) {
            throw new IllegalArgumentException("cacheBytesMax must be at least 1, not " + cacheBytesMax);
        }
        if (threads < 1) {
            throw new IllegalArgumentException("threads must be at least 1, not " + threads);
        }
    }

    public CheckOptions withTimeLimit(Duration limit) {
        return new CheckOptions(limit, cacheBytesMax, threads);
    }

    public CheckOptions withCacheBytesMax(long bytesMax) {
        return new CheckOptions(timeLimit, bytesMax, threads);
    }

    public CheckOptions withThreads(int count) {
        return new CheckOptions(timeLimit, cacheBytesMax, count);
    }
}

package io.confman.jepsen.checker;

import java.time.Duration;

/**
 * Limits of a check. The search is exponential in the worst case, so each limit turns a
 * search that would run too long or fill the heap into an {@link Verdict#UNKNOWN} verdict.
 *
 * @param timeLimit for the whole history, all keys together
 * @param cacheEntriesMax configurations remembered per key; each costs a few dozen bytes
 *     plus eight per word of its set's window
 * @param threads keys checked at once
 */
public record CheckOptions(Duration timeLimit, long cacheEntriesMax, int threads) {

    /** 60 s, 4 million configurations per key, one thread per core. */
    public static final CheckOptions DEFAULTS = new CheckOptions(Duration.ofSeconds(60), 4_000_000,
            Runtime.getRuntime().availableProcessors());

    public CheckOptions {
        if (timeLimit.isNegative() || timeLimit.isZero()) {
            throw new IllegalArgumentException("the time limit must be positive, not " + timeLimit);
        }
        if (cacheEntriesMax < 1) {
            throw new IllegalArgumentException("cacheEntriesMax must be at least 1, not " + cacheEntriesMax);
        }
        if (threads < 1) {
            throw new IllegalArgumentException("threads must be at least 1, not " + threads);
        }
    }

    public CheckOptions withTimeLimit(Duration limit) {
        return new CheckOptions(limit, cacheEntriesMax, threads);
    }

    public CheckOptions withCacheEntriesMax(long entriesMax) {
        return new CheckOptions(timeLimit, entriesMax, threads);
    }

    public CheckOptions withThreads(int count) {
        return new CheckOptions(timeLimit, cacheEntriesMax, count);
    }
}

package io.confman.bench.load;

/**
 * When each operation is meant to start. In a closed loop an operation starts when a
 * worker is free, so a slow answer delays every request queued behind it without showing
 * in any latency: the load generator coordinates with the system under test and omits the
 * samples that would have been slow (Gil Tene, "How NOT to measure latency"). In an open
 * loop operation i is due at {@code start + i / rate} whatever happened before, and its
 * latency is measured from that moment, so the time it waited behind a stall is counted.
 */
sealed interface Schedule {

    /** True when latency is measured from the intended start rather than the actual send. */
    boolean open();

    /** The moment operation {@code operation} is due, on the clock of {@code startNanos}. */
    long intendedStartNanos(long startNanos, long operation);

    /** Each operation is due at once; a worker sends it when its previous one has answered. */
    record ClosedLoop() implements Schedule {
        @Override
        public boolean open() {
            return false;
        }

        @Override
        public long intendedStartNanos(long startNanos, long operation) {
            return startNanos;
        }
    }

    /** Operations due at fixed intervals of {@code 1 / opsPerSecond}. */
    record OpenLoop(long opsPerSecond) implements Schedule {
        public OpenLoop {
            if (opsPerSecond <= 0) {
                throw new IllegalArgumentException("a rate must be positive, not " + opsPerSecond);
            }
        }

        @Override
        public boolean open() {
            return true;
        }

        @Override
        public long intendedStartNanos(long startNanos, long operation) {
            // Scaled from the start rather than summed interval by interval, so that rounding
            // never accumulates: operation i is due at exactly i * 1e9 / rate nanoseconds.
            return startNanos + scaled(operation);
        }

        /** {@code operation * 1e9 / rate} without overflow for any rate up to {@link LoadOptions#RATE_MAX}. */
        private long scaled(long operation) {
            long seconds = operation / opsPerSecond;
            long rest = operation % opsPerSecond;
            return seconds * 1_000_000_000L + rest * 1_000_000_000L / opsPerSecond;
        }
    }
}

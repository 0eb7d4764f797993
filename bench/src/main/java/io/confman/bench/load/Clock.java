package io.confman.bench.load;

import java.util.concurrent.locks.LockSupport;

/**
 * The time source of a run, so that the open-loop arithmetic can be tested with a clock
 * that moves only when the test says so.
 */
interface Clock {

    long nanoTime();

    /** Returns at or after {@code deadlineNanos}, at once when it has passed. */
    void sleepUntil(long deadlineNanos) throws InterruptedException;

    Clock SYSTEM = new Clock() {
        @Override
        public long nanoTime() {
            return System.nanoTime();
        }

        @Override
        public void sleepUntil(long deadlineNanos) throws InterruptedException {
            long remaining;
            while ((remaining = deadlineNanos - System.nanoTime()) > 0) {
                LockSupport.parkNanos(remaining);
                if (Thread.interrupted()) {
                    throw new InterruptedException();
                }
            }
        }
    };
}

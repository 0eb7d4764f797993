package io.confman.bench.load;

/** Operation number {@code index} of a run, sent by worker {@code worker} and answered before it returns. */
@FunctionalInterface
interface Operation {
    Outcome run(int worker, long index) throws InterruptedException;
}

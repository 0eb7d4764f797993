package io.confman.raft.sim;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.function.Supplier;

/**
 * Runs many seeds on a few threads. Seeds share nothing, so running them in parallel changes
 * no run; results come back in seed order, and the first failing seed (the lowest) is the
 * one reported.
 */
public final class SimRunner {

    /** The totals of a batch of seeds; {@code firstFailure} is null when all held. */
    public record Summary(int seeds, long ticks, long delivered, long elections, long commits,
                          int failures, Simulator.Result firstFailure, long elapsedMs) {
    }

    /** Seeds handed to a thread at once: large enough to amortize, small enough to stop early. */
    private static final int BATCH_SEEDS = 16;

    private final int nodeCount;
    private final int safetyTicks;
    private final NodeFactory factory;
    private final Supplier<SimDisk> disks;
    private final int threadCount;

    public SimRunner(int nodeCount, int safetyTicks, NodeFactory factory, Supplier<SimDisk> disks, int threadCount) {
        this.nodeCount = nodeCount;
        this.safetyTicks = safetyTicks;
        this.factory = factory;
        this.disks = disks;
        this.threadCount = threadCount;
    }

    public Simulator.Result runOne(long seed, SimTrace trace) {
        return new Simulator(seed, nodeCount, safetyTicks, factory, disks, trace).run();
    }

    /**
     * Runs seeds {@code firstSeed .. firstSeed + seedCount - 1}; with {@code stopAtFailure},
     * stops after the batch in which one failed.
     */
    public Summary run(long firstSeed, int seedCount, boolean stopAtFailure) {
        long started = System.nanoTime(); // Only to report the elapsed time, never to drive a run.
        ExecutorService pool = Executors.newFixedThreadPool(threadCount);
        try {
            long ticks = 0;
            long delivered = 0;
            long elections = 0;
            long commits = 0;
            int done = 0;
            int failures = 0;
            Simulator.Result failure = null;
            for (int batchStart = 0; batchStart < seedCount && (failure == null || !stopAtFailure);
                 batchStart += BATCH_SEEDS * threadCount) {
                List<Future<Simulator.Result>> futures = new ArrayList<>();
                int end = Math.min(seedCount, batchStart + BATCH_SEEDS * threadCount);
                for (int i = batchStart; i < end; i++) {
                    long seed = firstSeed + i;
                    futures.add(pool.submit(() -> runOne(seed, SimTrace.OFF)));
                }
                for (Future<Simulator.Result> future : futures) {
                    Simulator.Result result = await(future);
                    done++;
                    ticks += result.ticks();
                    delivered += result.delivered();
                    elections += result.elections();
                    commits += result.commits();
                    if (!result.ok()) {
                        failures++;
                        failure = failure == null ? result : failure;
                    }
                }
            }
            return new Summary(done, ticks, delivered, elections, commits, failures, failure,
                    (System.nanoTime() - started) / 1_000_000);
        } finally {
            pool.shutdownNow();
        }
    }

    private static Simulator.Result await(Future<Simulator.Result> future) {
        try {
            return future.get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while waiting for a seed", e);
        } catch (ExecutionException e) {
            throw new IllegalStateException("a seed crashed the simulator itself", e.getCause());
        }
    }
}

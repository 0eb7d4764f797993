package io.confman.bench.checker;

import io.confman.jepsen.checker.CheckOptions;
import io.confman.jepsen.checker.CheckResult;
import io.confman.jepsen.checker.LinearizabilityChecker;
import io.confman.jepsen.checker.Verdict;
import io.confman.jepsen.history.HistoryGenerator;
import io.confman.jepsen.history.Op;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;

/**
 * The linearizability checker (jepsen/CHECKER.md) on a linearizable history of
 * {@code operations} operations over {@code keys} keys, 5 concurrent processes per key,
 * made by {@code HistoryGenerator} from a fixed seed: the time of one whole check, keys
 * in parallel on {@code threads} threads (0: one per core), as {@code confman jepsen check}
 * runs it. Single-shot, because a check is a one-off job whose cost includes its warm-up
 * of the cache and the pool.
 *
 * <p>A valid history is the slow case that matters for a passing test run: the search must
 * find a whole linearization, while an invalid one usually stops at the first bad read.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.SingleShotTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
public class CheckerBenchmark {

    @Param({"1000", "10000", "100000"})
    public int operations;

    @Param("10")
    public int keys;

    @Param("0")
    public int threads;

    private List<Op> history;
    private CheckOptions options;

    @Setup(Level.Trial)
    public void generate() {
        history = HistoryGenerator.generate(42, HistoryGenerator.Config.of(keys, operations / keys));
        options = threads == 0 ? CheckOptions.DEFAULTS : CheckOptions.DEFAULTS.withThreads(threads);
    }

    @Benchmark
    public CheckResult check() {
        CheckResult result = LinearizabilityChecker.check(history, options);
        if (result.verdict() != Verdict.TRUE) {
            throw new IllegalStateException("a generated history must be linearizable: " + result.report());
        }
        return result;
    }
}

package io.confman.bench;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Collection;
import org.openjdk.jmh.results.RunResult;
import org.openjdk.jmh.runner.Runner;
import org.openjdk.jmh.runner.RunnerException;
import org.openjdk.jmh.runner.options.ChainedOptionsBuilder;
import org.openjdk.jmh.runner.options.OptionsBuilder;
import org.openjdk.jmh.runner.options.TimeValue;

/**
 * The smoke runs of {@code mvn verify}: every benchmark of a class, in this JVM, for a moment
 * each, failing on any error in a benchmark. The figures mean nothing; that each benchmark
 * starts, finishes and scores something does.
 */
public final class JmhSmoke {

    private JmhSmoke() {
    }

    /**
     * Runs {@code benchmark}'s methods with the {@code @Param} values given as name, value
     * pairs, and returns their results, each checked to have a positive score.
     */
    public static Collection<RunResult> runBriefly(Class<?> benchmark, String... params) throws RunnerException {
        if (params.length % 2 != 0) {
            throw new IllegalArgumentException("parameters come as name, value pairs");
        }
        ChainedOptionsBuilder options = new OptionsBuilder()
                .include(benchmark.getName())
                .forks(0)
                .shouldFailOnError(true)
                .warmupIterations(1).warmupTime(TimeValue.milliseconds(100))
                .measurementIterations(1).measurementTime(TimeValue.milliseconds(200));
        for (int i = 0; i < params.length; i += 2) {
            options.param(params[i], params[i + 1]);
        }
        Collection<RunResult> results = new Runner(options.build()).run();
        for (RunResult result : results) {
            assertTrue(result.getPrimaryResult().getScore() > 0, result.getParams().getBenchmark() + " scored "
                    + result.getPrimaryResult().getScore());
        }
        return results;
    }
}

package io.confman.bench.checker;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Collection;
import org.junit.jupiter.api.Test;
import org.openjdk.jmh.results.RunResult;
import org.openjdk.jmh.runner.Runner;
import org.openjdk.jmh.runner.RunnerException;
import org.openjdk.jmh.runner.options.Options;
import org.openjdk.jmh.runner.options.OptionsBuilder;

/** Proves the checker benchmark starts and finishes on a small history; the figure means nothing here. */
class CheckerBenchSmokeTest {
    @Test
    void checkerBenchmarkRunsBriefly() throws RunnerException {
        Options options = new OptionsBuilder()
                .include(CheckerBenchmark.class.getName())
                .param("operations", "1000")
                .forks(0)
                .warmupIterations(1)
                .measurementIterations(2)
                .build();
        Collection<RunResult> results = new Runner(options).run();
        assertEquals(1, results.size());
        RunResult result = results.iterator().next();
        assertTrue(result.getPrimaryResult().getScore() > 0, "milliseconds per check must be positive");
    }
}

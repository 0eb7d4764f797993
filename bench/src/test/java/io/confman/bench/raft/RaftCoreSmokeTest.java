package io.confman.bench.raft;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Collection;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.openjdk.jmh.results.RunResult;
import org.openjdk.jmh.runner.Runner;
import org.openjdk.jmh.runner.RunnerException;
import org.openjdk.jmh.runner.options.Options;
import org.openjdk.jmh.runner.options.OptionsBuilder;
import org.openjdk.jmh.runner.options.TimeValue;

/** Proves the Raft core benchmark starts, finishes and commits what it proposes; the figures mean nothing here. */
class RaftCoreSmokeTest {
    @Test
    void raftCoreBenchmarkRunsBriefly() throws RunnerException {
        Options options = new OptionsBuilder()
                .include(RaftCoreBenchmark.class.getName())
                .forks(0)
                .shouldFailOnError(true)
                .warmupIterations(1).warmupTime(TimeValue.milliseconds(100))
                .measurementIterations(1).measurementTime(TimeValue.milliseconds(200))
                .build();
        Collection<RunResult> results = new Runner(options).run();
        assertEquals(2, results.size(), "oneAtATime and batches64");
        for (RunResult result : results) {
            assertTrue(result.getPrimaryResult().getScore() > 0, result.getParams().getBenchmark());
        }
    }

    @Test
    void everyProposalIsAppliedOnEveryNode() {
        RaftCoreBenchmark benchmark = new RaftCoreBenchmark();
        benchmark.nodes = 3;
        benchmark.valueBytes = 100;
        benchmark.elect();
        assertEquals(1, benchmark.lastProposed(), "the leader's no-op");
        benchmark.oneAtATime();
        benchmark.batches64();
        long expected = 1 + 1 + RaftCoreBenchmark.BATCH_PROPOSALS;
        assertEquals(expected, benchmark.lastProposed());
        assertEquals(List.of(expected, expected, expected), benchmark.appliedIndexes());
    }
}

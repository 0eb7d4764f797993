package io.confman.bench.raft;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.confman.bench.JmhSmoke;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.openjdk.jmh.runner.RunnerException;

/** Proves the Raft core benchmark starts, finishes and commits what it proposes; the figures mean nothing here. */
class RaftCoreSmokeTest {
    @Test
    void raftCoreBenchmarkRunsBriefly() throws RunnerException {
        assertEquals(2, JmhSmoke.runBriefly(RaftCoreBenchmark.class).size(), "oneAtATime and batches64");
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

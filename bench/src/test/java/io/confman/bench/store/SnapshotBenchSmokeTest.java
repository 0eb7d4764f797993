package io.confman.bench.store;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.Collection;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.openjdk.jmh.results.RunResult;
import org.openjdk.jmh.runner.Runner;
import org.openjdk.jmh.runner.RunnerException;
import org.openjdk.jmh.runner.options.Options;
import org.openjdk.jmh.runner.options.OptionsBuilder;
import org.openjdk.jmh.runner.options.TimeValue;

/** Proves the snapshot benchmarks start and finish on a small store; the figures mean nothing here. */
class SnapshotBenchSmokeTest {
    @Test
    void snapshotBenchmarksRunBriefly(@TempDir Path dir) throws RunnerException {
        Options options = new OptionsBuilder()
                .include(SnapshotBenchmark.class.getName())
                .param("dir", dir.toString())
                .param("keys", "2000")
                .forks(0)
                .warmupIterations(1).warmupTime(TimeValue.milliseconds(100))
                .measurementIterations(1).measurementTime(TimeValue.milliseconds(300))
                .build();
        Collection<RunResult> results = new Runner(options).run();
        assertEquals(6, results.size(), "serialise, writeDurably and restore, of inline values and of blob pointers");
        for (RunResult result : results) {
            assertTrue(result.getPrimaryResult().getScore() > 0, result.getParams().getBenchmark());
        }
        assertEquals(0, dir.toFile().list().length, "every snapshot file was removed");
    }
}

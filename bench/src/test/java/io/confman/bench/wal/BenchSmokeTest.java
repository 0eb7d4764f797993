package io.confman.bench.wal;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.openjdk.jmh.results.RunResult;
import org.openjdk.jmh.runner.Runner;
import org.openjdk.jmh.runner.RunnerException;
import org.openjdk.jmh.runner.options.Options;
import org.openjdk.jmh.runner.options.OptionsBuilder;
import org.openjdk.jmh.runner.options.TimeValue;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Collection;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Proves the benchmark and the probe start and finish; the figures themselves mean nothing here. */
class BenchSmokeTest {
    @Test
    void walAppendBenchmarkRunsBriefly(@TempDir Path dir) throws RunnerException {
        Options options = new OptionsBuilder()
                .include(WalAppendBenchmark.class.getName() + ".appenders16")
                .param("dir", dir.toString())
                .param("segmentSizeBytes", String.valueOf(4 << 20))
                .forks(0)
                .warmupIterations(1).warmupTime(TimeValue.milliseconds(200))
                .measurementIterations(1).measurementTime(TimeValue.milliseconds(800))
                .build();
        Collection<RunResult> results = new Runner(options).run();
        assertEquals(1, results.size());
        RunResult result = results.iterator().next();
        assertTrue(result.getPrimaryResult().getScore() > 0, "records/s must be positive");
        var secondary = result.getSecondaryResults();
        assertTrue(secondary.containsKey("fsyncs"), "fsyncs counter missing: " + secondary.keySet());
        assertTrue(secondary.get("fsyncs").getScore() > 0, "no fsync counted");
    }

    @Test
    void diskProbePrintsBothFigures(@TempDir Path dir) throws IOException {
        assertTrue(DiskProbe.fdatasyncLoop(dir, 0.2).startsWith("fdatasync_4k_per_s="));
        assertTrue(DiskProbe.sequentialWrite(dir, 8).startsWith("sequential_write_mib_per_s="));
    }
}

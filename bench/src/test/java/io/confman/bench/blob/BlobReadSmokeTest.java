package io.confman.bench.blob;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
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

/** Proves the blob streaming benchmarks start, finish and read back the blob written; the figures mean nothing here. */
class BlobReadSmokeTest {
    @Test
    void blobReadBenchmarksRunBriefly(@TempDir Path dir) throws RunnerException {
        Options options = new OptionsBuilder()
                .include(BlobReadBenchmark.class.getName())
                .param("dir", dir.toString())
                .param("blobBytes", "1048576")
                .forks(0)
                .shouldFailOnError(true)
                .warmupIterations(1).warmupTime(TimeValue.milliseconds(100))
                .measurementIterations(1).measurementTime(TimeValue.milliseconds(200))
                .build();
        Collection<RunResult> results = new Runner(options).run();
        assertEquals(2, results.size(), "fileRegion and mappedChunks");
        for (RunResult result : results) {
            assertTrue(result.getPrimaryResult().getScore() > 0, result.getParams().getBenchmark());
            assertTrue(result.getSecondaryResults().get("mebibytes").getScore() > 0, "MiB/s must be positive");
        }
        assertEquals(0, dir.toFile().list().length, "every store was removed");
    }

    @Test
    void bothPathsReadTheBytesWrittenAcrossWindows(@TempDir Path dir) throws IOException {
        BlobReadBenchmark benchmark = new BlobReadBenchmark();
        benchmark.blobBytes = (16L << 20) + 12_345; // Past the first mapped window, not on a chunk boundary.
        benchmark.dir = dir.toString();
        benchmark.upload();
        try {
            assertEquals(benchmark.streamThroughFileRegion(), benchmark.streamThroughMappedChunks());
        } finally {
            benchmark.removeStore();
        }
    }
}

package io.confman.bench.blob;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.confman.bench.JmhSmoke;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Collection;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.openjdk.jmh.results.RunResult;
import org.openjdk.jmh.runner.RunnerException;

/** Proves the blob streaming benchmarks start, finish and read back the blob written; the figures mean nothing here. */
class BlobReadSmokeTest {
    @Test
    void blobReadBenchmarksRunBriefly(@TempDir Path dir) throws RunnerException {
        Collection<RunResult> results = JmhSmoke.runBriefly(BlobReadBenchmark.class, "dir", dir.toString(),
                "blobBytes", "1048576");
        assertEquals(2, results.size(), "fileRegion and mappedChunks");
        for (RunResult result : results) {
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

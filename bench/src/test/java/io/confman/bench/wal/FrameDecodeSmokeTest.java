package io.confman.bench.wal;

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

/** Proves the frame decoding benchmark starts, finishes and reads back what it wrote; the figures mean nothing here. */
class FrameDecodeSmokeTest {
    @Test
    void frameDecodeBenchmarkRunsBriefly(@TempDir Path dir) throws RunnerException {
        Collection<RunResult> results = JmhSmoke.runBriefly(FrameDecodeBenchmark.class, "dir", dir.toString(),
                "recordBytes", "168");
        assertEquals(2, results.size(), "without and with stray zeros");
        for (RunResult result : results) {
            assertTrue(result.getSecondaryResults().get("mebibytes").getScore() > 0, "MiB/s must be positive");
        }
        assertEquals(0, dir.toFile().list().length, "every segment was removed");
    }

    @Test
    void everyRecordWrittenIsDecodedPastStrayZeros(@TempDir Path dir) throws IOException {
        FrameDecodeBenchmark benchmark = new FrameDecodeBenchmark();
        benchmark.recordBytes = 100;
        benchmark.strayZeroBytes = 13; // Also leaves frames at unaligned offsets.
        benchmark.dir = dir.toString();
        benchmark.writeSegment();
        try {
            FrameDecodeBenchmark.Tally tally = benchmark.scanOnce();
            assertEquals(FrameDecodeBenchmark.RECORDS, tally.records);
            assertEquals(100L * FrameDecodeBenchmark.RECORDS, tally.payloadBytes);
        } finally {
            benchmark.removeSegment();
        }
    }
}

package io.confman.bench.store;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.confman.bench.JmhSmoke;
import io.confman.store.command.CommandCodec;
import org.junit.jupiter.api.Test;
import org.openjdk.jmh.runner.RunnerException;

/** Proves the codec benchmarks start, finish and round-trip their put; the figures mean nothing here. */
class CommandCodecSmokeTest {
    @Test
    void codecBenchmarksRunBriefly() throws RunnerException {
        assertEquals(2, JmhSmoke.runBriefly(CommandCodecBenchmark.class, "valueBytes", "100").size(),
                "encode and decode");
    }

    @Test
    void theDecodedPutIsTheOneEncoded() {
        CommandCodecBenchmark benchmark = new CommandCodecBenchmark();
        benchmark.valueBytes = 100;
        benchmark.build();
        assertEquals(benchmark.put(), CommandCodec.decode(benchmark.encoded()));
        // The payload size FrameDecodeBenchmark uses for a put of a 100-byte value.
        assertEquals(168, benchmark.encoded().length);
    }
}

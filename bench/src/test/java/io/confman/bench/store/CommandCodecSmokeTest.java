package io.confman.bench.store;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.confman.store.command.CommandCodec;
import java.util.Collection;
import org.junit.jupiter.api.Test;
import org.openjdk.jmh.results.RunResult;
import org.openjdk.jmh.runner.Runner;
import org.openjdk.jmh.runner.RunnerException;
import org.openjdk.jmh.runner.options.Options;
import org.openjdk.jmh.runner.options.OptionsBuilder;
import org.openjdk.jmh.runner.options.TimeValue;

/** Proves the codec benchmarks start, finish and round-trip their put; the figures mean nothing here. */
class CommandCodecSmokeTest {
    @Test
    void codecBenchmarksRunBriefly() throws RunnerException {
        Options options = new OptionsBuilder()
                .include(CommandCodecBenchmark.class.getName())
                .param("valueBytes", "100")
                .forks(0)
                .shouldFailOnError(true)
                .warmupIterations(1).warmupTime(TimeValue.milliseconds(100))
                .measurementIterations(1).measurementTime(TimeValue.milliseconds(200))
                .build();
        Collection<RunResult> results = new Runner(options).run();
        assertEquals(2, results.size(), "encode and decode");
        for (RunResult result : results) {
            assertTrue(result.getPrimaryResult().getScore() > 0, result.getParams().getBenchmark());
        }
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

package io.confman.bench.compare;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

class LoopbackProbeTest {

    @Test
    void printsTheMedianAndTheNinetyNinthPercentile() throws IOException, InterruptedException {
        String line = LoopbackProbe.measure(200);
        Matcher figures = Pattern.compile("loopback_rtt_us_p50=(\\d+) p99=(\\d+) \\(200 round trips of 64 bytes"
                + " over TCP\\)").matcher(line);
        assertTrue(figures.matches(), line);
        assertTrue(Long.parseLong(figures.group(1)) <= Long.parseLong(figures.group(2)), "p50 <= p99: " + line);
    }
}

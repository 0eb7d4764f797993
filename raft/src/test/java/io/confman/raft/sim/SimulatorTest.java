package io.confman.raft.sim;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/** The real core under the simulator: every property holds on every seed, and runs replay exactly. */
class SimulatorTest {

    /** Seeds `mvn verify` runs; with 1000 ticks each this takes about half a minute on 2 cores. */
    static final int VERIFY_SEEDS = 500;

    @Test
    void everyPropertyHoldsOnManySeeds() {
        SimRunner runner = new SimRunner(0, SimCommand.DEFAULT_SAFETY_TICKS, NodeFactory.REAL, SimDisk::new, 2);
        SimRunner.Summary summary = runner.run(1, VERIFY_SEEDS, false);
        Simulator.Result failure = summary.firstFailure();
        assertNull(failure, () -> "seed " + failure.seed() + ": " + failure.violation().getMessage()
                + "\nreplay: " + SimCommand.replayCommand(failure, SimCommand.DEFAULT_SAFETY_TICKS));
        assertEquals(VERIFY_SEEDS, summary.seeds());
        assertTrue(summary.commits() > 0, "the clusters commit something");
        System.out.println(SimCommand.summaryLine(summary));
    }

    @Test
    void theSameSeedGivesTheSameTraceByteForByte() {
        for (long seed : new long[] {3, 8, 21}) {
            assertEquals(trace(seed, 0), trace(seed, 0), "seed " + seed);
        }
    }

    @Test
    void fixingTheNodeCountTheSeedChoseReplaysTheSameRun() {
        Simulator.Result result = new Simulator(21, 0, 300, NodeFactory.REAL, SimDisk::new, SimTrace.OFF).run();
        int nodes = result.options().nodeCount();
        assertEquals(trace(21, 0), trace(21, nodes));
    }

    @Test
    void differentSeedsDrawDifferentFaultOptions() {
        SimOptions a = new Simulator(1, 0, 1, NodeFactory.REAL, SimDisk::new, SimTrace.OFF).options();
        long differing = java.util.stream.LongStream.rangeClosed(2, 20)
                .mapToObj(seed -> new Simulator(seed, 0, 1, NodeFactory.REAL, SimDisk::new, SimTrace.OFF).options())
                .filter(options -> !options.equals(a))
                .count();
        assertEquals(19, differing);
    }

    @Test
    void badArgumentsPrintOneLineAndExitWithTwo() {
        for (String[] args : new String[][] {{"--nodes", "4"}, {"--seeds"}, {"--seed", "x"}, {"--frobnicate"}}) {
            ByteArrayOutputStream err = new ByteArrayOutputStream();
            int code = SimCommand.run(args, new PrintStream(new ByteArrayOutputStream()), new PrintStream(err));
            assertEquals(2, code, String.join(" ", args));
            String text = err.toString(StandardCharsets.UTF_8);
            assertEquals(1, text.lines().count(), text);
        }
    }

    @Test
    void aReplayPrintsOneSummaryLineAndSucceeds() {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        int code = SimCommand.run(new String[] {"--seed", "7", "--ticks", "200"}, new PrintStream(out), System.err);
        assertEquals(0, code);
        assertTrue(out.toString(StandardCharsets.UTF_8).startsWith("OK: 1 seeds, "), out.toString(StandardCharsets.UTF_8));
    }

    private static String trace(long seed, int nodes) {
        StringWriter json = new StringWriter();
        new Simulator(seed, nodes, 400, NodeFactory.REAL, SimDisk::new, new SimTrace(null, json)).run();
        return json.toString();
    }
}

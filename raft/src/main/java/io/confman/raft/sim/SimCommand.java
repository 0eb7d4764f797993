package io.confman.raft.sim;

import java.io.BufferedWriter;
import java.io.IOException;
import java.io.PrintStream;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * {@code confman sim}: runs the simulator over many seeds, or replays one.
 *
 * <pre>
 * confman sim [--seeds N] [--seed S] [--nodes 3|5] [--ticks T] [--verbose] [--trace FILE]
 * </pre>
 * Exits 0 when every property held on every seed, 1 on a violation (printing the seed, the
 * property, the evidence and the command that replays it), 2 on bad arguments.
 */
public final class SimCommand {

    static final int DEFAULT_SEEDS = 1000;
    static final int DEFAULT_SAFETY_TICKS = 1000;
    static final int THREADS_MAX = 2;

    /** The parsed command line. {@code nodes} 0 lets each seed choose 3 or 5. */
    record Arguments(int seeds, Long seed, int nodes, int ticks, boolean verbose, Path trace) {
    }

    public static void main(String[] args) {
        System.exit(run(args, System.out, System.err));
    }

    static int run(String[] args, PrintStream out, PrintStream err) {
        Arguments arguments;
        try {
            arguments = parse(args);
        } catch (IllegalArgumentException e) {
            err.println("confman sim: " + e.getMessage());
            return 2;
        }
        try {
            boolean traced = arguments.seed() != null || arguments.trace() != null || arguments.verbose();
            return traced ? replay(arguments, out) : runMany(arguments, out);
        } catch (IOException e) {
            err.println("confman sim: cannot write the trace: " + e.getMessage());
            return 2;
        }
    }

    static Arguments parse(String[] args) {
        int seeds = DEFAULT_SEEDS;
        Long seed = null;
        int nodes = 0;
        int ticks = DEFAULT_SAFETY_TICKS;
        boolean verbose = false;
        Path trace = null;
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--seeds" -> seeds = positive("--seeds", value(args, ++i, "--seeds"));
                case "--seed" -> seed = number("--seed", value(args, ++i, "--seed"));
                case "--nodes" -> {
                    nodes = positive("--nodes", value(args, ++i, "--nodes"));
                    if (nodes != 3 && nodes != 5) {
                        throw new IllegalArgumentException("--nodes must be 3 or 5, was " + nodes);
                    }
                }
                case "--ticks" -> ticks = positive("--ticks", value(args, ++i, "--ticks"));
                case "--verbose" -> verbose = true;
                case "--trace" -> trace = Path.of(value(args, ++i, "--trace"));
                default -> throw new IllegalArgumentException("unknown argument '" + args[i]
                        + "' (usage: confman sim [--seeds N] [--seed S] [--nodes 3|5] [--ticks T] [--verbose] [--trace FILE])");
            }
        }
        return new Arguments(seeds, seed, nodes, ticks, verbose, trace);
    }

    private static String value(String[] args, int i, String name) {
        if (i >= args.length) {
            throw new IllegalArgumentException(name + " needs a value");
        }
        return args[i];
    }

    private static long number(String name, String text) {
        try {
            return Long.parseLong(text);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(name + " takes an integer, not '" + text + "'");
        }
    }

    private static int positive(String name, String text) {
        long value = number(name, text);
        if (value <= 0 || value > Integer.MAX_VALUE) {
            throw new IllegalArgumentException(name + " must be a positive integer, was " + text);
        }
        return (int) value;
    }

    private static int runMany(Arguments arguments, PrintStream out) {
        int threads = Math.max(1, Math.min(THREADS_MAX, Runtime.getRuntime().availableProcessors()));
        SimRunner runner = new SimRunner(arguments.nodes(), arguments.ticks(), NodeFactory.REAL, SimDisk::new, threads);
        SimRunner.Summary summary = runner.run(1, arguments.seeds(), true);
        Simulator.Result failure = summary.firstFailure();
        if (failure != null) {
            printFailure(failure, arguments, out);
        }
        out.println(summaryLine(summary));
        return failure == null ? 0 : 1;
    }

    /** Runs one seed, or all of them one after the other, with the trace switched on. */
    private static int replay(Arguments arguments, PrintStream out) throws IOException {
        long first = arguments.seed() != null ? arguments.seed() : 1;
        int count = arguments.seed() != null ? 1 : arguments.seeds();
        SimRunner runner = new SimRunner(arguments.nodes(), arguments.ticks(), NodeFactory.REAL, SimDisk::new, 1);
        long started = System.nanoTime();
        Writer json = arguments.trace() == null ? null
                : Files.newBufferedWriter(arguments.trace(), StandardCharsets.UTF_8);
        try {
            SimTrace trace = new SimTrace(arguments.verbose() ? out : null, json);
            long ticks = 0, delivered = 0, elections = 0, commits = 0;
            Simulator.Result failure = null;
            int done = 0;
            for (long seed = first; seed < first + count && failure == null; seed++) {
                Simulator.Result result = runner.runOne(seed, trace);
                done++;
                ticks += result.ticks();
                delivered += result.delivered();
                elections += result.elections();
                commits += result.commits();
                failure = result.ok() ? null : result;
            }
            if (failure != null) {
                printFailure(failure, arguments, out);
            }
            out.println(summaryLine(new SimRunner.Summary(done, ticks, delivered, elections, commits,
                    failure == null ? 0 : 1, failure, (System.nanoTime() - started) / 1_000_000)));
            return failure == null ? 0 : 1;
        } finally {
            if (json != null) {
                json.close();
            }
        }
    }

    static void printFailure(Simulator.Result failure, Arguments arguments, PrintStream out) {
        out.println("FAILED seed " + failure.seed() + " at tick " + failure.violationTick() + ": "
                + failure.violation().property());
        out.println("  evidence: " + failure.violation().getMessage());
        out.println("  options:  " + failure.options().describe());
        out.println("  replay:   " + replayCommand(failure, arguments.ticks()));
    }

    static String replayCommand(Simulator.Result failure, int ticks) {
        return "bin/confman sim --seed " + failure.seed() + " --nodes " + failure.options().nodeCount()
                + (ticks != DEFAULT_SAFETY_TICKS ? " --ticks " + ticks : "") + " --verbose";
    }

    static String summaryLine(SimRunner.Summary s) {
        double seconds = Math.max(s.elapsedMs(), 1) / 1000.0;
        return String.format("%s: %d seeds, %d ticks simulated, %d messages delivered, %d elections,"
                        + " %d commits, %.1f s (%.1f seeds/s)",
                s.firstFailure() == null ? "OK" : "FAILED", s.seeds(), s.ticks(), s.delivered(),
                s.elections(), s.commits(), seconds, s.seeds() / seconds);
    }
}

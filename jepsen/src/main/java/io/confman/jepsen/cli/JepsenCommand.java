package io.confman.jepsen.cli;

import io.confman.jepsen.checker.CheckCommand;
import io.confman.jepsen.harness.JepsenRun;
import io.confman.jepsen.harness.Nemesis;
import io.confman.jepsen.harness.NodeCluster;
import io.confman.jepsen.harness.Reports;
import io.confman.jepsen.harness.RunReport;
import io.confman.jepsen.harness.Workload;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ThreadLocalRandom;

/**
 * {@code confman jepsen}: a fault-injection run against real node processes
 * (jepsen/README.md), or, as {@code confman jepsen check FILE.edn}, the linearizability
 * check of a history already written (CHECKER.md).
 *
 * <p>Exit status of a run: 0 when the history is linearizable, no acknowledged write was
 * lost, every node was ready at the end and no election happened with no fault active;
 * 1 when any of that failed; 2 for a usage error, or when the check gave up (unknown: not
 * a pass).
 */
public final class JepsenCommand {

    static final String USAGE = "usage: confman jepsen [--nodes N] [--time SECONDS] [--nemesis partition,kill,pause|none]"
            + " [--seed S] [--out DIR] [--knossos] [--workers-per-node W] [--ops-per-key K] [--ops-max N]"
            + " [--stale-reads] [--network proxy|netns]\n"
            + "       confman jepsen check FILE.edn [--time-limit-s S] [--html DIR]";

    private JepsenCommand() {
    }

    public static void main(String[] args) {
        System.exit(run(args, System.out, System.err));
    }

    public static int run(String[] args, PrintStream out, PrintStream err) {
        if (args.length > 0 && args[0].equals("check")) {
            return CheckCommand.run(Arrays.copyOfRange(args, 1, args.length), out, err);
        }
        JepsenRun.Options options;
        try {
            options = parse(args);
        } catch (IllegalArgumentException e) {
            err.println("confman jepsen: " + e.getMessage());
            err.println(USAGE);
            return 2;
        }
        try {
            RunReport report = new JepsenRun(options, out).run();
            return Reports.finish(report, out);
        } catch (IOException e) {
            err.println("confman jepsen: " + e.getMessage());
            return 2;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            err.println("confman jepsen: interrupted");
            return 2;
        }
    }

    static JepsenRun.Options parse(String[] args) {
        Map<String, String> flags = new LinkedHashMap<>();
        Set<String> switches = Set.of("knossos", "stale-reads");
        Set<String> valued = Set.of("nodes", "time", "nemesis", "seed", "out", "workers-per-node", "ops-per-key",
                "ops-max", "network");
        for (int i = 0; i < args.length; i++) {
            String arg = args[i];
            if (!arg.startsWith("--")) {
                throw new IllegalArgumentException("unexpected argument '" + arg + "'");
            }
            String name = arg.substring(2);
            String value = null;
            int equals = name.indexOf('=');
            if (equals >= 0) {
                value = name.substring(equals + 1);
                name = name.substring(0, equals);
            }
            if (switches.contains(name) && value == null) {
                flags.put(name, "true");
            } else if (valued.contains(name)) {
                if (value == null) {
                    if (i + 1 >= args.length) {
                        throw new IllegalArgumentException("--" + name + " needs a value");
                    }
                    value = args[++i];
                }
                if (flags.put(name, value) != null) {
                    throw new IllegalArgumentException("--" + name + " given twice");
                }
            } else {
                throw new IllegalArgumentException("unknown flag --" + name);
            }
        }
        int nodes = intFlag(flags, "nodes", 3, 1, 9);
        int seconds = intFlag(flags, "time", 60, 1, 24 * 3600);
        Set<Nemesis.Kind> nemesis = Nemesis.Kind.parse(flags.getOrDefault("nemesis", "partition,kill,pause"));
        long seed = flags.containsKey("seed") ? longFlag(flags.get("seed"), "seed")
                : ThreadLocalRandom.current().nextLong(1, 1L << 48);
        Path out = Path.of(flags.getOrDefault("out", "jepsen-runs/run-" + seed));
        if (Files.exists(out.resolve("history.edn"))) {
            throw new IllegalArgumentException(out + " already holds a run (history.edn); choose another --out");
        }
        Workload.Settings defaults = Workload.Settings.DEFAULTS;
        Workload.Settings workload = new Workload.Settings(
                intFlag(flags, "workers-per-node", defaults.workersPerNode(), 1, 16), defaults.workersPerKey(),
                intFlag(flags, "ops-per-key", defaults.opsPerKey(), 2, 100_000), defaults.thinkMillisMax(),
                defaults.timeout(), flags.containsKey("stale-reads"),
                intFlag(flags, "ops-max", (int) defaults.opsMax(), 1, Integer.MAX_VALUE));
        return new JepsenRun.Options(nodes, Duration.ofSeconds(seconds), nemesis, seed, out,
                flags.containsKey("knossos"), projectRoot(), workload, NodeCluster.NodeOptions.DEFAULTS,
                Nemesis.Schedule.DEFAULTS, Duration.ofSeconds(120), flags.getOrDefault("network", "proxy"));
    }

    /** The project root when running from its built jars ({@code bin/confman} sets it), or null. */
    private static Path projectRoot() {
        String root = System.getenv("CONFMAN_ROOT");
        return root == null || root.isBlank() ? null : Path.of(root);
    }

    private static int intFlag(Map<String, String> flags, String name, int fallback, int min, int max) {
        if (!flags.containsKey(name)) {
            return fallback;
        }
        long value = longFlag(flags.get(name), name);
        if (value < min || value > max) {
            throw new IllegalArgumentException("--" + name + " must be " + min + ".." + max + ", was " + value);
        }
        return (int) value;
    }

    private static long longFlag(String text, String name) {
        try {
            return Long.parseLong(text.strip());
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("--" + name + " '" + text + "' is not a number");
        }
    }
}

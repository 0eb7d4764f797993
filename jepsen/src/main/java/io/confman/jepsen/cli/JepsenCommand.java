package io.confman.jepsen.cli;

import io.confman.cli.Flags;
import io.confman.cli.UsageException;
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
        } catch (UsageException e) {
            err.println(e.getMessage());
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

    static final String COMMAND = "confman jepsen";
    private static final Set<String> VALUED = Set.of("nodes", "time", "nemesis", "seed", "out", "workers-per-node",
            "ops-per-key", "ops-max", "network");
    private static final Set<String> SWITCHES = Set.of("knossos", "stale-reads");

    static JepsenRun.Options parse(String[] args) throws UsageException {
        Flags flags = Flags.parse(COMMAND, args, VALUED, SWITCHES);
        if (!flags.positionals().isEmpty()) {
            throw new UsageException(COMMAND + ": unexpected argument '" + flags.positionals().get(0) + "'");
        }
        int nodes = (int) flags.longValue(COMMAND, "nodes", 3, 1, 9);
        long seconds = flags.longValue(COMMAND, "time", 60, 1, 24 * 3600);
        Set<Nemesis.Kind> nemesis;
        try {
            nemesis = Nemesis.Kind.parse(flags.has("nemesis") ? flags.get("nemesis") : "partition,kill,pause");
        } catch (IllegalArgumentException e) {
            throw new UsageException(COMMAND + ": " + e.getMessage());
        }
        long seed = flags.longValue(COMMAND, "seed", ThreadLocalRandom.current().nextLong(1, 1L << 48), Long.MIN_VALUE,
                Long.MAX_VALUE);
        Path out = Path.of(flags.has("out") ? flags.get("out") : "jepsen-runs/run-" + seed);
        if (Files.exists(out.resolve("history.edn"))) {
            throw new UsageException(COMMAND + ": " + out + " already holds a run (history.edn); choose another --out");
        }
        Workload.Settings defaults = Workload.Settings.DEFAULTS;
        Workload.Settings workload = new Workload.Settings(
                (int) flags.longValue(COMMAND, "workers-per-node", defaults.workersPerNode(), 1, 16),
                defaults.workersPerKey(),
                (int) flags.longValue(COMMAND, "ops-per-key", defaults.opsPerKey(), 2, 100_000),
                defaults.thinkMillisMax(), defaults.timeout(), flags.has("stale-reads"),
                flags.longValue(COMMAND, "ops-max", defaults.opsMax(), 1, Long.MAX_VALUE));
        try {
            return new JepsenRun.Options(nodes, Duration.ofSeconds(seconds), nemesis, seed, out, flags.has("knossos"),
                    projectRoot(), workload, NodeCluster.NodeOptions.DEFAULTS, Nemesis.Schedule.DEFAULTS,
                    Duration.ofSeconds(120), flags.has("network") ? flags.get("network") : "proxy");
        } catch (IllegalArgumentException e) {
            throw new UsageException(COMMAND + ": " + e.getMessage());
        }
    }

    /** The project root when running from its built jars ({@code bin/confman} sets it), or null. */
    private static Path projectRoot() {
        String root = System.getenv("CONFMAN_ROOT");
        return root == null || root.isBlank() ? null : Path.of(root);
    }
}

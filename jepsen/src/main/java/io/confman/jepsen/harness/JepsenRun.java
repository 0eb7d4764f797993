package io.confman.jepsen.harness;

import io.confman.jepsen.history.History;
import io.confman.jepsen.history.Op;
import io.confman.jepsen.history.OpFunction;
import io.confman.jepsen.history.OpType;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * One fault-injection run, start to verdict: start the cluster and its link proxies, run
 * the clients while the nemesis injects faults, heal everything, wait for every node to be
 * ready, read every key through every node, then check the history and write the reports.
 * Every process started is stopped before {@link #run} returns, whatever happened.
 */
public final class JepsenRun {

    /** Process ids of the final reads, above any a worker can reach in a run. */
    static final long FINAL_PROCESS_BASE = 1_000_000_000L;
    static final Duration FINAL_READS_BASE = Duration.ofSeconds(60);
    static final Duration FINAL_READ_ALLOWANCE = Duration.ofMillis(200);
    static final int FINAL_NODE_FAILURES_MAX = 3;

    /**
     * @param nodes       cluster size
     * @param time        how long the clients run (the nemesis is active within it)
     * @param nemesis     the fault kinds
     * @param seed        the schedule's and the workload's seed
     * @param out         where the history, the reports and the nodes' directories go
     * @param knossos     also run Knossos through the Clojure CLI (jepsen/knossos/)
     * @param projectRoot the project's root, where jepsen/knossos/ is found (null: not known)
     * @param workload    the clients
     * @param node        the nodes' flags
     * @param schedule    the nemesis timing
     * @param recovery    how long the healed cluster may take to be ready again
     * @param network     how links are cut: {@code proxy} (TCP proxies, no privileges needed) or
     *                    {@code netns} (a network namespace per node and packet filter rules; root)
     */
    public record Options(int nodes, Duration time, Set<Nemesis.Kind> nemesis, long seed, Path out, boolean knossos,
                          Path projectRoot, Workload.Settings workload, NodeCluster.NodeOptions node,
                          Nemesis.Schedule schedule, Duration recovery, String network) {

        /** The network kinds {@link #newNetwork} builds. */
        public static final Set<String> NETWORKS = Set.of("proxy", "netns");

        public Options {
            if (!NETWORKS.contains(network)) {
                throw new IllegalArgumentException("unknown network '" + network + "' (one of " + NETWORKS + ")");
            }
        }

        /** A fresh network of this run's kind. */
        Network newNetwork() {
            return switch (network) {
                case "proxy" -> new ProxyNetwork();
                case "netns" -> NetnsNetwork.forThisProcess();
                default -> throw new IllegalStateException("unknown network " + network);
            };
        }
    }

    private final Options options;
    private final PrintStream log;

    public JepsenRun(Options options, PrintStream log) {
        this.options = options;
        this.log = log;
    }

    /** Runs, writes the reports into {@code out}, and returns what they say. */
    public RunReport run() throws IOException, InterruptedException {
        Files.createDirectories(options.out());
        RunReport.Builder report = new RunReport.Builder(options);
        log.printf("jepsen: %d nodes, %d s, nemesis %s, seed %d, output %s%n", options.nodes(),
                options.time().toSeconds(), options.nemesis().isEmpty() ? "none" : options.nemesis(), options.seed(),
                options.out());
        Recorder recorder;
        Workload workload;
        Nemesis nemesis;
        MetricsWatch metrics;
        try (NodeCluster cluster = NodeCluster.start(options.out().resolve("nodes"), options.nodes(),
                options.node(), options.newNetwork())) {
            log.println("jepsen: network: " + cluster.network().describe());
            if (!cluster.awaitReady(Duration.ofSeconds(150))) {
                report.error("the cluster was not ready within 150 s of its start; see the nodes' logs in "
                        + options.out().resolve("nodes"));
                return report.build(List.of(), List.of(), null, List.of());
            }
            recorder = new Recorder(System.nanoTime());
            metrics = new MetricsWatch(cluster, recorder);
            metrics.start();
            List<java.net.URI> urls = cluster.nodes().stream().map(NodeCluster.Node::url).toList();
            workload = new Workload(options.workload(), recorder, urls, options.seed());
            nemesis = new Nemesis(cluster, options.nemesis(), options.schedule(), recorder, options.seed() * 31 + 7);
            long stopAt = System.nanoTime() + options.time().toNanos();
            log.printf("jepsen: cluster ready; %d workers on %d nodes%n", workload.workers(), options.nodes());
            try {
                workload.start(stopAt);
                nemesis.start(stopAt);
                progressUntil(stopAt, recorder, nemesis);
                nemesis.healAll();
                if (!workload.await(options.workload().timeout().multipliedBy(3).plusSeconds(10))) {
                    report.error("clients still busy long after the run ended");
                }
                log.printf("jepsen: healed; waiting up to %d s for every node to be ready%n",
                        options.recovery().toSeconds());
                boolean ready = cluster.awaitReady(options.recovery());
                report.readyAtEnd(ready);
                finalReads(cluster, recorder, workload.keys(), report);
            } finally {
                // Also on the way out of a failure: nothing may act on the cluster once it is closed.
                workload.stop();
                try {
                    nemesis.stop();
                } finally {
                    metrics.stop();
                }
            }
            report.nemesisErrors(nemesis.errors());
        }
        List<Op> history = recorder.ops();
        History.write(history, options.out().resolve("history.edn"));
        History.writePerKey(history, options.out().resolve("history"));
        return report.build(history, nemesis.events(), metrics, workload.keys());
    }

    private void progressUntil(long stopAt, Recorder recorder, Nemesis nemesis) throws InterruptedException {
        long nextLine = System.nanoTime();
        int events = 0;
        while (System.nanoTime() < stopAt) {
            Thread.sleep(Math.max(1, Math.min(1_000, (stopAt - System.nanoTime()) / 1_000_000)));
            List<Nemesis.Event> seen = nemesis.events();
            for (; events < seen.size(); events++) {
                log.printf("jepsen: %6.1f s  nemesis %s%n", seen.get(events).startNanos() / 1e9,
                        seen.get(events).description());
            }
            if (System.nanoTime() >= nextLine) {
                log.printf("jepsen: %6.1f s  %d history events%n", recorder.now() / 1e9, recorder.size());
                nextLine = System.nanoTime() + 10_000_000_000L;
            }
        }
    }

    /**
     * After recovery, reads every key through every node as ordinary history operations (so a
     * lost acknowledged write makes the history non-linearizable), then checks that every
     * node's local copy converges to the value read. Bounded: {@link #FINAL_READS_BASE} plus
     * {@link #FINAL_READ_ALLOWANCE} per read in all, and a node that fails
     * {@link #FINAL_NODE_FAILURES_MAX} keys in a row is not asked again; every read not
     * made counts as failed.
     */
    private void finalReads(NodeCluster cluster, Recorder recorder, List<String> keys, RunReport.Builder report)
            throws InterruptedException {
        List<NodeCluster.Node> nodes = cluster.nodes();
        List<RegisterClient> clients = nodes.stream()
                .map(node -> new RegisterClient(node.url(), Duration.ofSeconds(10))).toList();
        long deadline = System.nanoTime() + FINAL_READS_BASE.plus(FINAL_READ_ALLOWANCE
                .multipliedBy((long) keys.size() * nodes.size())).toNanos();
        int[] failuresInARow = new int[nodes.size()];
        List<Long> finalValues = new ArrayList<>();
        for (String key : keys) {
            Long agreed = null;
            for (int i = 0; i < nodes.size(); i++) {
                if (failuresInARow[i] >= FINAL_NODE_FAILURES_MAX || System.nanoTime() > deadline) {
                    report.finalRead(false);
                    continue;
                }
                long process = FINAL_PROCESS_BASE + i;
                RegisterClient.Outcome outcome = null;
                for (int attempt = 0; attempt < 3; attempt++) {
                    recorder.invoke(process, OpFunction.READ, key, null);
                    outcome = clients.get(i).read(key, false);
                    OpType type = OpType.ofKeyword(outcome.type());
                    recorder.complete(process, type, OpFunction.READ, key, outcome.value(), outcome.error());
                    if (type == OpType.OK) {
                        break;
                    }
                    Thread.sleep(200L << attempt);
                }
                boolean ok = outcome.type().equals("ok");
                report.finalRead(ok);
                failuresInARow[i] = ok ? 0 : failuresInARow[i] + 1;
                if (ok) {
                    agreed = outcome.value();
                }
            }
            finalValues.add(agreed);
        }
        // Convergence: each node's own copy (a stale read) reaches the value read above. A node
        // the reads above gave up on is reported once; past the deadline the rest are reported
        // unread, so this phase too ends in bounded time.
        long convergeBy = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        RegisterClient.Outcome notRead = new RegisterClient.Outcome("fail", null, "not-read");
        for (int i = 0; i < nodes.size(); i++) {
            NodeCluster.Node node = nodes.get(i);
            if (failuresInARow[i] >= FINAL_NODE_FAILURES_MAX) {
                report.divergent(node.id() + ": not checked, it failed " + FINAL_NODE_FAILURES_MAX
                        + " final reads in a row");
                continue;
            }
            RegisterClient client = new RegisterClient(node.url(), Duration.ofSeconds(2));
            for (int k = 0; k < keys.size(); k++) {
                Long expected = finalValues.get(k);
                if (expected == null) {
                    continue;
                }
                while (true) {
                    RegisterClient.Outcome local = System.nanoTime() > convergeBy ? notRead
                            : client.read(keys.get(k), true);
                    if (local.type().equals("ok") && expected.equals(local.value())) {
                        break;
                    }
                    if (System.nanoTime() > convergeBy) {
                        report.divergent(node.id() + " " + keys.get(k) + ": local " + local.value() + " ("
                                + (local.error() == null ? "ok" : local.error()) + "), agreed " + expected);
                        break;
                    }
                    Thread.sleep(100);
                }
            }
        }
    }
}

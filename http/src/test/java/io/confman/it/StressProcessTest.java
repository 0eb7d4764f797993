package io.confman.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.confman.testing.RawHttp;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.CleanupMode;
import org.junit.jupiter.api.io.TempDir;

/**
 * 10,000 PUTs at 64 concurrent clients against three real node processes that snapshot every
 * 50 entries (spaced by the node so that snapshots take at most about a quarter of its time),
 * after a warm-up of 10,000 PUTs to 100 keys. What must hold: the run ends within a minute,
 * every snapshot of the run takes under half the election timeout (the timing order, with
 * the node's margin; how many reached 100 ms is printed), no leader
 * changed during the run, no node logged an error or a decoding failure, and every node
 * exits on SIGTERM. It prints the elapsed time, the throughput, the CPU time used, the
 * snapshot counts and the breakdown of any slow snapshot (run alone with
 * {@code -Dgroups=process}).
 */
@Tag("process")
class StressProcessTest {

    static final int PUTS = 10_000;
    static final int WARMUP_PUTS = Integer.getInteger("stress.warmupPuts", 10_000);
    /** The warm-up overwrites a few keys, so that the measured run starts from a small store. */
    static final int WARMUP_KEYS = 100;
    static final int CLIENTS = 64;
    static final int VALUE_BYTES = 100;
    static final Duration RUN_DEADLINE = Duration.ofSeconds(60);
    static final String SNAPSHOT_HISTOGRAM = "confman_snapshot_save_duration_seconds";
    static final String LEADER_CHANGES = "confman_server_leader_changes_seen_total";

    @TempDir(cleanup = CleanupMode.ON_SUCCESS) // A failed run keeps its node logs.
    Path root;

    private ProcessCluster cluster;

    @AfterEach
    void killCluster() {
        if (cluster != null) {
            cluster.close();
        }
    }

    @Test
    void tenThousandPutsAt64ClientsWithFrequentSnapshots() throws Exception {
        cluster = new ProcessCluster(root, 3, List.of("--snapshot-interval", System.getProperty("stress.snapshotInterval", "50")));
        cluster.startAll();
        cluster.awaitReady();
        String leader = cluster.awaitLeader();
        // Fresh JVMs interpret, then compile, the write path: three nodes' JIT compilers and
        // the load share two cores. A warm-up run first, so that the figures are of the
        // system rather than of its start (as a benchmark's warm-up iterations are).
        assertEquals(0, runPuts(cluster.url(leader), "warmup", WARMUP_PUTS, WARMUP_KEYS), "warm-up PUTs not acknowledged");
        Map<String, Double> leaderChangesBefore = metricOnEveryNode(LEADER_CHANGES);
        Map<String, Long> termBefore = termOnEveryNode();
        Map<String, String> metricsBefore = new HashMap<>();
        for (String id : cluster.ids()) {
            metricsBefore.put(id, cluster.get(id, "/metrics").orElseThrow().body());
        }

        Map<String, Long> logLinesBefore = new HashMap<>();
        Map<String, double[]> cpuBefore = new HashMap<>();
        for (String id : cluster.ids()) {
            logLinesBefore.put(id, cluster.log(id).lines().count());
            cpuBefore.put(id, cluster.cpuSeconds(id));
        }
        com.sun.management.OperatingSystemMXBean self = (com.sun.management.OperatingSystemMXBean)
                java.lang.management.ManagementFactory.getOperatingSystemMXBean();
        long clientCpuBefore = self.getProcessCpuTime();
        long started = System.nanoTime();
        long failed = runPuts(cluster.url(leader), "stress", PUTS, PUTS);
        double seconds = (System.nanoTime() - started) / 1e9;
        System.out.printf(Locale.ROOT, "stress: %d PUTs at %d clients in %.2f s, %.0f PUT/s, %d failed%n", PUTS, CLIENTS,
                seconds, PUTS / seconds, failed);
        double[] cpu = new double[2];
        for (String id : cluster.ids()) {
            double[] after = cluster.cpuSeconds(id);
            cpu[0] += after[0] - cpuBefore.get(id)[0];
            cpu[1] += after[1] - cpuBefore.get(id)[1];
        }
        System.out.printf(Locale.ROOT, "stress: the three nodes used %.2f s of CPU (%.2f user, %.2f system),"
                + " %.0f us per PUT; this JVM (the clients) used %.2f s%n", cpu[0] + cpu[1], cpu[0], cpu[1],
                (cpu[0] + cpu[1]) * 1e6 / PUTS, (self.getProcessCpuTime() - clientCpuBefore) / 1e9);

        Map<String, String> metrics = new HashMap<>();
        for (String id : cluster.ids()) {
            metrics.put(id, cluster.get(id, "/metrics").orElseThrow().body());
            double count = delta(metricsBefore, metrics, id, SNAPSHOT_HISTOGRAM + "_count", null);
            double fast = delta(metricsBefore, metrics, id, SNAPSHOT_HISTOGRAM + "_bucket", "0.1");
            double sumSeconds = delta(metricsBefore, metrics, id, SNAPSHOT_HISTOGRAM + "_sum", null);
            // Printed before the checks, so that a failed run says how far off it was.
            System.out.printf(Locale.ROOT, "stress: %s took %.0f snapshots, %.0f of them 100 ms or more, mean %.1f ms;"
                    + " load average %.2f%n", id, count, count - fast, count == 0 ? 0 : sumSeconds * 1000 / count,
                    java.lang.management.ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage());
        }
        for (String id : cluster.ids()) { // The breakdown of each slow snapshot of the measured run.
            cluster.log(id).lines().skip(logLinesBefore.get(id)).filter(line -> line.contains("a snapshot took"))
                    .forEach(line -> System.out.println("stress: " + id + " "
                            + line.substring(line.indexOf("a snapshot took"))));
        }
        assertEquals(0, failed, "PUTs not acknowledged");
        assertTrue(seconds < RUN_DEADLINE.toSeconds(), "the run took " + seconds + " s");
        for (String id : cluster.ids()) {
            double count = delta(metricsBefore, metrics, id, SNAPSHOT_HISTOGRAM + "_count", null);
            double withinHalf = delta(metricsBefore, metrics, id, SNAPSHOT_HISTOGRAM + "_bucket", "0.5");
            assertTrue(count > 0, id + " took no snapshot");
            // The timing order (snapshot < election timeout 1 s < request timeout), with the
            // node's own margin: every snapshot of the run under half the election timeout, where
            // the node starts to warn. The 100 ms aim is a figure to watch, printed above with the
            // breakdown of each snapshot that missed it: on two shared cores it depends on what
            // else the machine runs (2026-11-26: 0 to 2 of 60 to 85 per node at load average 7
            // to 12, for this code and for the code before the blob store alike).
            assertEquals(count, withinHalf, id + ": snapshots of half the election timeout or more (of " + count
                    + ")");
        }
        assertEquals(leaderChangesBefore, metricOnEveryNode(LEADER_CHANGES), "a leader changed during the run");
        assertEquals(termBefore, termOnEveryNode(), "a term changed during the run");
        for (String id : cluster.ids()) {
            List<String> bad = cluster.log(id).lines().filter(line -> line.contains(" ERROR ")
                    || line.toLowerCase(Locale.ROOT).contains("decod") || line.contains("MALFORMED")
                    || line.contains("BAD_CRC")).toList();
            assertTrue(bad.isEmpty(), id + " logged: " + bad);
        }
        for (String id : cluster.ids()) {
            // 128 + SIGTERM: the JVM exited on SIGTERM within the grace period, after its
            // shutdown hooks, rather than being killed (137).
            assertEquals(143, cluster.stop(id), id + " did not exit on SIGTERM after the load");
        }
    }

    /**
     * PUTs {@code puts} times to {@code keys} distinct keys of {@code namespace} from
     * {@link #CLIENTS} threads, each on its own keep-alive connection; returns how many were
     * not acknowledged. The client is a raw socket on purpose: java.net.http spends more CPU
     * per request than the three nodes together, and on two cores it would starve them (the
     * snapshots measured here included).
     */
    private long runPuts(String url, String namespace, long puts, long keys) throws Exception {
        URI base = URI.create(url);
        InetSocketAddress address = new InetSocketAddress(base.getHost(), base.getPort());
        String value = "v".repeat(VALUE_BYTES);
        AtomicLong next = new AtomicLong();
        AtomicLong failed = new AtomicLong();
        ExecutorService clients = Executors.newFixedThreadPool(CLIENTS);
        try {
            List<Future<?>> running = new ArrayList<>();
            for (int c = 0; c < CLIENTS; c++) {
                running.add(clients.submit(() -> {
                    try (RawHttp connection = new RawHttp(address, Duration.ofSeconds(30))) {
                        for (long i = next.getAndIncrement(); i < puts; i = next.getAndIncrement()) {
                            if (!putOnce(connection, namespace, "key-" + i % keys, value)) {
                                failed.incrementAndGet();
                            }
                        }
                    }
                    return null;
                }));
            }
            for (Future<?> future : running) {
                future.get(RUN_DEADLINE.toSeconds() * 2, TimeUnit.SECONDS);
            }
        } finally {
            clients.shutdownNow();
        }
        return failed.get();
    }

    /** One PUT; a 429 (never proposed) is retried after a pause, anything else counts as it is. */
    private static boolean putOnce(RawHttp connection, String namespace, String key, String value)
            throws Exception {
        for (int attempt = 0; attempt < 100; attempt++) {
            int status = connection.request("PUT", "/v1/kv/" + namespace + "/" + key, value).status();
            if (status != 429) {
                return status / 100 == 2;
            }
            Thread.sleep(10);
        }
        return false;
    }

    /** How much a counter or histogram sample of node {@code id} grew between two scrapes. */
    private static double delta(Map<String, String> before, Map<String, String> after, String id, String name,
                                String le) {
        return sample(after.get(id), name, le) - sample(before.get(id), name, le);
    }

    private Map<String, Double> metricOnEveryNode(String name) {
        Map<String, Double> values = new HashMap<>();
        for (String id : cluster.ids()) {
            values.put(id, sample(cluster.get(id, "/metrics").orElseThrow().body(), name, null));
        }
        return values;
    }

    private Map<String, Long> termOnEveryNode() {
        Map<String, Long> terms = new HashMap<>();
        for (String id : cluster.ids()) {
            terms.put(id, ProcessCluster.jsonLong(cluster.get(id, "/v1/status").orElseThrow().body(), "term"));
        }
        return terms;
    }

    /**
     * The value of the sample {@code name} in Prometheus text, with {@code le="<le>"} among its
     * labels when {@code le} is given. Fails when the sample is missing.
     */
    static double sample(String metrics, String name, String le) {
        for (String line : metrics.lines().toList()) {
            if (line.startsWith("#") || !(line.startsWith(name + " ") || line.startsWith(name + "{"))) {
                continue;
            }
            if (le != null && !line.contains("le=\"" + le + "\"")) {
                continue;
            }
            return Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1));
        }
        throw new AssertionError("no sample " + name + (le == null ? "" : "{le=\"" + le + "\"}") + " in /metrics");
    }
}

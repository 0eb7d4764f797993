package io.confman.jepsen.harness;

import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Reads every node's {@code /metrics} once a second during a run: elections started and
 * leader changes, to find elections that happened while no fault was active (the timing
 * rule of the node: snapshot and fsync time below the election timeout, so a healthy
 * cluster never elects), and the fsync and snapshot duration histograms, to report their
 * p99 against the election timeout.
 */
public final class MetricsWatch {

    static final String ELECTIONS = "confman_raft_elections_started_total";
    static final String LEADER_CHANGES = "confman_server_leader_changes_seen_total";
    static final String FSYNC = "confman_disk_wal_fsync_duration_seconds";
    static final String SNAPSHOT = "confman_snapshot_save_duration_seconds";

    /** Elections a node started between two samples, with the sample times (ns since the run began). */
    public record Elections(String node, long afterNanos, long byNanos, long count) {
    }

    private final NodeCluster cluster;
    private final Recorder clock;
    private final Map<String, Long> lastElections = new HashMap<>();
    private final Map<String, Long> lastSampleNanos = new HashMap<>();
    private final Map<String, Long> lastPid = new HashMap<>();
    /** The last histogram seen from each process (node and pid): a restart starts from zero. */
    private final Map<String, Map<String, TreeMap<Double, Long>>> histograms = new LinkedHashMap<>();
    private final List<Elections> elections = new ArrayList<>();
    private final Map<String, Long> lastLeaderChanges = new HashMap<>();
    private long leaderChangesSeen;
    private volatile boolean stopped;
    private Thread thread;

    public MetricsWatch(NodeCluster cluster, Recorder clock) {
        this.cluster = cluster;
        this.clock = clock;
    }

    public void start() {
        thread = new Thread(() -> {
            while (!stopped) {
                sampleAll();
                try {
                    Thread.sleep(1_000);
                } catch (InterruptedException e) {
                    return;
                }
            }
        }, "jepsen-metrics");
        thread.setDaemon(true);
        thread.start();
    }

    /** Takes a last sample of every node and stops. */
    public void stop() throws InterruptedException {
        stopped = true;
        if (thread != null) {
            thread.interrupt();
            thread.join(10_000);
        }
        sampleAll();
    }

    private void sampleAll() {
        for (NodeCluster.Node node : cluster.nodes()) {
            if (!node.running() || node.paused()) {
                continue;
            }
            long pid = node.pid();
            HttpResponse<String> response = cluster.get(node, "/metrics", Duration.ofSeconds(1));
            long at = clock.now();
            if (response == null || response.statusCode() != 200) {
                continue;
            }
            record(node.id(), pid, at, response.body());
        }
    }

    synchronized void record(String node, long pid, long atNanos, String text) {
        Map<String, Double> values = new HashMap<>();
        Map<String, TreeMap<Double, Long>> buckets = new HashMap<>();
        for (String line : text.split("\n")) {
            if (line.startsWith("#") || line.isBlank()) {
                continue;
            }
            int space = line.lastIndexOf(' ');
            if (space < 0) {
                continue;
            }
            String name = line.substring(0, space);
            double value;
            try {
                value = Double.parseDouble(line.substring(space + 1));
            } catch (NumberFormatException e) {
                continue;
            }
            for (String histogram : List.of(FSYNC, SNAPSHOT)) {
                String prefix = histogram + "_bucket{le=\"";
                if (name.startsWith(prefix)) {
                    String bound = name.substring(prefix.length(), name.indexOf('"', prefix.length()));
                    double le = bound.equals("+Inf") ? Double.POSITIVE_INFINITY : Double.parseDouble(bound);
                    buckets.computeIfAbsent(histogram, h -> new TreeMap<>()).put(le, (long) value);
                }
            }
            values.put(name, value);
        }
        histograms.put(node + "/" + pid, buckets);
        boolean sameProcess = lastPid.containsKey(node) && lastPid.get(node) == pid;
        Double changes = values.get(LEADER_CHANGES);
        if (changes != null) {
            long seen = changes.longValue();
            Long before = lastLeaderChanges.get(node);
            // A node's first sample is the baseline (the cluster's first leader, seen before the
            // clients started); a restarted process counts from zero.
            if (before != null) {
                leaderChangesSeen += sameProcess ? Math.max(0, seen - before) : seen;
            }
            lastLeaderChanges.put(node, seen);
        }
        Double started = values.get(ELECTIONS);
        if (started == null) {
            lastPid.put(node, pid);
            return;
        }
        long count = started.longValue();
        Long previous = lastElections.get(node);
        if (previous != null && sameProcess && count > previous) {
            elections.add(new Elections(node, lastSampleNanos.get(node), atNanos, count - previous));
        } else if (!sameProcess && previous != null && count > 0) {
            // A restarted process: its elections since its start, bounded by its previous sample.
            elections.add(new Elections(node, lastSampleNanos.get(node), atNanos, count));
        }
        lastElections.put(node, count);
        lastSampleNanos.put(node, atNanos);
        lastPid.put(node, pid);
    }

    /** Leader changes every node saw (each node counts its own), over every process of the run. */
    public synchronized long leaderChangesSeen() {
        return leaderChangesSeen;
    }

    /** Elections seen, each bounded by the two samples between which it started. */
    public synchronized List<Elections> elections() {
        return List.copyOf(elections);
    }

    /**
     * The upper bound of the bucket holding the 99th percentile of {@code histogram} over
     * every process of the run (all nodes, every restart), in seconds; NaN with no samples.
     */
    public synchronized double p99Seconds(String histogram) {
        TreeMap<Double, Long> total = new TreeMap<>();
        for (Map<String, TreeMap<Double, Long>> process : histograms.values()) {
            TreeMap<Double, Long> buckets = process.get(histogram);
            if (buckets != null) {
                buckets.forEach((le, count) -> total.merge(le, count, Long::sum));
            }
        }
        return quantileBound(total, 0.99);
    }

    /** Observations counted in {@code histogram} over every process of the run. */
    public synchronized long count(String histogram) {
        long count = 0;
        for (Map<String, TreeMap<Double, Long>> process : histograms.values()) {
            TreeMap<Double, Long> buckets = process.get(histogram);
            if (buckets != null && !buckets.isEmpty()) {
                count += buckets.lastEntry().getValue();
            }
        }
        return count;
    }

    /** Cumulative buckets (Prometheus {@code le}) to the bound of the bucket holding quantile q. */
    static double quantileBound(TreeMap<Double, Long> cumulative, double q) {
        if (cumulative.isEmpty() || cumulative.lastEntry().getValue() == 0) {
            return Double.NaN;
        }
        long total = cumulative.lastEntry().getValue();
        double rank = Math.ceil(q * total);
        for (Map.Entry<Double, Long> bucket : cumulative.entrySet()) {
            if (bucket.getValue() >= rank) {
                return bucket.getKey();
            }
        }
        return Double.POSITIVE_INFINITY;
    }
}

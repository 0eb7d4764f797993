package io.confman.jepsen.harness;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;

/** Reading the nodes' metrics: elections between samples, restarts, histogram quantiles, quiet periods. */
class MetricsWatchTest {

    private static String metrics(long elections, long... fsyncBuckets) {
        String[] bounds = {"0.001", "0.01", "0.1", "1.0", "+Inf"};
        StringBuilder text = new StringBuilder("# HELP confman_raft_elections_started_total x\n")
                .append("confman_raft_elections_started_total ").append(elections).append(".0\n");
        for (int i = 0; i < fsyncBuckets.length; i++) {
            text.append("confman_disk_wal_fsync_duration_seconds_bucket{le=\"").append(bounds[i]).append("\"} ")
                    .append(fsyncBuckets[i]).append('\n');
        }
        return text.toString();
    }

    @Test
    void electionsAreCountedBetweenSamplesAndAcrossRestarts() {
        MetricsWatch watch = new MetricsWatch(null, new Recorder(System.nanoTime()));
        watch.record("n1", 100, 1_000, metrics(1, 5, 9, 10, 10, 10));
        watch.record("n1", 100, 2_000, metrics(1, 5, 9, 10, 10, 10));
        assertTrue(watch.elections().isEmpty(), "the election before the first sample is the baseline");
        watch.record("n1", 100, 3_000, metrics(3, 5, 9, 10, 10, 10));
        assertEquals(List.of(new MetricsWatch.Elections("n1", 2_000, 3_000, 2)), watch.elections());
        // A restarted process counts from zero; its own elections are still seen.
        watch.record("n1", 200, 4_000, metrics(1, 1, 1, 1, 1, 1));
        assertEquals(new MetricsWatch.Elections("n1", 3_000, 4_000, 1), watch.elections().get(1));
        watch.record("n1", 200, 5_000, metrics(1, 1, 1, 1, 1, 1));
        assertEquals(2, watch.elections().size());
        // Histograms add up over every process: 11 syncs, the 99th in the 0.01 s bucket or above.
        assertEquals(11, watch.count(MetricsWatch.FSYNC));
        assertEquals(0.1, watch.p99Seconds(MetricsWatch.FSYNC));
        assertTrue(Double.isNaN(watch.p99Seconds(MetricsWatch.SNAPSHOT)));
    }

    @Test
    void leaderChangesAddUpOverNodesAndRestarts() {
        MetricsWatch watch = new MetricsWatch(null, new Recorder(System.nanoTime()));
        watch.record("n1", 100, 1_000, "confman_server_leader_changes_seen_total 1.0\n");
        watch.record("n2", 101, 1_000, "confman_server_leader_changes_seen_total 1.0\n");
        watch.record("n1", 100, 2_000, "confman_server_leader_changes_seen_total 3.0\n");
        watch.record("n1", 200, 3_000, "confman_server_leader_changes_seen_total 1.0\n");
        assertEquals(2 + 1, watch.leaderChangesSeen(), "each node's first sample is the baseline");
    }

    @Test
    void quantileBoundPicksTheBucketHoldingTheRank() {
        TreeMap<Double, Long> cumulative = new TreeMap<>();
        cumulative.put(0.001, 90L);
        cumulative.put(0.01, 99L);
        cumulative.put(0.1, 100L);
        cumulative.put(Double.POSITIVE_INFINITY, 100L);
        assertEquals(0.01, MetricsWatch.quantileBound(cumulative, 0.99));
        assertEquals(0.001, MetricsWatch.quantileBound(cumulative, 0.5));
        assertEquals(0.1, MetricsWatch.quantileBound(cumulative, 1.0));
    }

    @Test
    void anElectionNearAFaultIsTheFaultsDoing() {
        List<Nemesis.Event> faults = List.of(new Nemesis.Event(10_000_000_000L, 15_000_000_000L, "kill", "kill -9 n1"));
        assertTrue(RunReport.duringFault(new MetricsWatch.Elections("n2", 11_000_000_000L, 12_000_000_000L, 1),
                faults));
        assertTrue(RunReport.duringFault(new MetricsWatch.Elections("n2", 16_000_000_000L, 17_000_000_000L, 1),
                faults), "within the margin after the heal");
        assertFalse(RunReport.duringFault(new MetricsWatch.Elections("n2", 30_000_000_000L, 31_000_000_000L, 1),
                faults));
        assertFalse(RunReport.duringFault(new MetricsWatch.Elections("n2", 1_000_000_000L, 2_000_000_000L, 1),
                faults));
        // In the quiet gap between two faults, and just before one: no excuse.
        List<Nemesis.Event> two = List.of(faults.get(0),
                new Nemesis.Event(21_000_000_000L, 25_000_000_000L, "partition", "halves"));
        assertFalse(RunReport.duringFault(new MetricsWatch.Elections("n2", 18_000_000_000L, 19_000_000_000L, 1), two));
        assertFalse(RunReport.duringFault(new MetricsWatch.Elections("n2", 19_500_000_000L, 20_900_000_000L, 1), two));
        assertTrue(RunReport.duringFault(new MetricsWatch.Elections("n2", 20_500_000_000L, 21_500_000_000L, 1), two));
        assertTrue(RunReport.duringFault(new MetricsWatch.Elections("n2", 20_000_000_000L, 21_000_000_000L, 1),
                List.of(new Nemesis.Event(19_000_000_000L, -1, "pause", "SIGSTOP n1"))), "a fault still active");
    }
}

package io.confman.bench.compare;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Medians over rounds, the ratios, a missing peer, a failed run, and the plot's bars. */
class CompareReportTest {

    private static String line(String system, int round, String workload, double opsPerS, double p99, double cpu) {
        return "{\"system\":\"" + system + "\",\"round\":" + round + ",\"workload\":\"" + workload
                + "\",\"idle_before_pct\":97,\"result\":{\"ops\":1000,\"seconds\":1.0,\"ops_per_s\":" + opsPerS
                + ",\"p50_ms\":1.0,\"p99_ms\":" + p99 + ",\"p999_ms\":" + (p99 * 2) + ",\"errors\":0,"
                + "\"intervals\":[{\"ops\":1000,\"p50_ms\":1.0}],\"server_cpu_ms_per_op\":" + cpu + "}}";
    }

    @Test
    void mediansOverRoundsAndTheirRatios(@TempDir Path dir) throws IOException {
        Path results = dir.resolve("results.jsonl");
        Files.write(results, List.of(
                line("confman", 1, "put-c64", 3000, 50, 0.2),
                line("etcd", 1, "put-c64", 2000, 40, 0.3),
                line("etcd", 2, "put-c64", 1000, 80, 0.4),
                line("confman", 2, "put-c64", 9000, 10, 0.1),
                line("confman", 3, "put-c64", 4000, 30, 0.3),
                line("etcd", 3, "put-c64", 2500, 60, 0.5),
                line("confman", 1, "put-100MiB-c1", 1, 2000, 3000).replace("\"idle_before_pct\":97",
                        "\"idle_before_pct\":71,\"leader_first\":false"),
                "{\"system\":\"etcd\",\"round\":1,\"workload\":\"get-c16\",\"idle_before_pct\":99,\"result\":null}",
                ""), StandardCharsets.UTF_8);
        List<CompareReport.Run> runs = CompareReport.read(results);
        assertEquals(7, runs.size(), "a run without a summary is no figure");
        Map<String, Map<String, CompareReport.Medians>> medians = CompareReport.medians(runs);
        CompareReport.Medians confman = medians.get("put-c64").get("confman");
        assertEquals(4000, confman.opsPerS(), "the middle of 3000, 4000, 9000");
        assertEquals(30, confman.p99());
        assertEquals(0.2, confman.cpuMsPerOp());
        assertEquals(2000, medians.get("put-c64").get("etcd").opsPerS());
        String table = CompareReport.table(medians);
        assertTrue(table.contains("| put-c64 | 4,000 | 2,000 | 2.00x | 1.00 / 30.00 / 60.00 | 1.00 / 60.00 / 120.00"
                + " | 0.50x | 0.200 | 0.400 | 3 + 3 | 0 + 0 |"), table);
        assertTrue(table.contains("| put-100MiB-c1 | 1.0 | n/a | — |"), "no etcd figure, no ratio: " + table);
        assertEquals("""

                round 1, confman, put-100MiB-c1: started with the CPUs 71 % idle
                round 1, confman, put-100MiB-c1: the first URL was not the leader's
                """, CompareReport.caveats(runs));
        String svg = CompareReport.svg(medians);
        assertEquals(3 + 3 + 3, svg.split("<rect x=").length - 1, "three percentiles per system and workload");
        assertTrue(svg.contains("put-c64 confman p99: 30.000 ms"), svg);
    }

    @Test
    void anEvenNumberOfRoundsTakesTheMeanOfTheMiddleTwo() {
        Map<String, Object> one = Map.of("ops_per_s", 10.0);
        Map<String, Object> two = Map.of("ops_per_s", 20.0);
        assertEquals(15, CompareReport.median(List.of(new CompareReport.Run("etcd", 1, "w", one),
                new CompareReport.Run("etcd", 2, "w", two)), "ops_per_s"));
        assertTrue(Double.isNaN(CompareReport.median(List.of(new CompareReport.Run("etcd", 1, "w", one)), "p99_ms")));
    }
}

package io.confman.bench.compare;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.confman.bench.Programs;
import io.confman.cli.NodeJvm;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code bench/compare.sh} end to end in its quick mode, one round of two workloads: both
 * clusters started, warmed, measured and stopped, the limits probed, the raw lines, the
 * table and the plot written, and no server process left running. The figures mean nothing
 * here. The script's launcher is pointed at this build ({@code CONFMAN_CMD},
 * {@code CONFMAN_CLASSPATH}), so nothing is built from inside the test. Runs only where etcd
 * is installed (Debian's {@code etcd-server}).
 */
class CompareScriptTest {

    static final long SCRIPT_DEADLINE_S = 600;

    @Test
    void oneQuickRoundOfBothSystems(@TempDir Path dir) throws IOException, InterruptedException {
        assumeTrue(Programs.onPath("etcd") && Programs.onPath("python3"), "etcd (Debian: etcd-server) and python3 are needed");
        Path launcher = launcher(dir);
        Path out = dir.resolve("run");
        ProcessBuilder builder = new ProcessBuilder("bash", "compare.sh", "--quick", "--rounds", "1",
                "--workloads", "put-c16,cas-8keys-c16", "--out", out.toString())
                .redirectErrorStream(true).redirectOutput(dir.resolve("compare.log").toFile());
        builder.environment().put("CONFMAN_CMD", launcher.toString());
        builder.environment().put("CONFMAN_CLASSPATH", System.getProperty("java.class.path"));
        // On a busy CI machine the idle wait would take its 120 s before every run.
        builder.environment().put("COMPARE_IDLE_WAIT_S", "5");
        Process compare = builder.start();
        compare.getOutputStream().close();
        boolean finished;
        try {
            finished = compare.waitFor(SCRIPT_DEADLINE_S, TimeUnit.SECONDS);
        } finally {
            if (compare.isAlive()) {
                compare.destroy(); // its EXIT trap stops both clusters
                compare.waitFor(60, TimeUnit.SECONDS);
                compare.destroyForcibly();
            }
            stopLeftovers(out);
        }
        String log = Files.readString(dir.resolve("compare.log"), StandardCharsets.UTF_8);
        System.out.println(log); // Kept in the test's report.
        assertTrue(finished, "compare.sh did not finish within " + SCRIPT_DEADLINE_S + " s: " + log);
        assertEquals(0, compare.exitValue(), log);

        List<CompareReport.Run> runs = CompareReport.read(out.resolve("results.jsonl"));
        assertEquals(4, runs.size(), "two workloads on two systems: " + runs);
        for (CompareReport.Run run : runs) {
            assertEquals(0, run.number("errors"), run.toString());
            assertTrue(run.number("ops_per_s") > 0, run.toString());
            assertTrue(run.number("server_cpu_ms") > 0, "the servers' CPU time was read: " + run);
            assertEquals(run.system(), run.result().get("api"), "the system named is the one measured");
            assertTrue(run.leaderFirst(), "the leader's URL came first: " + run);
            assertTrue(run.number("warmup_ops") > 0, "the driver warmed up, scaled down: " + run);
        }
        String table = Files.readString(out.resolve("summary.md"), StandardCharsets.UTF_8);
        assertTrue(table.contains("| put-c16 | ") && table.contains("| cas-8keys-c16 | "), table);
        assertTrue(log.contains(table.lines().skip(2).findFirst().orElseThrow()), "the table is printed: " + log);
        assertTrue(Files.readString(out.resolve("latency.svg")).startsWith("<svg"));
        String limits = Files.readString(out.resolve("limits.txt"));
        assertTrue(limits.contains("fdatasync_4k_per_s=") && limits.contains("loopback_rtt_us_p50="), limits);
        assertEquals(List.of(), serversStillRunning(out), "processes started for the run still run");
        assertFalse(Files.exists(out.resolve("cluster-confman")) || Files.exists(out.resolve("cluster-etcd")),
                "the clusters' data is removed after each round");
    }

    /** Stops any cluster the script left recorded (it was killed, or failed before its cleanup). */
    private static void stopLeftovers(Path out) throws IOException, InterruptedException {
        for (String system : List.of("confman", "etcd")) {
            Path cluster = out.resolve("cluster-" + system);
            if (Files.exists(cluster.resolve("pids"))) {
                Process stop = new ProcessBuilder("bash", "peers/" + system + ".sh", "stop", cluster.toString())
                        .redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
                if (!stop.waitFor(60, TimeUnit.SECONDS)) {
                    stop.destroyForcibly();
                }
            }
        }
    }

    /** A stand-in for bin/confman with the two commands the scripts use, on this JVM's classpath. */
    private static Path launcher(Path dir) throws IOException {
        String node = quote(NodeJvm.command("-Xmx256m", NodeJvm.GC_FLAGS, List.of()));
        String driver = quote(NodeJvm.command("-Xmx256m", List.of(), List.of()));
        Path launcher = dir.resolve("confman");
        Files.writeString(launcher, "#!/usr/bin/env bash\ncommand=${1:-}; shift || true\ncase \"$command\" in\n"
                + "  server) exec " + node + " io.confman.cli.Main server \"$@\" ;;\n"
                + "  bench) exec " + driver + " io.confman.bench.load.BenchCommand \"$@\" ;;\n"
                + "  *) echo \"unexpected command '$command'\" >&2; exit 2 ;;\nesac\n", StandardCharsets.UTF_8);
        Files.setPosixFilePermissions(launcher, PosixFilePermissions.fromString("rwxr-xr-x"));
        return launcher;
    }

    private static String quote(List<String> words) {
        return words.stream().map(w -> "'" + w.replace("'", "'\\''") + "'").collect(Collectors.joining(" "));
    }

    /** Running (not zombie) processes whose command line names the run directory. */
    private static List<String> serversStillRunning(Path out) throws IOException {
        String marker = out.toString();
        try (Stream<Path> procs = Files.list(Path.of("/proc"))) {
            return procs.filter(p -> p.getFileName().toString().chars().allMatch(Character::isDigit))
                    .flatMap(p -> {
                        try {
                            String cmdline = Files.readString(p.resolve("cmdline"), StandardCharsets.ISO_8859_1)
                                    .replace('\0', ' ');
                            String stat = Files.readString(p.resolve("stat"), StandardCharsets.ISO_8859_1);
                            boolean zombie = stat.charAt(stat.lastIndexOf(')') + 2) == 'Z';
                            return cmdline.contains(marker) && !zombie ? Stream.of(p.getFileName() + ": " + cmdline)
                                    : Stream.empty();
                        } catch (IOException | RuntimeException gone) {
                            return Stream.empty();
                        }
                    }).toList();
        }
    }
}

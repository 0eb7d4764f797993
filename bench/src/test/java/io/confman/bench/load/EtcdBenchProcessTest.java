package io.confman.bench.load;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.confman.bench.Programs;
import java.io.IOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The driver's etcd API against a real three-member etcd cluster started by
 * {@code bench/peers/etcd.sh}, the script the comparison uses: each workload runs clean,
 * the writes are really in etcd (counted with a range over the namespace), and the script's
 * stop leaves none of the processes it started. Runs only where etcd is installed (Debian's
 * {@code etcd-server}); elsewhere it is skipped.
 */
class EtcdBenchProcessTest {

    static final long SCRIPT_DEADLINE_S = 120;

    @TempDir
    static Path dir;
    static String urls;
    static List<Long> pids = List.of();

    @BeforeAll
    static void startEtcd() throws IOException, InterruptedException {
        assumeTrue(Programs.onPath("etcd") && Programs.onPath("python3"), "etcd is not installed (Debian: apt-get install etcd-server)");
        Script start = script("start");
        assertEquals(0, start.status(), start.output());
        urls = Files.readString(dir.resolve("etcd/urls"), StandardCharsets.US_ASCII).strip();
        pids = Files.readAllLines(dir.resolve("etcd/pids")).stream().map(Long::parseLong).toList();
        assertEquals(3, pids.size(), "three members started: " + pids);
    }

    @AfterAll
    static void stopEtcd() throws IOException, InterruptedException {
        if (!Files.exists(dir.resolve("etcd/pids"))) {
            return; // nothing was started (or a stop already ran)
        }
        Script stop = script("stop");
        assertEquals(0, stop.status(), stop.output());
        for (long pid : pids) {
            assertFalse(running(pid), "member process " + pid + " still running after stop");
        }
    }

    /**
     * Whether the process runs: it has a {@code /proc} entry that is not a zombie. The members
     * outlive the script that started them, so their parent is whatever reaps orphans, and an
     * exited member may stay a zombie for a while; it no longer runs.
     */
    private static boolean running(long pid) throws IOException {
        Path stat = Path.of("/proc", Long.toString(pid), "stat");
        String text;
        try {
            text = Files.readString(stat, StandardCharsets.US_ASCII);
        } catch (java.nio.file.NoSuchFileException gone) {
            return false;
        }
        return text.charAt(text.lastIndexOf(')') + 2) != 'Z';
    }

    record Script(int status, String output) {
    }

    private static Script script(String action) throws IOException, InterruptedException {
        Path log = dir.resolve("etcd-" + action + ".log");
        Process process = new ProcessBuilder("bash", "peers/etcd.sh", action, dir.resolve("etcd").toString())
                .redirectErrorStream(true).redirectOutput(log.toFile()).start();
        process.getOutputStream().close();
        boolean finished = process.waitFor(SCRIPT_DEADLINE_S, TimeUnit.SECONDS);
        if (!finished) {
            process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
        }
        String output = Files.readString(log, StandardCharsets.UTF_8);
        if (!finished) {
            throw new IllegalStateException("etcd.sh " + action + " did not finish: " + output);
        }
        return new Script(process.exitValue(), output);
    }

    private static Map<String, Double> runClean(long operations, String... flags) throws IOException {
        List<String> args = new ArrayList<>(List.of("--api", "etcd", "--url", urls));
        args.addAll(List.of(flags));
        return BenchProcessTest.runClean(operations, args.toArray(String[]::new));
    }

    /** Keys under {@code prefix}, counted by etcd itself (a range with {@code count_only}). */
    private static long keysUnder(String prefix) throws IOException {
        byte[] start = prefix.getBytes(StandardCharsets.UTF_8);
        byte[] end = start.clone();
        end[end.length - 1]++;
        String body = "{\"key\":\"" + Base64.getEncoder().encodeToString(start) + "\",\"range_end\":\""
                + Base64.getEncoder().encodeToString(end) + "\",\"count_only\":true}";
        try (HttpConnection connection = HttpConnection.open(URI.create(urls.split(",")[0]), 5_000, 10_000)) {
            HttpConnection.Response response = connection.exchange("POST", "/v3/kv/range",
                    new String[] {"Content-Type: application/json"},
                    HttpConnection.Body.of(body.getBytes(StandardCharsets.US_ASCII)), true);
            assertEquals(200, response.status());
            String json = new String(response.body(), StandardCharsets.UTF_8);
            int at = json.indexOf("\"count\":\"");
            return at < 0 ? 0 : Long.parseLong(json.substring(at + 9, json.indexOf('"', at + 9)));
        }
    }

    @Test
    void everyWorkloadRunsAgainstEtcd() throws IOException {
        runClean(300, "--workload", "put", "--concurrency", "8", "--value-size", "100", "--namespace", "p");
        assertEquals(300, keysUnder("p/"), "each put wrote its own key");
        Map<String, Double> get = runClean(200, "--workload", "get", "--concurrency", "8", "--keys", "20",
                "--namespace", "g");
        assertEquals(200, get.get("status.200"), "every read found its key: " + get);
        runClean(200, "--workload", "get", "--concurrency", "8", "--keys", "20", "--stale", "--namespace", "g");
        runClean(200, "--workload", "mixed", "--concurrency", "8", "--keys", "20", "--namespace", "m");
        Map<String, Double> cas = runClean(200, "--workload", "cas", "--concurrency", "4", "--keys", "2",
                "--namespace", "c");
        BenchProcessTest.assertCasAccounted(200, cas);
    }

    @Test
    void aValueOfOneMebibyteGoesThroughTheGateway() throws IOException {
        runClean(3, "--workload", "put", "--concurrency", "1", "--value-size", Long.toString(Api.ETCD_VALUE_BYTES_MAX),
                "--namespace", "large");
        assertEquals(3, keysUnder("large/"));
    }
}

package io.confman.bench.load;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import io.confman.cli.FreePorts;
import io.confman.cli.NodeJvm;
import java.io.ByteArrayOutputStream;
import java.io.File;
import java.io.IOException;
import java.io.PrintStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The driver against one real node process, started from this JVM's classpath: a few
 * hundred operations of each workload, closed loop, and one open-loop run at a modest rate.
 * The figures mean nothing here; the test checks that each run does what it was asked and
 * that its JSON line holds the fields the contract names, with sane values.
 */
class BenchProcessTest {

    static final Duration READY_DEADLINE = Duration.ofSeconds(60);
    static final long STOP_GRACE_MS = 10_000;

    @TempDir
    static Path dir;
    static Process node;
    static Path nodeLog;
    static String url;

    /** The output of one run of the command. */
    record Run(int status, String out, String err) {
        Map<String, Double> summary() throws IOException {
            List<String> lines = out.lines().toList();
            assertTrue(!lines.isEmpty(), "no output; stderr: " + err);
            return topLevelNumbers(lines.get(lines.size() - 1));
        }
    }

    @BeforeAll
    static void startNode() throws IOException, InterruptedException {
        int peerPort = FreePorts.pick();
        int httpPort = FreePorts.pick();
        url = "http://127.0.0.1:" + httpPort;
        nodeLog = dir.resolve("node.log");
        List<String> command = new ArrayList<>(NodeJvm.command("-Xmx256m", NodeJvm.GC_FLAGS, List.of()));
        command.addAll(List.of("io.confman.cli.Main", "server", "--id", "n1", "--peers", "n1=127.0.0.1:" + peerPort, "--http", "127.0.0.1:" + httpPort,
                "--data", dir.resolve("data").toString()));
        node = new ProcessBuilder(command).redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.to(nodeLog.toFile()))
                .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null"))).start();
        awaitReady();
    }

    @AfterAll
    static void stopNode() throws InterruptedException {
        if (node == null) {
            return;
        }
        node.destroy();
        if (!node.waitFor(STOP_GRACE_MS, TimeUnit.MILLISECONDS)) {
            node.destroyForcibly().waitFor(STOP_GRACE_MS, TimeUnit.MILLISECONDS);
        }
    }

    private static void awaitReady() throws IOException, InterruptedException {
        HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(1)).build();
        long deadline = System.nanoTime() + READY_DEADLINE.toNanos();
        while (System.nanoTime() - deadline < 0) {
            if (!node.isAlive()) {
                throw new IllegalStateException("the node exited with " + node.exitValue() + ": " + log());
            }
            try {
                HttpResponse<Void> response = client.send(HttpRequest.newBuilder(URI.create(url + "/readyz"))
                        .timeout(Duration.ofSeconds(2)).build(), HttpResponse.BodyHandlers.discarding());
                if (response.statusCode() == 200) {
                    return;
                }
            } catch (IOException notYet) {
                // Not listening yet: ask again.
            }
            Thread.sleep(100);
        }
        throw new IllegalStateException("the node was not ready within " + READY_DEADLINE + ": " + log());
    }

    private static String log() throws IOException {
        return Files.readString(nodeLog, StandardCharsets.UTF_8);
    }

    static Run bench(String... args) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int status = BenchCommand.run(args, null, new PrintStream(out, true, StandardCharsets.UTF_8),
                new PrintStream(err, true, StandardCharsets.UTF_8));
        return new Run(status, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
    }

    /** Runs the workload and checks the summary every successful run must have. */
    static Map<String, Double> runClean(long operations, String... flags) throws IOException {
        List<String> args = new ArrayList<>(List.of("--ops", Long.toString(operations)));
        args.addAll(List.of(flags));
        if (!args.contains("--url")) {
            args.addAll(List.of("--url", url));
        }
        Run run = bench(args.toArray(String[]::new));
        System.out.println(String.join(" ", args) + "\n" + run.err() + run.out()); // Kept in the test's report.
        assertEquals(0, run.status(), run.err());
        Map<String, Double> summary = run.summary();
        for (String field : List.of("ops", "seconds", "ops_per_s", "p50_ms", "p99_ms", "p999_ms", "errors")) {
            assertTrue(summary.containsKey(field), field + " missing from " + run.out());
        }
        assertEquals(operations, summary.get("ops"), run.out());
        assertEquals(0, summary.get("errors"), run.out() + run.err());
        assertTrue(summary.get("seconds") > 0, run.out());
        assertTrue(summary.get("ops_per_s") > 0, run.out());
        assertTrue(0 < summary.get("p50_ms") && summary.get("p50_ms") <= summary.get("p99_ms")
                && summary.get("p99_ms") <= summary.get("p999_ms"), run.out());
        assertTrue(run.err().contains("confman bench: "), "a progress line: " + run.err());
        return summary;
    }

    @Test
    void closedLoopWorkloads() throws IOException {
        Map<String, Double> put = runClean(300, "--workload", "put", "--concurrency", "8", "--value-size", "100",
                "--cpu-pids", Long.toString(node.pid()), "--warmup-ops", "100", "--namespace", "warmed");
        assertEquals(100, put.get("warmup_ops"));
        assertEquals(0, put.get("warmup_errors"));
        assertEquals(300, put.get("status.201"), "the warm-up wrote elsewhere: every measured put created its key");
        assertTrue(put.get("server_cpu_ms") > 0, "the node's CPU time during the run: " + put);
        assertEquals(put.get("server_cpu_ms") / 300, put.get("server_cpu_ms_per_op"), 1e-3);
        runClean(300, "--workload", "get", "--concurrency", "8", "--value-size", "100");
        runClean(300, "--workload", "get", "--concurrency", "8", "--value-size", "100", "--stale");
        Map<String, Double> mixed = runClean(300, "--workload", "mixed", "--concurrency", "8", "--value-size", "100",
                "--keys", "50", "--warmup-ops", "60");
        assertEquals(0, mixed.get("warmup_errors"), "the warm-up reads and writes the loaded keys: " + mixed);
        assertEquals(50, mixed.get("keys"));
        Map<String, Double> cas = runClean(200, "--workload", "cas", "--concurrency", "4", "--value-size", "10",
                "--keys", "2");
        assertCasAccounted(200, cas);
    }

    /** Each cas operation read once (200) and wrote once (200, or 412 when it lost its race, a conflict). */
    static void assertCasAccounted(long operations, Map<String, Double> cas) {
        assertEquals(2 * operations, cas.get("status.200") + cas.getOrDefault("status.412", 0.0), cas.toString());
        assertEquals(cas.get("conflicts"), cas.getOrDefault("status.412", 0.0));
    }

    @Test
    void openLoopAtAModestRate() throws IOException {
        Map<String, Double> open = runClean(200, "--workload", "put", "--concurrency", "8", "--value-size", "100",
                "--rate", "200");
        assertTrue(open.get("seconds") >= 0.99, "200 operations due over 995 ms: " + open);
        assertEquals(200, open.get("rate"));
        assertTrue(open.containsKey("late"));
    }

    @Test
    void largeValuesTakeTheBlobPathAndRefusedNodesAreSkipped() throws IOException {
        String deadNode = "http://127.0.0.1:" + FreePorts.pick();
        Map<String, Double> large = runClean(4, "--url", deadNode + "," + url, "--workload", "put",
                "--concurrency", "2", "--value-size", Long.toString(1024 * 1024));
        assertTrue(large.get("refused_connections") > 0, "worker 0 starts at the node that is down: " + large);
        long blobsOfOneMebibyte;
        try (var files = Files.walk(dir.resolve("data"))) {
            blobsOfOneMebibyte = files.filter(Files::isRegularFile).filter(f -> f.toString().contains("blobs"))
                    .filter(f -> f.toFile().length() == 1024 * 1024).count();
        }
        assertTrue(blobsOfOneMebibyte >= 4, "each value over the inline maximum is a file of the blob store, found "
                + blobsOfOneMebibyte);
    }

    @Test
    void anUnreachableClusterFailsTheRun() throws IOException {
        Run run = bench("--url", "http://127.0.0.1:" + FreePorts.pick() + ",http://127.0.0.1:" + FreePorts.pick(),
                "--workload", "put", "--ops", "5");
        assertEquals(1, run.status(), run.err());
        assertTrue(run.err().startsWith("confman bench: no node answered: "), run.err());
        assertEquals(1, run.err().lines().count(), run.err());
    }

    @Test
    void everyOperationFailingFailsTheRun() throws IOException {
        // The node answers, but refuses every write: a namespace is at most 128 bytes (400).
        Run run = bench("--url", url, "--workload", "put", "--ops", "5", "--namespace", "n".repeat(300));
        assertEquals(1, run.status(), run.err());
        assertEquals(5, run.summary().get("errors"), run.out());
        assertTrue(run.err().contains("every operation failed"), run.err());
    }

    /** The numeric fields of a JSON object, those of a nested object as {@code outer.inner}. */
    static Map<String, Double> topLevelNumbers(String line) throws IOException {
        Map<String, Double> numbers = new HashMap<>();
        try (JsonParser parser = new JsonFactory().createParser(line)) {
            assertEquals(JsonToken.START_OBJECT, parser.nextToken(), line);
            String prefix = "";
            JsonToken token;
            while ((token = parser.nextToken()) != null) {
                if (token == JsonToken.START_OBJECT) {
                    prefix = parser.currentName() + ".";
                } else if (token == JsonToken.END_OBJECT) {
                    prefix = "";
                } else if (token.isNumeric()) {
                    numbers.put(prefix + parser.currentName(), parser.getDoubleValue());
                }
            }
        }
        return numbers;
    }
}

package io.confman.jepsen.harness;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import io.confman.jepsen.history.History;
import io.confman.jepsen.history.Op;
import io.confman.jepsen.history.OpType;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.EnumSet;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The short fault-injection run of {@code mvn verify}: three real node processes, partitions
 * and kills for about 40 seconds, then recovery, the check and the reports. The long runs
 * are documented in jepsen/README.md.
 */
class JepsenProcessTest {

    @TempDir
    Path dir;

    @Test
    void shortRunWithPartitionsAndKillsIsLinearizable() throws Exception {
        long seed = Long.getLong("jepsen.seed", 20261126L);
        JepsenRun.Options options = new JepsenRun.Options(3, Duration.ofSeconds(40),
                EnumSet.of(Nemesis.Kind.PARTITION, Nemesis.Kind.KILL), seed, dir.resolve("run"), false, null,
                Workload.Settings.DEFAULTS, NodeCluster.NodeOptions.DEFAULTS,
                new Nemesis.Schedule(Duration.ofSeconds(4), Duration.ofSeconds(3), Duration.ofSeconds(6),
                        Duration.ofSeconds(2), Duration.ofSeconds(4)),
                Duration.ofSeconds(150), "proxy");
        Finished run = run(options);
        RunReport report = run.report();
        String text = run.text();
        assertEquals(0, run.status(), text);
        assertTrue(text.contains(":valid? true"), text);

        Path out = dir.resolve("run");
        for (String file : List.of("history.edn", "results.edn", "results.json", "latency.svg")) {
            assertTrue(Files.size(out.resolve(file)) > 0, file);
        }
        List<Op> history = History.read(out.resolve("history.edn"));
        assertEquals(report.history().size(), history.size(), "history.edn holds every event");
        assertFalse(report.nemesis().isEmpty(), "the nemesis injected faults");
        assertTrue(report.nemesis().stream().allMatch(e -> e.endNanos() > e.startNanos()), "every fault healed");
        Map<OpType, Integer> types = new HashMap<>();
        history.forEach(op -> types.merge(op.type(), 1, Integer::sum));
        assertTrue(types.getOrDefault(OpType.OK, 0) > 100, "operations succeeded: " + types);
        assertEquals(3 * report.keys().size(), report.finalReadsOk(), "every key read through every node at the end");

        Map<String, String> json = topLevel(out.resolve("results.json"));
        assertEquals("true", json.get("valid"));
        assertEquals("true", json.get("linearizable"));
    }

    /**
     * The harness must be able to fail: clients that read each node's local state
     * ({@code consistency=stale}) see followers lag behind acknowledged writes, and the check
     * must say so (partitions make the lag long: an isolated node serves its old state).
     */
    @Test
    void staleReadsAreCaught() throws Exception {
        JepsenRun.Options options = new JepsenRun.Options(3, Duration.ofSeconds(25), EnumSet.of(Nemesis.Kind.PARTITION),
                7L, dir.resolve("stale"), false, null, Workload.Settings.DEFAULTS.withStaleReads(true),
                NodeCluster.NodeOptions.DEFAULTS, Nemesis.Schedule.DEFAULTS, Duration.ofSeconds(150), "proxy");
        Finished run = run(options);
        RunReport report = run.report();
        String text = run.text();
        assertEquals(1, run.status(), text);
        assertTrue(text.contains("linearizable false"), text);
        assertEquals(List.of(), report.problems(), "only the reads were wrong: " + text);
        assertTrue(Files.list(dir.resolve("stale").resolve("timeline")).findAny().isPresent(),
                "a timeline of a failing key");
    }

    private record Finished(RunReport report, int status, String text) {
    }

    /** Runs, checks and reports, printing the summary for the test log. */
    private static Finished run(JepsenRun.Options options) throws Exception {
        ByteArrayOutputStream log = new ByteArrayOutputStream();
        PrintStream out = new PrintStream(log, true, StandardCharsets.UTF_8);
        RunReport report = new JepsenRun(options, out).run();
        int status = Reports.finish(report, out);
        String text = log.toString(StandardCharsets.UTF_8);
        System.out.println(text);
        return new Finished(report, status, text);
    }

    /** The top-level scalar fields of the JSON report. */
    private static Map<String, String> topLevel(Path file) throws Exception {
        Map<String, String> fields = new HashMap<>();
        try (JsonParser parser = new JsonFactory().createParser(file.toFile())) {
            assertEquals(JsonToken.START_OBJECT, parser.nextToken());
            while (parser.nextToken() == JsonToken.FIELD_NAME) {
                String name = parser.currentName();
                JsonToken value = parser.nextToken();
                if (value.isStructStart()) {
                    parser.skipChildren();
                } else {
                    fields.put(name, parser.getText());
                }
            }
        }
        return fields;
    }
}

package io.confman.jepsen.harness;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import io.confman.jepsen.history.Edn;
import io.confman.jepsen.history.Keyword;
import io.confman.jepsen.report.LatencyPlot;
import java.io.IOException;
import java.io.PrintStream;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The end of a run: the linearizability check (and Knossos when asked), then
 * {@code results.edn}, {@code results.json}, {@code latency.svg} and the summary, and the
 * exit status.
 */
public final class Reports {

    private Reports() {
    }

    /** What the checkers said. */
    record Verdicts(String valid, String summary, List<String> invalidKeys, List<String> unknownKeys,
                    long checkMillis, String knossos, String knossosDetail) {
    }

    /** Checks, writes every report into the run's directory, prints the summary; returns the exit status. */
    public static int finish(RunReport report, PrintStream out) throws IOException, InterruptedException {
        Path dir = report.options().out();
        Verdicts verdicts = Checks.run(report, dir, out);
        Map<Keyword, Object> results = results(report, verdicts);
        Files.writeString(dir.resolve("results.edn"), Edn.write(results) + "\n", StandardCharsets.UTF_8);
        try (Writer writer = Files.newBufferedWriter(dir.resolve("results.json"), StandardCharsets.UTF_8);
             JsonGenerator json = new JsonFactory().createGenerator(writer)) {
            json.useDefaultPrettyPrinter();
            writeJson(results, json);
        }
        Files.writeString(dir.resolve("latency.svg"), plot(report), StandardCharsets.UTF_8);
        return summary(report, verdicts, out);
    }

    private static String plot(RunReport report) {
        List<LatencyPlot.Point> points = new ArrayList<>();
        long end = 0;
        for (RunReport.Completed op : report.completed()) {
            if (op.invoke().process() >= JepsenRun.FINAL_PROCESS_BASE) {
                continue;
            }
            points.add(new LatencyPlot.Point(op.invoke().timeNanos(), op.latencyNanos(), op.invoke().f().keyword(),
                    op.completion().type().keyword()));
            end = Math.max(end, op.completion().timeNanos());
        }
        List<LatencyPlot.Period> periods = new ArrayList<>();
        for (Nemesis.Event event : report.nemesis()) {
            long stop = event.endNanos() < 0 ? end : event.endNanos();
            periods.add(new LatencyPlot.Period(event.startNanos(), stop, event.description()));
            end = Math.max(end, stop);
        }
        JepsenRun.Options options = report.options();
        return LatencyPlot.svg("Confman, " + options.nodes() + " nodes, nemesis " + nemesisList(options)
                + ", seed " + options.seed(), points, periods, end);
    }

    private static String nemesisList(JepsenRun.Options options) {
        return options.nemesis().isEmpty() ? "none"
                : String.join(",", options.nemesis().stream().map(k -> k.name().toLowerCase(Locale.ROOT)).toList());
    }

    private static Keyword k(String name) {
        return new Keyword(name);
    }

    static Map<Keyword, Object> results(RunReport report, Verdicts verdicts) {
        JepsenRun.Options options = report.options();
        Map<Keyword, Object> results = new LinkedHashMap<>();
        results.put(k("valid?"), verdictValue(overall(report, verdicts)));
        results.put(k("linearizable?"), verdictValue(verdicts.valid()));
        results.put(k("nodes"), (long) options.nodes());
        results.put(k("time-s"), options.time().toSeconds());
        results.put(k("nemesis"), options.nemesis().stream().map(kind -> k(kind.name().toLowerCase(Locale.ROOT)))
                .toList());
        results.put(k("seed"), options.seed());
        results.put(k("replay"), "bin/confman jepsen --nodes " + options.nodes() + " --time "
                + options.time().toSeconds() + " --nemesis " + nemesisList(options) + " --seed " + options.seed());
        Map<Keyword, Object> checker = new LinkedHashMap<>();
        checker.put(k("valid?"), verdictValue(verdicts.valid()));
        checker.put(k("keys"), (long) report.keys().size());
        checker.put(k("history-events"), (long) report.history().size());
        checker.put(k("invalid-keys"), verdicts.invalidKeys());
        checker.put(k("unknown-keys"), verdicts.unknownKeys());
        checker.put(k("check-ms"), verdicts.checkMillis());
        if (verdicts.knossos() != null) {
            checker.put(k("knossos"), k(verdicts.knossos()));
            checker.put(k("knossos-detail"), verdicts.knossosDetail());
        }
        results.put(k("checker"), checker);
        Map<Keyword, Object> counts = new LinkedHashMap<>();
        report.counts().forEach((f, outcomes) -> {
            Map<Keyword, Object> row = new LinkedHashMap<>();
            outcomes.forEach((type, n) -> row.put(k(type), n));
            counts.put(k(f), row);
        });
        results.put(k("ops"), counts);
        Map<Keyword, Object> latencies = new LinkedHashMap<>();
        report.latencies().forEach((f, row) -> {
            Map<Keyword, Object> values = new LinkedHashMap<>();
            row.forEach((name, value) -> values.put(k(name), name.equals("count") ? (Object) value.longValue()
                    : round(value)));
            latencies.put(k(f), values);
        });
        results.put(k("latency-ms"), latencies);
        List<Object> events = new ArrayList<>();
        for (Nemesis.Event event : report.nemesis()) {
            Map<Keyword, Object> e = new LinkedHashMap<>();
            e.put(k("kind"), k(event.kind()));
            e.put(k("description"), event.description());
            e.put(k("start-s"), round(event.startNanos() / 1e9));
            e.put(k("end-s"), event.endNanos() < 0 ? null : round(event.endNanos() / 1e9));
            events.add(e);
        }
        results.put(k("nemesis-events"), events);
        Map<Keyword, Object> timing = new LinkedHashMap<>();
        report.timing().forEach((key, value) -> timing.put(key, value instanceof Double d ? finite(d) : value));
        results.put(k("timing"), timing);
        Map<Keyword, Object> recovery = new LinkedHashMap<>();
        recovery.put(k("ready-at-end?"), report.readyAtEnd());
        recovery.put(k("final-reads-ok"), (long) report.finalReadsOk());
        recovery.put(k("final-reads-failed"), (long) report.finalReadsFailed());
        recovery.put(k("divergent"), report.divergent());
        results.put(k("recovery"), recovery);
        results.put(k("problems"), report.problems());
        return results;
    }

    /** The run's verdict: "true" only when everything held, "unknown" when the check gave up. */
    static String overall(RunReport report, Verdicts verdicts) {
        if (verdicts.valid().equals("false") || !report.healthy()) {
            return "false";
        }
        if (verdicts.knossos() != null && verdicts.knossos().equals("invalid")) {
            return "false";
        }
        if (verdicts.knossos() != null && verdicts.knossos().equals("unknown")) {
            return "unknown"; // Knossos gave up: inconclusive, never a pass.
        }
        return verdicts.valid();
    }

    private static Object verdictValue(String verdict) {
        return switch (verdict) {
            case "true" -> Boolean.TRUE;
            case "false" -> Boolean.FALSE;
            default -> k("unknown");
        };
    }

    private static Object finite(double value) {
        return Double.isNaN(value) ? null : Double.isInfinite(value) ? "+Inf" : value;
    }

    private static double round(double value) {
        return Math.round(value * 1000.0) / 1000.0;
    }

    /** The EDN structure as JSON: keywords become strings without the colon (and without a trailing ?). */
    static void writeJson(Object value, JsonGenerator json) throws IOException {
        if (value == null) {
            json.writeNull();
        } else if (value instanceof Map<?, ?> map) {
            json.writeStartObject();
            for (Map.Entry<?, ?> entry : map.entrySet()) {
                json.writeFieldName(jsonName(entry.getKey()));
                writeJson(entry.getValue(), json);
            }
            json.writeEndObject();
        } else if (value instanceof List<?> list) {
            json.writeStartArray();
            for (Object item : list) {
                writeJson(item, json);
            }
            json.writeEndArray();
        } else if (value instanceof Keyword keyword) {
            json.writeString(keyword.name());
        } else if (value instanceof Boolean b) {
            json.writeBoolean(b);
        } else if (value instanceof Long n) {
            json.writeNumber(n);
        } else if (value instanceof Integer n) {
            json.writeNumber(n);
        } else if (value instanceof Double d) {
            json.writeNumber(d);
        } else {
            json.writeString(value.toString());
        }
    }

    private static String jsonName(Object key) {
        String name = key instanceof Keyword keyword ? keyword.name() : key.toString();
        return name.endsWith("?") ? name.substring(0, name.length() - 1) : name;
    }

    private static int summary(RunReport report, Verdicts verdicts, PrintStream out) {
        Path dir = report.options().out();
        out.println();
        out.println("jepsen: " + verdicts.summary());
        report.counts().forEach((f, outcomes) -> out.printf(Locale.ROOT, "jepsen:   %-5s %s%n", f, outcomes));
        report.latencies().forEach((f, row) -> out.printf(Locale.ROOT,
                "jepsen:   %-5s latency ms p50 %.1f  p99 %.1f  max %.1f%n", f, row.get("p50"), row.get("p99"),
                row.get("max")));
        out.printf(Locale.ROOT, "jepsen: %d nemesis events; %d elections in all, %d with no fault active;"
                        + " %d leader changes seen by the nodes%n", report.nemesis().size(), report.electionCount(),
                report.quietElectionCount(), report.leaderChangesSeen());
        out.printf(Locale.ROOT, "jepsen: fsync p99 %s (%d syncs), snapshot p99 %s (%d snapshots),"
                        + " election timeout %.3f s%n", bound(report.fsyncP99Seconds()), report.fsyncCount(),
                bound(report.snapshotP99Seconds()), report.snapshotCount(),
                report.options().node().electionTimeoutMs() / 1000.0);
        out.printf(Locale.ROOT, "jepsen: recovery: every node ready %s; final reads ok %d, failed %d; replicas"
                + " diverging %d%n", report.readyAtEnd() ? "yes" : "NO", report.finalReadsOk(),
                report.finalReadsFailed(), report.divergent().size());
        if (verdicts.knossos() != null) {
            out.println("jepsen: knossos: " + verdicts.knossos() + (verdicts.knossosDetail().isEmpty() ? ""
                    : " (" + verdicts.knossosDetail() + ")"));
        }
        for (String problem : report.problems()) {
            out.println("jepsen: PROBLEM " + problem);
        }
        String overall = overall(report, verdicts);
        out.println("jepsen: history " + dir.resolve("history.edn") + ", results " + dir.resolve("results.edn")
                + ", plot " + dir.resolve("latency.svg"));
        out.println(":valid? " + (overall.equals("unknown") ? ":unknown" : overall));
        return switch (overall) {
            case "true" -> 0;
            case "false" -> 1;
            default -> 2;
        };
    }

    private static String bound(double seconds) {
        return Double.isNaN(seconds) ? "n/a" : Double.isInfinite(seconds) ? "above the largest bucket"
                : "<= " + seconds + " s";
    }
}

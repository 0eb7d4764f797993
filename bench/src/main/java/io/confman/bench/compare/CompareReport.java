package io.confman.bench.compare;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Turns the lines {@code bench/compare.sh} wrote, one per run of the driver
 * ({@code {"system":..., "round":..., "workload":..., "result":{driver's JSON}}}), into a
 * table of medians over the rounds with the Confman/etcd ratio per workload, and a plot of
 * the latency percentiles per workload for both systems.
 *
 * <p>Usage: {@code CompareReport RESULTS.jsonl OUT_DIR}; prints the table (Markdown) and
 * writes {@code OUT_DIR/summary.md} and {@code OUT_DIR/latency.svg}.
 */
public final class CompareReport {

    static final String CONFMAN = "confman";
    static final String ETCD = "etcd";
    /** compare.sh waits for this much idle CPU before a run. */
    static final int IDLE_PCT_MIN = 90;
    private static final JsonFactory JSON = new JsonFactory();

    /**
     * One run of the driver, with the idle share of the CPUs just before it and whether the
     * leader was the first URL (the lone worker of a concurrency-1 run writes to it).
     */
    record Run(String system, int round, String workload, int idleBeforePct, boolean leaderFirst,
               Map<String, Object> result) {
        Run(String system, int round, String workload, Map<String, Object> result) {
            this(system, round, workload, 100, true, result);
        }

        double number(String field) {
            Object value = result.get(field);
            return value instanceof Number n ? n.doubleValue() : Double.NaN;
        }
    }

    /** The medians of one system's runs of one workload. */
    record Medians(int runs, double opsPerS, double p50, double p99, double p999, double cpuMsPerOp, long errors) {
    }

    private CompareReport() {
    }

    public static void main(String[] args) throws IOException {
        if (args.length != 2) {
            System.err.println("usage: CompareReport RESULTS.jsonl OUT_DIR");
            System.exit(2);
        }
        List<Run> runs = read(Path.of(args[0]));
        if (runs.isEmpty()) {
            System.err.println("CompareReport: no runs in " + args[0]);
            System.exit(1);
        }
        Path out = Path.of(args[1]);
        Files.createDirectories(out);
        Map<String, Map<String, Medians>> medians = medians(runs);
        String table = table(medians) + caveats(runs);
        Files.writeString(out.resolve("summary.md"), table, StandardCharsets.UTF_8);
        Files.writeString(out.resolve("latency.svg"), svg(medians), StandardCharsets.UTF_8);
        System.out.print(table);
    }

    static List<Run> read(Path file) throws IOException {
        List<Run> runs = new ArrayList<>();
        for (String line : Files.readAllLines(file, StandardCharsets.UTF_8)) {
            if (line.isBlank()) {
                continue;
            }
            Map<String, Object> record = parseObject(line);
            Object result = record.get("result");
            if (!(result instanceof Map<?, ?>)) {
                continue; // a run that printed no summary: counted by the script, not a figure
            }
            @SuppressWarnings("unchecked")
            Map<String, Object> summary = (Map<String, Object>) result;
            Object idle = record.get("idle_before_pct");
            runs.add(new Run((String) record.get("system"), ((Number) record.get("round")).intValue(),
                    (String) record.get("workload"), idle instanceof Number n ? n.intValue() : 100,
                    !Boolean.FALSE.equals(record.get("leader_first")), summary));
        }
        return runs;
    }

    /** Workload, then system, in the order they first appear. */
    static Map<String, Map<String, Medians>> medians(List<Run> runs) {
        Map<String, Map<String, List<Run>>> grouped = new LinkedHashMap<>();
        for (Run run : runs) {
            grouped.computeIfAbsent(run.workload(), w -> new LinkedHashMap<>())
                    .computeIfAbsent(run.system(), s -> new ArrayList<>()).add(run);
        }
        Map<String, Map<String, Medians>> medians = new LinkedHashMap<>();
        grouped.forEach((workload, bySystem) -> bySystem.forEach((system, list) -> medians
                .computeIfAbsent(workload, w -> new LinkedHashMap<>())
                .put(system, new Medians(list.size(), median(list, "ops_per_s"), median(list, "p50_ms"),
                        median(list, "p99_ms"), median(list, "p999_ms"), median(list, "server_cpu_ms_per_op"),
                        list.stream().mapToLong(r -> (long) r.number("errors")).sum()))));
        return medians;
    }

    static double median(List<Run> runs, String field) {
        double[] values = runs.stream().mapToDouble(r -> r.number(field)).filter(v -> !Double.isNaN(v)).sorted()
                .toArray();
        if (values.length == 0) {
            return Double.NaN;
        }
        int middle = values.length / 2;
        return values.length % 2 == 1 ? values[middle] : (values[middle - 1] + values[middle]) / 2;
    }

    static String table(Map<String, Map<String, Medians>> medians) {
        StringBuilder text = new StringBuilder();
        text.append("| workload | Confman ops/s | etcd ops/s | Confman/etcd | Confman p50 / p99 / p99.9 ms"
                + " | etcd p50 / p99 / p99.9 ms | p99 Confman/etcd | CPU ms/op Confman | CPU ms/op etcd"
                + " | runs | errors |\n");
        text.append("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n");
        medians.forEach((workload, bySystem) -> {
            Medians confman = bySystem.get(CONFMAN);
            Medians etcd = bySystem.get(ETCD);
            text.append("| ").append(workload)
                    .append(" | ").append(confman == null ? "—" : rate(confman.opsPerS()))
                    .append(" | ").append(etcd == null ? "n/a" : rate(etcd.opsPerS()))
                    .append(" | ").append(ratio(confman, etcd, Medians::opsPerS))
                    .append(" | ").append(latencies(confman))
                    .append(" | ").append(latencies(etcd))
                    .append(" | ").append(ratio(confman, etcd, Medians::p99))
                    .append(" | ").append(confman == null ? "—" : format(confman.cpuMsPerOp(), 3))
                    .append(" | ").append(etcd == null ? "n/a" : format(etcd.cpuMsPerOp(), 3))
                    .append(" | ").append(confman == null ? 0 : confman.runs()).append(" + ")
                    .append(etcd == null ? 0 : etcd.runs())
                    .append(" | ").append(confman == null ? 0 : confman.errors()).append(" + ")
                    .append(etcd == null ? 0 : etcd.errors()).append(" |\n");
        });
        return text.toString();
    }

    /** Lines under the table naming the runs that started on a busy machine or away from the leader. */
    static String caveats(List<Run> runs) {
        StringBuilder text = new StringBuilder();
        for (Run run : runs) {
            if (run.idleBeforePct() < IDLE_PCT_MIN) {
                text.append("\nround ").append(run.round()).append(", ").append(run.system()).append(", ")
                        .append(run.workload()).append(": started with the CPUs ").append(run.idleBeforePct())
                        .append(" % idle");
            }
            if (!run.leaderFirst()) {
                text.append("\nround ").append(run.round()).append(", ").append(run.system()).append(", ")
                        .append(run.workload()).append(": the first URL was not the leader's");
            }
        }
        return text.isEmpty() ? "" : text.append('\n').toString();
    }

    private interface Figure {
        double of(Medians medians);
    }

    private static String ratio(Medians confman, Medians etcd, Figure figure) {
        if (confman == null || etcd == null || !(figure.of(etcd) > 0)) {
            return "—";
        }
        return format(figure.of(confman) / figure.of(etcd), 2) + "x";
    }

    /** Operations a second: whole numbers, with a decimal below 10 (a 100 MiB put runs at 0.8). */
    private static String rate(double opsPerS) {
        return format(opsPerS, opsPerS < 10 ? 1 : 0);
    }

    private static String latencies(Medians medians) {
        return medians == null ? "n/a" : format(medians.p50(), 2) + " / " + format(medians.p99(), 2) + " / "
                + format(medians.p999(), 2);
    }

    private static String format(double value, int decimals) {
        return Double.isNaN(value) ? "—" : String.format(Locale.ROOT, "%,." + decimals + "f", value);
    }

    /**
     * Grouped bars on a logarithmic scale: per workload, p50, p99 and p99.9 of Confman (blue)
     * then of etcd (orange), each a bar from the axis floor to the value.
     */
    static String svg(Map<String, Map<String, Medians>> medians) {
        int groups = medians.size();
        int barWidth = 9;
        int groupWidth = 6 * barWidth + 4 + 22;
        int left = 64;
        int top = 40;
        int plotHeight = 300;
        int width = left + groups * groupWidth + 20;
        int height = top + plotHeight + 110;
        double max = 1;
        double min = Double.MAX_VALUE;
        for (Map<String, Medians> bySystem : medians.values()) {
            for (Medians m : bySystem.values()) {
                for (double v : new double[] {m.p50(), m.p99(), m.p999()}) {
                    if (v > 0) {
                        max = Math.max(max, v);
                        min = Math.min(min, v);
                    }
                }
            }
        }
        double floor = Math.pow(10, Math.floor(Math.log10(Math.min(min, 1))));
        double ceiling = Math.pow(10, Math.ceil(Math.log10(max)));
        double decades = Math.log10(ceiling / floor);
        StringBuilder svg = new StringBuilder();
        svg.append(String.format(Locale.ROOT, "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\""
                + " font-family=\"sans-serif\" font-size=\"11\">\n", width, height));
        svg.append("<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n");
        svg.append(String.format(Locale.ROOT, "<text x=\"%d\" y=\"20\" font-size=\"13\">Latency per workload, median"
                + " of the rounds: p50, p99, p99.9 (ms, log scale); Confman blue, etcd orange</text>\n", left));
        for (double tick = floor; tick <= ceiling * 1.0001; tick *= 10) {
            double y = top + plotHeight - plotHeight * Math.log10(tick / floor) / decades;
            svg.append(String.format(Locale.ROOT, "<line x1=\"%d\" x2=\"%d\" y1=\"%.1f\" y2=\"%.1f\" stroke=\"#ddd\"/>"
                    + "<text x=\"%d\" y=\"%.1f\" text-anchor=\"end\">%s</text>\n", left, width - 20, y, y, left - 6,
                    y + 4, tick >= 1 ? String.format(Locale.ROOT, "%,.0f", tick) : String.valueOf(tick)));
        }
        String[][] colours = {{"#9ecae1", "#4292c6", "#08519c"}, {"#fdd0a2", "#fd8d3c", "#d94801"}};
        int g = 0;
        for (Map.Entry<String, Map<String, Medians>> entry : medians.entrySet()) {
            int x = left + 10 + g * groupWidth;
            int s = 0;
            for (String system : List.of(CONFMAN, ETCD)) {
                Medians m = entry.getValue().get(system);
                double[] values = m == null ? new double[0] : new double[] {m.p50(), m.p99(), m.p999()};
                for (int p = 0; p < values.length; p++) {
                    if (!(values[p] > 0)) {
                        continue;
                    }
                    double h = plotHeight * Math.log10(values[p] / floor) / decades;
                    int bx = x + s * (3 * barWidth + 4) + p * barWidth;
                    svg.append(String.format(Locale.ROOT, "<rect x=\"%d\" y=\"%.1f\" width=\"%d\" height=\"%.1f\""
                            + " fill=\"%s\"><title>%s %s %s: %.3f ms</title></rect>\n", bx, top + plotHeight - h,
                            barWidth - 1, h, colours[s][p], entry.getKey(), system,
                            new String[] {"p50", "p99", "p99.9"}[p], values[p]));
                }
                s++;
            }
            svg.append(String.format(Locale.ROOT, "<text transform=\"translate(%d,%d) rotate(40)\">%s</text>\n",
                    x + 4, top + plotHeight + 14, escape(entry.getKey())));
            g++;
        }
        svg.append("</svg>\n");
        return svg.toString();
    }

    private static String escape(String text) {
        return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;");
    }

    /** A JSON object into maps, lists, numbers, strings and booleans. */
    static Map<String, Object> parseObject(String text) throws IOException {
        try (JsonParser parser = JSON.createParser(text)) {
            if (parser.nextToken() != JsonToken.START_OBJECT) {
                throw new IOException("not a JSON object: " + text);
            }
            @SuppressWarnings("unchecked")
            Map<String, Object> object = (Map<String, Object>) value(parser);
            return object;
        }
    }

    private static Object value(JsonParser parser) throws IOException {
        JsonToken token = parser.currentToken();
        switch (token) {
            case START_OBJECT -> {
                Map<String, Object> object = new LinkedHashMap<>();
                while (parser.nextToken() == JsonToken.FIELD_NAME) {
                    String name = parser.currentName();
                    parser.nextToken();
                    object.put(name, value(parser));
                }
                return object;
            }
            case START_ARRAY -> {
                List<Object> array = new ArrayList<>();
                while (parser.nextToken() != JsonToken.END_ARRAY) {
                    array.add(value(parser));
                }
                return array;
            }
            case VALUE_NUMBER_INT, VALUE_NUMBER_FLOAT -> {
                return parser.getDoubleValue();
            }
            case VALUE_STRING -> {
                return parser.getText();
            }
            case VALUE_TRUE, VALUE_FALSE -> {
                return token == JsonToken.VALUE_TRUE;
            }
            case VALUE_NULL -> {
                return null;
            }
            default -> throw new IOException("unexpected JSON token " + token);
        }
    }
}

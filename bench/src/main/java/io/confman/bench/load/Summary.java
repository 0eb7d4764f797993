package io.confman.bench.load;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import java.io.IOException;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.util.Map;
import org.HdrHistogram.Histogram;

/**
 * The one-line JSON a run ends with. The fields scripts rely on ({@code ops},
 * {@code seconds}, {@code ops_per_s}, {@code p50_ms}, {@code p99_ms}, {@code p999_ms},
 * {@code errors}) come first; the rest describe the run so that a line read later says what
 * it measured. Latencies are in milliseconds with microsecond precision.
 */
final class Summary {

    private Summary() {
    }

    static String json(LoadOptions options, LoadRunner.Result result, Map<String, Long> statusCounts,
                       long refusedConnections, long serverCpuMillis, long warmupErrors) {
        Histogram latencies = result.latencies();
        double seconds = result.elapsedNanos() / 1e9;
        StringWriter text = new StringWriter();
        try (JsonGenerator json = new JsonFactory().createGenerator(text)) {
            json.writeStartObject();
            json.writeNumberField("ops", result.operations());
            json.writeNumberField("seconds", round(seconds, 3));
            json.writeNumberField("ops_per_s", round(seconds > 0 ? result.operations() / seconds : 0, 1));
            json.writeNumberField("p50_ms", millis(latencies.getValueAtPercentile(50)));
            json.writeNumberField("p99_ms", millis(latencies.getValueAtPercentile(99)));
            json.writeNumberField("p999_ms", millis(latencies.getValueAtPercentile(99.9)));
            json.writeNumberField("errors", result.errors());
            json.writeNumberField("p90_ms", millis(latencies.getValueAtPercentile(90)));
            json.writeNumberField("max_ms", millis(latencies.getMaxValue()));
            json.writeNumberField("mean_ms", round(latencies.getMean() / 1_000, 3));
            json.writeStringField("workload", options.workload().flagName());
            json.writeStringField("loop", options.schedule().open() ? "open" : "closed");
            json.writeNumberField("concurrency", options.concurrency());
            json.writeNumberField("rate", options.rate());
            json.writeNumberField("late", result.late());
            json.writeNumberField("conflicts", result.conflicts());
            json.writeNumberField("value_size", options.valueBytes());
            json.writeNumberField("keys", options.keys());
            json.writeNumberField("seed", options.seed());
            if (options.workload() == Workload.MIXED) {
                json.writeNumberField("read_fraction", options.readFraction());
            }
            json.writeBooleanField("stale", options.stale());
            json.writeNumberField("nodes", options.urls().size());
            json.writeNumberField("refused_connections", refusedConnections);
            json.writeStringField("api", options.api().flagName());
            json.writeNumberField("warmup_ops", options.warmupOps());
            json.writeNumberField("warmup_errors", warmupErrors);
            json.writeNumberField("interval_s", options.intervalS());
            json.writeArrayFieldStart("intervals");
            for (Histogram interval : result.intervals()) {
                json.writeStartObject();
                json.writeNumberField("ops", interval.getTotalCount());
                json.writeNumberField("p50_ms", millis(interval.getValueAtPercentile(50)));
                json.writeNumberField("p99_ms", millis(interval.getValueAtPercentile(99)));
                json.writeNumberField("max_ms", millis(interval.getMaxValue()));
                json.writeEndObject();
            }
            json.writeEndArray();
            if (serverCpuMillis >= 0) {
                json.writeNumberField("server_cpu_ms", serverCpuMillis);
                json.writeNumberField("server_cpu_ms_per_op", round((double) serverCpuMillis / result.operations(),
                        4));
            }
            json.writeObjectFieldStart("status");
            for (Map.Entry<String, Long> entry : statusCounts.entrySet()) {
                json.writeNumberField(entry.getKey(), entry.getValue());
            }
            json.writeEndObject();
            json.writeEndObject();
        } catch (IOException cannotHappen) {
            throw new UncheckedIOException("writing JSON to a string failed", cannotHappen);
        }
        return text.toString();
    }

    /** A histogram value in microseconds, as milliseconds. */
    static double millis(long micros) {
        return micros / 1_000.0;
    }

    private static double round(double value, int decimals) {
        double scale = Math.pow(10, decimals);
        return Math.round(value * scale) / scale;
    }
}

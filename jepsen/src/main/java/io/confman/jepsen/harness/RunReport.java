package io.confman.jepsen.harness;

import io.confman.jepsen.history.Keyword;
import io.confman.jepsen.history.Op;
import io.confman.jepsen.history.OpFunction;
import io.confman.jepsen.history.OpType;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.HdrHistogram.Histogram;

/**
 * What a run found, gathered while it runs and summed up at the end: operation counts and
 * latencies from the history, the nemesis events, elections during quiet periods, the
 * fsync and snapshot p99 against the election timeout, recovery, and any harness error.
 * The linearizability verdict is added by {@link Reports} once the checker has run.
 */
public final class RunReport {

    /**
     * An election that starts within this time after a fault ends is still the fault's doing
     * (a restarted node's first heartbeat round, the event's time taken after the heal).
     * Before a fault there is no margin: the sample window that saw an election already
     * overlaps the fault if the fault caused it.
     */
    static final long AFTER_FAULT_MARGIN_NANOS = 2_000_000_000L;

    private final JepsenRun.Options options;
    private final List<Op> history;
    private final List<Nemesis.Event> nemesis;
    private final List<String> keys;
    private final List<String> errors;
    private final boolean readyAtEnd;
    private final int finalReadsOk;
    private final int finalReadsFailed;
    private final List<String> divergent;
    private final List<MetricsWatch.Elections> elections;
    private final List<MetricsWatch.Elections> quietElections;
    private final double fsyncP99Seconds;
    private final double snapshotP99Seconds;
    private final long fsyncCount;
    private final long snapshotCount;
    private final long leaderChangesSeen;

    private RunReport(Builder builder, List<Op> history, List<Nemesis.Event> nemesis, MetricsWatch metrics,
                      List<String> keys) {
        this.options = builder.options;
        this.history = List.copyOf(history);
        this.nemesis = List.copyOf(nemesis);
        this.keys = List.copyOf(keys);
        this.errors = List.copyOf(builder.errors);
        this.readyAtEnd = builder.readyAtEnd;
        this.finalReadsOk = builder.finalReadsOk;
        this.finalReadsFailed = builder.finalReadsFailed;
        this.divergent = List.copyOf(builder.divergent);
        this.elections = metrics == null ? List.of() : metrics.elections();
        this.quietElections = elections.stream().filter(e -> !duringFault(e, nemesis)).toList();
        this.fsyncP99Seconds = metrics == null ? Double.NaN : metrics.p99Seconds(MetricsWatch.FSYNC);
        this.snapshotP99Seconds = metrics == null ? Double.NaN : metrics.p99Seconds(MetricsWatch.SNAPSHOT);
        this.fsyncCount = metrics == null ? 0 : metrics.count(MetricsWatch.FSYNC);
        this.snapshotCount = metrics == null ? 0 : metrics.count(MetricsWatch.SNAPSHOT);
        this.leaderChangesSeen = metrics == null ? 0 : metrics.leaderChangesSeen();
    }

    /** Leader changes seen by the nodes in all, each node counting its own. */
    public long leaderChangesSeen() {
        return leaderChangesSeen;
    }

    /** Elections in all, and those with no fault active. */
    public long electionCount() {
        return elections.stream().mapToLong(MetricsWatch.Elections::count).sum();
    }

    public long quietElectionCount() {
        return quietElections.stream().mapToLong(MetricsWatch.Elections::count).sum();
    }

    /** Whether an election's sample window touches a fault, or follows its end by less than the margin. */
    static boolean duringFault(MetricsWatch.Elections election, List<Nemesis.Event> faults) {
        for (Nemesis.Event fault : faults) {
            long end = fault.endNanos() < 0 ? Long.MAX_VALUE : fault.endNanos() + AFTER_FAULT_MARGIN_NANOS;
            if (election.byNanos() >= fault.startNanos() && election.afterNanos() <= end) {
                return true;
            }
        }
        return false;
    }

    public JepsenRun.Options options() {
        return options;
    }

    public List<Op> history() {
        return history;
    }

    public List<Nemesis.Event> nemesis() {
        return nemesis;
    }

    public List<String> keys() {
        return keys;
    }

    public List<String> errors() {
        return errors;
    }

    public boolean readyAtEnd() {
        return readyAtEnd;
    }

    public int finalReadsOk() {
        return finalReadsOk;
    }

    public int finalReadsFailed() {
        return finalReadsFailed;
    }

    public List<String> divergent() {
        return divergent;
    }

    public List<MetricsWatch.Elections> elections() {
        return elections;
    }

    public List<MetricsWatch.Elections> quietElections() {
        return quietElections;
    }

    public double fsyncP99Seconds() {
        return fsyncP99Seconds;
    }

    public double snapshotP99Seconds() {
        return snapshotP99Seconds;
    }

    public long fsyncCount() {
        return fsyncCount;
    }

    public long snapshotCount() {
        return snapshotCount;
    }

    /** Every check other than linearizability held: ready, converged, no quiet election, no error. */
    public boolean healthy() {
        return errors.isEmpty() && readyAtEnd && finalReadsFailed == 0 && divergent.isEmpty()
                && quietElections.isEmpty() && !history.isEmpty();
    }

    /** Why {@link #healthy()} is false, one line each. */
    public List<String> problems() {
        List<String> problems = new ArrayList<>(errors);
        if (history.isEmpty() && errors.isEmpty()) {
            problems.add("no operation was recorded");
        }
        if (!readyAtEnd) {
            problems.add("not every node was ready after recovery");
        }
        if (finalReadsFailed > 0) {
            problems.add(finalReadsFailed + " final reads failed after recovery");
        }
        for (String line : divergent) {
            problems.add("replica did not converge: " + line);
        }
        for (MetricsWatch.Elections election : quietElections) {
            problems.add(String.format(Locale.ROOT, "%d election(s) on %s between %.1f s and %.1f s with no fault"
                            + " active", election.count(), election.node(), election.afterNanos() / 1e9,
                    election.byNanos() / 1e9));
        }
        return problems;
    }

    /** Operations per function and outcome, e.g. {@code write -> {ok 120, info 3}}. */
    public Map<String, Map<String, Long>> counts() {
        Map<String, Map<String, Long>> counts = new LinkedHashMap<>();
        for (OpFunction f : OpFunction.values()) {
            Map<String, Long> outcomes = new LinkedHashMap<>();
            for (OpType type : List.of(OpType.OK, OpType.FAIL, OpType.INFO)) {
                outcomes.put(type.keyword(), 0L);
            }
            counts.put(f.keyword(), outcomes);
        }
        for (Op op : history) {
            if (op.type() != OpType.INVOKE) {
                counts.get(op.f().keyword()).merge(op.type().keyword(), 1L, Long::sum);
            }
        }
        return counts;
    }

    /** An operation from invocation to completion, for latencies and the plot. */
    public record Completed(Op invoke, Op completion) {
        public long latencyNanos() {
            return completion.timeNanos() - invoke.timeNanos();
        }
    }

    /** Every completed operation, paired by process. */
    public List<Completed> completed() {
        Map<Long, Op> open = new HashMap<>();
        List<Completed> done = new ArrayList<>();
        for (Op op : history) {
            if (op.type() == OpType.INVOKE) {
                open.put(op.process(), op);
            } else {
                Op invoke = open.remove(op.process());
                if (invoke != null) {
                    done.add(new Completed(invoke, op));
                }
            }
        }
        return done;
    }

    /** Latency percentiles in ms of the operations that completed ok, per function. */
    public Map<String, Map<String, Double>> latencies() {
        Map<String, Histogram> histograms = new LinkedHashMap<>();
        for (OpFunction f : OpFunction.values()) {
            histograms.put(f.keyword(), new Histogram(3_600_000_000_000L, 3));
        }
        for (Completed op : completed()) {
            if (op.completion().type() == OpType.OK && op.invoke().process() < JepsenRun.FINAL_PROCESS_BASE) {
                histograms.get(op.invoke().f().keyword()).recordValue(Math.max(0, op.latencyNanos()));
            }
        }
        Map<String, Map<String, Double>> table = new LinkedHashMap<>();
        histograms.forEach((f, histogram) -> {
            Map<String, Double> row = new LinkedHashMap<>();
            row.put("count", (double) histogram.getTotalCount());
            for (double p : new double[] {50, 95, 99, 99.9}) {
                row.put("p" + (p == 99.9 ? "999" : Integer.toString((int) p)),
                        histogram.getTotalCount() == 0 ? 0 : histogram.getValueAtPercentile(p) / 1e6);
            }
            row.put("max", histogram.getTotalCount() == 0 ? 0 : histogram.getMaxValue() / 1e6);
            table.put(f, row);
        });
        return table;
    }

    /** The run's values for the reports, keywords as EDN keys. */
    Map<Keyword, Object> timing() {
        Map<Keyword, Object> timing = new LinkedHashMap<>();
        timing.put(new Keyword("election-timeout-ms"), options.node().electionTimeoutMs());
        timing.put(new Keyword("fsync-p99-s"), fsyncP99Seconds);
        timing.put(new Keyword("fsync-count"), fsyncCount);
        timing.put(new Keyword("snapshot-p99-s"), snapshotP99Seconds);
        timing.put(new Keyword("snapshot-count"), snapshotCount);
        timing.put(new Keyword("elections"), electionCount());
        timing.put(new Keyword("leader-changes-seen"), leaderChangesSeen);
        timing.put(new Keyword("elections-with-no-fault"), quietElections.stream()
                .map(e -> e.node() + " " + String.format(Locale.ROOT, "%.1f-%.1f s", e.afterNanos() / 1e9,
                        e.byNanos() / 1e9)).toList());
        return timing;
    }

    /** Collects what the run learns as it goes. */
    public static final class Builder {
        private final JepsenRun.Options options;
        private final List<String> errors = new ArrayList<>();
        private final List<String> divergent = new ArrayList<>();
        private boolean readyAtEnd;
        private int finalReadsOk;
        private int finalReadsFailed;

        Builder(JepsenRun.Options options) {
            this.options = options;
        }

        synchronized void error(String message) {
            errors.add(message);
        }

        synchronized void nemesisErrors(List<String> messages) {
            errors.addAll(messages);
        }

        synchronized void readyAtEnd(boolean ready) {
            readyAtEnd = ready;
        }

        synchronized void finalRead(boolean ok) {
            if (ok) {
                finalReadsOk++;
            } else {
                finalReadsFailed++;
            }
        }

        synchronized void divergent(String line) {
            divergent.add(line);
        }

        synchronized RunReport build(List<Op> history, List<Nemesis.Event> events, MetricsWatch metrics,
                                     List<String> keys) {
            return new RunReport(this, history, events, metrics, keys);
        }
    }
}

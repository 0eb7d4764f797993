package io.confman.bench.load;

import io.confman.cli.Main;
import io.confman.cli.UsageException;
import java.io.PrintStream;
import java.time.Duration;
import java.util.List;
import java.util.Locale;

/**
 * {@code confman bench}: a load driver over the HTTP API that reports latency percentiles
 * and throughput as one JSON line. It exists to answer "how fast is the cluster" from where
 * a client stands, through the same API and the same forwarding to the leader a client
 * gets, in either a closed loop (C workers, each waiting for its answer) or an open loop
 * (a fixed rate, latency from each request's due time, so a stall is not hidden; see
 * {@link Schedule}). A progress line goes to stderr about once a second.
 *
 * <p>Exit status: 0 when the run finished, even with some errors; 1 when no node answered,
 * every operation failed, or the keys to read could not be written; 2 for a usage error (one
 * line on stderr).
 */
public final class BenchCommand {

    static final long PROGRESS_INTERVAL_MS = 1_000;

    private BenchCommand() {
    }

    public static void main(String[] args) {
        System.exit(run(args, System.getenv("CONFMAN_URL"), System.out, System.err));
    }

    /** Runs the command and returns its exit status (the tests call this). */
    static int run(String[] args, String urlFromEnvironment, PrintStream out, PrintStream err) {
        LoadOptions options;
        try {
            options = LoadOptions.parse(args, urlFromEnvironment);
        } catch (UsageException e) {
            err.println(e.getMessage());
            return Main.EXIT_USAGE;
        }
        try {
            return run(options, out, err);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            err.println(LoadOptions.COMMAND + ": interrupted");
            return Main.EXIT_FAILURE;
        }
    }

    static int run(LoadOptions options, PrintStream out, PrintStream err) throws InterruptedException {
        try (KvClient client = new KvClient(options.urls(), options.api(), options.namespace(),
                Duration.ofMillis(options.timeoutMs()));
             KvClient measuredClient = new KvClient(options.urls(), options.api(), options.namespace(),
                     Duration.ofMillis(options.timeoutMs()))) {
            return run(options, client, measuredClient, out, err);
        }
    }

    private static int run(LoadOptions options, KvClient client, KvClient measuredClient, PrintStream out,
                           PrintStream err) throws InterruptedException {
        Workloads workloads = new Workloads(options, client);
        List<String> unreachable = client.unreachable();
        if (!unreachable.isEmpty()) {
            err.println(LoadOptions.COMMAND + ": no node answered: " + String.join(", ", unreachable)
                    .replaceAll("\\s*[\\r\\n]+\\s*", " "));
            return Main.EXIT_FAILURE;
        }
        if (options.workload().loadsKeys()) {
            err.println(LoadOptions.COMMAND + ": loading " + options.keys() + " keys of " + options.valueBytes()
                    + " bytes");
            LoadRunner.Result loaded = new LoadRunner(Clock.SYSTEM, new Schedule.ClosedLoop(), options.concurrency())
                    .run(options.keys(), workloads.load(), progress(err, "loading", options.keys()),
                            PROGRESS_INTERVAL_MS);
            if (loaded.errors() > 0) {
                err.println(LoadOptions.COMMAND + ": loading the keys failed for " + loaded.errors() + " of "
                        + options.keys() + " (answers " + client.statusCounts() + "); no run without them");
                return Main.EXIT_FAILURE;
            }
        }
        client.close();
        long warmupErrors = options.warmupOps() > 0 ? warmUp(options, err) : 0;
        Workloads measured = new Workloads(options, measuredClient);
        ProcessCpu serverCpu = new ProcessCpu(options.cpuPids());
        long cpuBefore = serverCpuMillis(serverCpu, err);
        LoadRunner.Result result = new LoadRunner(Clock.SYSTEM, options.schedule(), options.concurrency(),
                options.intervalS() * 1_000_000_000L)
                .run(options.operations(), measured.measured(), progress(err, options.workload().flagName(),
                        options.operations()), PROGRESS_INTERVAL_MS);
        long cpuAfter = serverCpuMillis(serverCpu, err);
        long serverCpuMillis = cpuBefore < 0 || cpuAfter < 0 ? -1 : cpuAfter - cpuBefore;
        err.println(progressLine(options.workload().flagName(), result.operations(), options.operations(),
                result.errors(), result.latencies(), result.elapsedNanos()));
        out.println(Summary.json(options, result, measuredClient.statusCounts(), measuredClient.refusedConnections(),
                serverCpuMillis, warmupErrors));
        if (result.errors() == result.operations()) {
            err.println(LoadOptions.COMMAND + ": every operation failed (answers " + measuredClient.statusCounts()
                    + ")");
            return Main.EXIT_FAILURE;
        }
        return Main.EXIT_OK;
    }

    /**
     * Runs {@code --warmup-ops} operations of the workload unmeasured, on their own
     * connections: puts into the namespace {@code NS-warmup} (so the measured puts still create
     * their keys), other workloads on the loaded keys. A fresh driver JVM compiles its hot
     * paths during its first thousands of requests, on the cores the servers share.
     */
    private static long warmUp(LoadOptions options, PrintStream err) throws InterruptedException {
        String namespace = options.workload() == Workload.PUT
                ? options.namespace() + LoadOptions.WARMUP_NAMESPACE_SUFFIX : options.namespace();
        try (KvClient warmClient = new KvClient(options.urls(), options.api(), namespace,
                Duration.ofMillis(options.timeoutMs()))) {
            LoadRunner.Result warm = new LoadRunner(Clock.SYSTEM, new Schedule.ClosedLoop(), options.concurrency())
                    .run(options.warmupOps(), new Workloads(options, warmClient).warmup(),
                            progress(err, "warm-up", options.warmupOps()), PROGRESS_INTERVAL_MS);
            if (warm.errors() > 0) {
                err.println(LoadOptions.COMMAND + ": " + warm.errors() + " of " + options.warmupOps()
                        + " warm-up operations failed (answers " + warmClient.statusCounts() + ")");
            }
            return warm.errors();
        }
    }

    /** The servers' CPU time so far, or -1 without {@code --cpu-pids} or when a process went away. */
    private static long serverCpuMillis(ProcessCpu cpu, PrintStream err) {
        if (!cpu.enabled()) {
            return -1;
        }
        try {
            return cpu.totalMillis();
        } catch (java.io.IOException | RuntimeException e) {
            err.println(LoadOptions.COMMAND + ": cannot read a server's CPU time (" + e.getMessage()
                    + "); the summary leaves it out");
            return -1;
        }
    }

    private static LoadRunner.Progress progress(PrintStream err, String phase, long operations) {
        return (done, errors, soFar, elapsedNanos) -> err.println(progressLine(phase, done, operations, errors,
                soFar, elapsedNanos));
    }

    static String progressLine(String phase, long done, long operations, long errors,
                               org.HdrHistogram.Histogram soFar, long elapsedNanos) {
        double seconds = elapsedNanos / 1e9;
        return String.format(Locale.ROOT, "%s: %s %d/%d ops, %.0f ops/s, p99 %.3f ms, %d errors, %.1f s",
                LoadOptions.COMMAND, phase, done, operations, seconds > 0 ? done / seconds : 0.0,
                Summary.millis(soFar.getValueAtPercentile(99)), errors, seconds);
    }
}

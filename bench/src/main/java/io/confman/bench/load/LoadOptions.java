package io.confman.bench.load;

import io.confman.cli.Flags;
import io.confman.cli.UsageException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * The command line of {@code confman bench}, checked whole before anything is sent: a run
 * that would stop half-way for a bad flag wastes the cluster's time and leaves keys behind.
 *
 * @param urls          {@code --url}, the nodes, spread round-robin over the workers
 * @param workload      {@code --workload}
 * @param operations    {@code --ops}, operations measured (the load phase not included)
 * @param concurrency   {@code --concurrency}, workers; in an open loop the bound on requests in flight
 * @param rate          {@code --rate} ops/s for an open loop, 0 for a closed loop
 * @param valueBytes    {@code --value-size}, bytes of each written value
 * @param keys          the key space: {@code --keys}, or the workload's default
 * @param seed          {@code --seed}: keys, values and each operation's choices follow from it
 * @param readFraction  {@code --read-fraction} of a mixed workload's operations that are reads
 * @param stale         {@code --stale}: reads answered by the node asked, not linearizable
 * @param namespace     {@code --namespace} the keys are written under
 * @param timeoutMs     {@code --timeout-ms} of each request
 * @param api           {@code --api}: Confman's HTTP API or etcd's v3 JSON gateway
 * @param intervalS     {@code --interval-s}: the summary also gives the latencies of each such
 *                      interval of the run, to show whether they grow over a long run
 * @param cpuPids       {@code --cpu-pids}: server processes whose CPU time the measured
 *                      operations used is reported (Linux's {@code /proc})
 * @param warmupOps     {@code --warmup-ops}: operations of the workload run unmeasured first, so
 *                      that the driver's own compilation is not in the figures
 */
record LoadOptions(List<URI> urls, Workload workload, long operations, int concurrency, long rate,
                   long valueBytes, long keys, long seed, double readFraction, boolean stale, String namespace,
                   long timeoutMs, Api api, long intervalS, List<Long> cpuPids, long warmupOps) {

    static final String COMMAND = "confman bench";
    static final String USAGE = "usage: confman bench --url URL[,URL...] --workload put|get|mixed|cas --ops N"
            + " --concurrency C --value-size BYTES [--keys K] [--rate OPS_PER_S] [--seed S] [--read-fraction F]"
            + " [--stale] [--namespace NS] [--timeout-ms MS] [--api confman|etcd] [--interval-s S]"
            + " [--cpu-pids PID,...] [--warmup-ops N]";
    static final String URL_DEFAULT = "http://127.0.0.1:8080";
    static final long OPERATIONS_MAX = 1_000_000_000L;
    static final int CONCURRENCY_DEFAULT = 16;
    static final int CONCURRENCY_MAX = 1_024;
    static final long VALUE_BYTES_DEFAULT = 100;
    static final long RATE_MAX = 1_000_000;
    /** The node's own largest value (4 GiB); the node answers 413 above its configured one. */
    static final long VALUE_BYTES_MAX = 4L * 1024 * 1024 * 1024;
    static final long SEED_DEFAULT = 20_261_126L;
    /** Keys loaded for reads when {@code --keys} is absent, at most one per operation. */
    static final long READ_KEYS_DEFAULT = 1_000;
    /** Few keys, so that compare-and-set operations race each other. */
    static final long CAS_KEYS_DEFAULT = 8;
    static final double READ_FRACTION_DEFAULT = 0.9;
    static final long TIMEOUT_MS_DEFAULT = 60_000;
    static final long TIMEOUT_MS_MAX = 600_000;
    static final long INTERVAL_S_DEFAULT = 60;
    /** Where the warm-up of a put workload writes: {@code NS-warmup}, so measured puts still create their keys. */
    static final String WARMUP_NAMESPACE_SUFFIX = "-warmup";
    /** The node's longest namespace, in UTF-8 bytes (http/STORE.md, "Names"). */
    static final int NAMESPACE_BYTES_MAX = 128;

    private static final Set<String> VALUED = Set.of("url", "workload", "ops", "concurrency", "rate", "value-size",
            "keys", "seed", "read-fraction", "namespace", "timeout-ms", "api", "interval-s",
            "cpu-pids", "warmup-ops");
    private static final Set<String> BOOLEANS = Set.of("stale");

    LoadOptions {
        urls = List.copyOf(urls);
        cpuPids = List.copyOf(cpuPids);
    }

    /** Closed or open loop, as {@code --rate} says. */
    Schedule schedule() {
        return rate == 0 ? new Schedule.ClosedLoop() : new Schedule.OpenLoop(rate);
    }

    static LoadOptions parse(String[] args, String urlFromEnvironment) throws UsageException {
        Flags flags = Flags.parse(COMMAND, args, VALUED, BOOLEANS);
        if (!flags.positionals().isEmpty()) {
            throw new UsageException(COMMAND + ": unexpected argument '" + flags.positionals().get(0) + "'; " + USAGE);
        }
        List<URI> urls = parseUrls(flags.has("url") ? flags.get("url")
                : urlFromEnvironment != null && !urlFromEnvironment.isBlank() ? urlFromEnvironment : URL_DEFAULT);
        Workload workload = workload(flags.require(COMMAND, "workload"));
        long operations = flags.longValue(COMMAND, "ops", -1, 1, OPERATIONS_MAX);
        if (operations < 0) {
            throw new UsageException(COMMAND + ": flag --ops is required");
        }
        int concurrency = (int) flags.longValue(COMMAND, "concurrency", CONCURRENCY_DEFAULT, 1, CONCURRENCY_MAX);
        long rate = flags.longValue(COMMAND, "rate", 0, 1, RATE_MAX);
        long valueBytes = flags.longValue(COMMAND, "value-size", VALUE_BYTES_DEFAULT, 0, VALUE_BYTES_MAX);
        long keysDefault = switch (workload) {
            case PUT -> operations;
            case GET, MIXED -> Math.min(operations, READ_KEYS_DEFAULT);
            case CAS -> CAS_KEYS_DEFAULT;
        };
        long keys = flags.longValue(COMMAND, "keys", keysDefault, 1, OPERATIONS_MAX);
        long seed = flags.longValue(COMMAND, "seed", SEED_DEFAULT, Long.MIN_VALUE, Long.MAX_VALUE);
        if (flags.has("read-fraction") && workload != Workload.MIXED) {
            throw new UsageException(COMMAND + ": --read-fraction applies to --workload mixed only");
        }
        double readFraction = flags.has("read-fraction") ? fraction(flags.get("read-fraction"))
                : READ_FRACTION_DEFAULT;
        boolean stale = flags.has("stale");
        if (stale && workload != Workload.GET && workload != Workload.MIXED) {
            throw new UsageException(COMMAND + ": --stale applies to --workload get and mixed only");
        }
        String namespace = flags.has("namespace") ? flags.get("namespace") : "bench";
        if (namespace.startsWith(".")) {
            throw new UsageException(COMMAND + ": --namespace '" + namespace + "' is reserved (it starts with '.')");
        }
        long timeoutMs = flags.longValue(COMMAND, "timeout-ms", TIMEOUT_MS_DEFAULT, 1, TIMEOUT_MS_MAX);
        Api api = api(flags.has("api") ? flags.get("api") : Api.CONFMAN.flagName());
        if (api == Api.ETCD && valueBytes > Api.ETCD_VALUE_BYTES_MAX) {
            throw new UsageException(COMMAND + ": --api etcd takes values of at most " + Api.ETCD_VALUE_BYTES_MAX
                    + " bytes (etcd refuses requests over 1.5 MiB and its gateway sends values in base64), not "
                    + valueBytes);
        }
        long intervalS = flags.longValue(COMMAND, "interval-s", INTERVAL_S_DEFAULT, 1, 86_400);
        List<Long> cpuPids = flags.has("cpu-pids") ? pids(flags.get("cpu-pids")) : List.of();
        long warmupOps = flags.longValue(COMMAND, "warmup-ops", 0, 0, OPERATIONS_MAX);
        if (warmupOps > 0 && workload == Workload.PUT
                && (namespace + WARMUP_NAMESPACE_SUFFIX).getBytes(StandardCharsets.UTF_8).length > NAMESPACE_BYTES_MAX) {
            throw new UsageException(COMMAND + ": --warmup-ops of puts writes to '" + namespace
                    + WARMUP_NAMESPACE_SUFFIX + "', longer than a namespace may be (" + NAMESPACE_BYTES_MAX
                    + " bytes): shorten --namespace");
        }
        return new LoadOptions(urls, workload, operations, concurrency, rate, valueBytes, keys, seed, readFraction,
                stale, namespace, timeoutMs, api, intervalS, cpuPids, warmupOps);
    }

    private static List<Long> pids(String list) throws UsageException {
        List<Long> pids = new ArrayList<>();
        for (String item : list.split(",", -1)) {
            long pid;
            try {
                pid = Long.parseLong(item.strip());
            } catch (NumberFormatException notANumber) {
                throw new UsageException(COMMAND + ": --cpu-pids takes process ids, got '" + item + "'");
            }
            if (pid <= 0 || !java.nio.file.Files.isReadable(java.nio.file.Path.of("/proc", Long.toString(pid),
                    "stat"))) {
                throw new UsageException(COMMAND + ": --cpu-pids: no process " + item.strip()
                        + " (its /proc/PID/stat is not readable)");
            }
            pids.add(pid);
        }
        return pids;
    }

    private static Api api(String name) throws UsageException {
        for (Api api : Api.values()) {
            if (api.flagName().equals(name.toLowerCase(Locale.ROOT))) {
                return api;
            }
        }
        throw new UsageException(COMMAND + ": --api must be confman or etcd, got '" + name + "'");
    }

    private static Workload workload(String name) throws UsageException {
        for (Workload workload : Workload.values()) {
            if (workload.flagName().equals(name.toLowerCase(Locale.ROOT))) {
                return workload;
            }
        }
        throw new UsageException(COMMAND + ": --workload must be put, get, mixed or cas, got '" + name + "'");
    }

    private static double fraction(String text) throws UsageException {
        double value;
        try {
            value = Double.parseDouble(text);
        } catch (NumberFormatException notANumber) {
            throw new UsageException(COMMAND + ": --read-fraction must be a number in [0, 1], got '" + text + "'");
        }
        if (!(value >= 0 && value <= 1)) {
            throw new UsageException(COMMAND + ": --read-fraction must be in [0, 1], got " + text);
        }
        return value;
    }

    static List<URI> parseUrls(String list) throws UsageException {
        List<URI> urls = new ArrayList<>();
        for (String item : list.split(",", -1)) {
            String text = item.strip();
            URI uri;
            try {
                uri = URI.create(text.endsWith("/") ? text.substring(0, text.length() - 1) : text);
            } catch (IllegalArgumentException e) {
                throw new UsageException(COMMAND + ": --url '" + text + "' is not a URL");
            }
            if (!"http".equals(uri.getScheme()) || uri.getHost() == null) {
                throw new UsageException(COMMAND + ": --url '" + text + "' is not an http:// URL with a host");
            }
            if (uri.getRawPath() != null && !uri.getRawPath().isEmpty() || uri.getRawQuery() != null) {
                throw new UsageException(COMMAND + ": --url '" + text + "' must name a node only, with no path");
            }
            urls.add(uri);
        }
        return urls;
    }
}

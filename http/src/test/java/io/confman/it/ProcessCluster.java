package io.confman.it;

import io.confman.cli.FreePorts;
import io.confman.cli.NodeJvm;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Real {@code confman server} processes on 127.0.0.1, one JVM each, started from this test
 * JVM's classpath: a kill here is a real crash ({@code kill -9}), a restart runs recovery
 * from the data directory. Every wait is for a condition under a deadline, never a fixed
 * sleep. {@link #close()}, and a JVM shutdown hook should the test JVM die first, kill every
 * process this harness started.
 */
final class ProcessCluster implements AutoCloseable {

    /** Generous: several JVMs start at once on two shared cores. */
    static final Duration DEADLINE = Duration.ofSeconds(60);
    /** Two timing windows (DurationRecorder.WINDOW_AGE_NANOS) and a margin. */
    static final Duration READY_DEADLINE = Duration.ofSeconds(150);
    static final long POLL_MS = 100;
    /** A node that ignores SIGTERM this long is killed. */
    static final long STOP_GRACE_MS = 10_000;
    /** Heap per node: small, so that three nodes and Maven fit on a test machine. */
    static final String NODE_HEAP = "-Xmx256m";
    /**
     * The collector settings {@code bin/confman} gives server and dev nodes (its
     * {@code node_gc_flags}; {@link NodeJvmFlagsTest} keeps the two equal), so that the
     * processes tested are the ones shipped. {@code -Dit.nodeGc=...} replaces them for an
     * experiment.
     */

    /** Every process any harness in this JVM started and has not seen exit. */
    private static final Set<Process> STARTED = ConcurrentHashMap.newKeySet();

    static {
        Runtime.getRuntime().addShutdownHook(new Thread(() -> STARTED.forEach(process -> {
            process.descendants().forEach(ProcessHandle::destroyForcibly);
            process.destroyForcibly();
        }), "process-cluster-reaper"));
    }

    /** Puts a process started elsewhere (e.g. {@code confman dev}) under the reaper, with its descendants. */
    static Process track(Process process) {
        STARTED.add(process);
        return process;
    }

    static void untrack(Process process) {
        STARTED.remove(process);
    }

    /**
     * Starts {@code confman dev ARGS} from this JVM's classpath, its output (both streams) in
     * {@code out}, under the reaper; the caller waits for what it needs and untracks it.
     */
    static Process startDev(Path out, String... args) throws IOException {
        List<String> command = new ArrayList<>(javaCommand());
        command.add("io.confman.cli.Main");
        command.add("dev");
        command.addAll(List.of(args));
        return track(new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(out.toFile()).start());
    }

    /** One member: where it listens, where it logs, and its current process (null when down). */
    static final class Node {
        final String id;
        final int httpPort;
        final int peerPort;
        final Path dataDir;
        final Path log;
        volatile Process process;

        Node(String id, int httpPort, int peerPort, Path dataDir, Path log) {
            this.id = id;
            this.httpPort = httpPort;
            this.peerPort = peerPort;
            this.dataDir = dataDir;
            this.log = log;
        }

        String url() {
            return "http://127.0.0.1:" + httpPort;
        }
    }

    /** The outcome of a process that was expected to exit on its own. */
    record Exited(int status, String stdout, String stderr) {
    }

    private final Path root;
    private final Map<String, Node> nodes = new LinkedHashMap<>();
    /** The nodes' heap flag; a test of memory bounds gives a smaller one (as CONFMAN_JAVA_OPTS would). */
    String nodeHeap = NODE_HEAP;
    private final Path secretFile;
    private final Path adminTokenFile;
    private final List<String> extraArgs;
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2))
            .version(HttpClient.Version.HTTP_1_1).build();

    /**
     * @param root      a fresh directory (a {@code @TempDir}) for data, logs and secrets
     * @param size      members, named n1..nN
     * @param extraArgs flags given to every server, e.g. {@code --snapshot-interval 50}
     */
    ProcessCluster(Path root, int size, List<String> extraArgs) throws IOException {
        this.root = Files.createDirectories(root);
        this.extraArgs = List.copyOf(extraArgs);
        this.secretFile = Files.writeString(root.resolve("cluster-secret"), randomHex() + "\n");
        this.adminTokenFile = Files.writeString(root.resolve("admin-token"), randomHex() + "\n");
        for (int i = 1; i <= size; i++) {
            String id = "n" + i;
            Path dir = Files.createDirectories(root.resolve(id));
            nodes.put(id, new Node(id, FreePorts.pick(), FreePorts.pick(), dir.resolve("data"), dir.resolve("node.log")));
        }
    }

    List<String> ids() {
        return List.copyOf(nodes.keySet());
    }

    Node node(String id) {
        Node node = nodes.get(id);
        if (node == null) {
            throw new IllegalArgumentException("no node " + id + " in " + nodes.keySet());
        }
        return node;
    }

    String url(String id) {
        return node(id).url();
    }

    Path secretFile() {
        return secretFile;
    }

    Path adminTokenFile() {
        return adminTokenFile;
    }

    String peers() {
        List<String> items = new ArrayList<>();
        nodes.values().forEach(node -> items.add(node.id + "=127.0.0.1:" + node.peerPort));
        return String.join(",", items);
    }

    /** The server flags of member {@code id} of this cluster. */
    List<String> serverArgs(String id) {
        Node node = node(id);
        List<String> args = new ArrayList<>(List.of("--id", id, "--peers", peers(), "--http",
                "127.0.0.1:" + node.httpPort, "--data", node.dataDir.toString(), "--cluster-secret-file",
                secretFile.toString(), "--admin-token-file", adminTokenFile.toString()));
        args.addAll(extraArgs);
        return args;
    }

    void startAll() throws IOException {
        for (String id : nodes.keySet()) {
            start(id);
        }
    }

    /** Starts member {@code id}; its stdout and stderr are appended to its log. */
    void start(String id) throws IOException {
        Node node = node(id);
        if (node.process != null && node.process.isAlive()) {
            throw new IllegalStateException(id + " is already running");
        }
        Files.writeString(node.log, "---- harness: starting " + id + "\n", StandardCharsets.UTF_8,
                java.nio.file.StandardOpenOption.CREATE, java.nio.file.StandardOpenOption.APPEND);
        node.process = launch(nodeHeap, serverArgs(id), ProcessBuilder.Redirect.appendTo(node.log.toFile()),
                ProcessBuilder.Redirect.appendTo(node.log.toFile()));
    }

    /** {@code kill -9}: no shutdown hook, no flush, nothing closed. */
    void kill(String id) throws InterruptedException {
        Process process = node(id).process;
        if (process != null) {
            process.destroyForcibly().waitFor();
            STARTED.remove(process);
        }
    }

    /** SIGTERM, then SIGKILL after {@link #STOP_GRACE_MS}; returns the exit status. */
    int stop(String id) throws InterruptedException {
        Process process = node(id).process;
        if (process == null) {
            throw new IllegalStateException(id + " was never started");
        }
        process.destroy();
        if (!process.waitFor(STOP_GRACE_MS, TimeUnit.MILLISECONDS)) {
            process.destroyForcibly().waitFor();
        }
        STARTED.remove(process);
        return process.exitValue();
    }

    /**
     * The CPU time a node's process used so far, user and system, in seconds, from
     * {@code /proc/PID/stat} (Linux; clock ticks of 1/100 s).
     */
    double[] cpuSeconds(String id) throws IOException {
        String stat = Files.readString(Path.of("/proc", String.valueOf(node(id).process.pid()), "stat"));
        String[] fields = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
        // After "pid (comm) ", field 3 (state) is index 0, so utime (14) is 11 and stime (15) is 12.
        return new double[] {Long.parseLong(fields[11]) / 100.0, Long.parseLong(fields[12]) / 100.0};
    }

    boolean alive(String id) {
        Process process = node(id).process;
        return process != null && process.isAlive();
    }

    String log(String id) {
        try {
            return Files.readString(node(id).log, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Waits until {@code condition} holds; fails naming {@code what} and pointing at the logs. */
    void await(String what, BooleanSupplier condition) throws InterruptedException {
        await(what, DEADLINE, condition);
    }

    void await(String what, Duration within, BooleanSupplier condition) throws InterruptedException {
        long deadline = System.nanoTime() + within.toNanos();
        while (!condition.getAsBoolean()) {
            for (Node node : nodes.values()) {
                Process process = node.process;
                if (process != null && !process.isAlive() && STARTED.contains(process)) {
                    throw new AssertionError("waiting for " + what + ": node " + node.id + " exited with status "
                            + process.exitValue() + "; its log " + node.log + " ends with: " + tail(node.id));
                }
            }
            if (System.nanoTime() > deadline) {
                StringBuilder tails = new StringBuilder();
                nodes.keySet().forEach(id -> tails.append("; ").append(id).append(": ").append(tail(id)));
                throw new AssertionError("timed out after " + within.toSeconds() + " s waiting for " + what
                        + "; logs in " + root + tails);
            }
            Thread.sleep(POLL_MS);
        }
    }

    void awaitLogLine(String id, String fragment) throws InterruptedException {
        await("'" + fragment + "' in the log of " + id, () -> log(id).contains(fragment));
    }

    /** Waits until every running member answers {@code /readyz} with 200. */
    void awaitReady() throws InterruptedException {
        // Longer than the others: a node is unready while its fsync or snapshot p99 of the
        // last 60 s is near the election timeout (NODE.md, "Timing warnings"), and a node that
        // starts while the shared disk is still writing back an earlier test's gigabytes sees
        // its first fsyncs take half a second.
        await("every running node ready", READY_DEADLINE, () -> nodes.values().stream()
                .filter(node -> node.process != null && node.process.isAlive())
                .allMatch(node -> get(node.id, "/readyz").map(r -> r.statusCode() == 200).orElse(false)));
    }

    /** Waits until every running member names the same leader in {@code /v1/status}; returns it. */
    String awaitLeader() throws InterruptedException {
        String[] leader = new String[1];
        await("one leader known to every running node", () -> {
            Set<String> seen = new java.util.HashSet<>();
            for (Node node : nodes.values()) {
                if (node.process == null || !node.process.isAlive()) {
                    continue;
                }
                Optional<String> named = get(node.id, "/v1/status").filter(r -> r.statusCode() == 200)
                        .map(r -> jsonString(r.body(), "leader"));
                if (named.isEmpty() || named.get() == null || named.get().isEmpty()) {
                    return false;
                }
                seen.add(named.get());
            }
            if (seen.size() != 1) {
                return false;
            }
            leader[0] = seen.iterator().next();
            return alive(leader[0]);
        });
        return leader[0];
    }

    /** A GET to member {@code id}; empty when it does not answer (down, starting). */
    Optional<HttpResponse<String>> get(String id, String pathAndQuery) {
        try {
            return Optional.of(http.send(HttpRequest.newBuilder(URI.create(url(id) + pathAndQuery))
                    .timeout(Duration.ofSeconds(15)).build(), HttpResponse.BodyHandlers.ofString()));
        } catch (IOException notAnswering) {
            return Optional.empty();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return Optional.empty();
        }
    }

    /**
     * PUTs {@code value} through member {@code id}. Retries while the answer says the write
     * was never proposed (503 no leader, 429 overloaded), so it never writes twice; returns
     * the last answer, which the caller checks.
     */
    HttpResponse<String> put(String id, String namespace, String key, String value)
            throws IOException, InterruptedException {
        long deadline = System.nanoTime() + DEADLINE.toNanos();
        while (true) {
            HttpResponse<String> response = http.send(HttpRequest.newBuilder(URI.create(url(id) + "/v1/kv/"
                            + namespace + "/" + key)).timeout(Duration.ofSeconds(30))
                    .PUT(HttpRequest.BodyPublishers.ofString(value)).build(), HttpResponse.BodyHandlers.ofString());
            boolean neverProposed = response.statusCode() == 503 || response.statusCode() == 429;
            if (!neverProposed || System.nanoTime() > deadline) {
                return response;
            }
            Thread.sleep(POLL_MS);
        }
    }

    /** The value of {@code namespace/key} as member {@code id} serves it, or empty when it does not answer 200. */
    Optional<String> value(String id, String namespace, String key, boolean stale) {
        return get(id, "/v1/kv/" + namespace + "/" + key + (stale ? "?consistency=stale" : ""))
                .filter(response -> response.statusCode() == 200).map(HttpResponse::body);
    }

    /** The first string value of {@code "field":"..."} in a JSON text, or null. */
    static String jsonString(String json, String field) {
        Matcher m = Pattern.compile("\"" + Pattern.quote(field) + "\"\\s*:\\s*(?:\"([^\"]*)\"|null)").matcher(json);
        return m.find() ? m.group(1) : null;
    }

    /** The first number value of {@code "field":N} in a JSON text, or -1. */
    static long jsonLong(String json, String field) {
        Matcher m = Pattern.compile("\"" + Pattern.quote(field) + "\"\\s*:\\s*(-?\\d+)").matcher(json);
        return m.find() ? Long.parseLong(m.group(1)) : -1;
    }

    /**
     * Runs {@code confman server} with {@code args}, expecting it to exit on its own (a refused
     * configuration); kills it and fails if it still runs after the deadline.
     */
    Exited runUntilExit(String name, List<String> args) throws IOException, InterruptedException {
        Path out = root.resolve(name + ".out");
        Path err = root.resolve(name + ".err");
        Process process = launch(nodeHeap, args, ProcessBuilder.Redirect.to(out.toFile()),
                ProcessBuilder.Redirect.to(err.toFile()));
        if (!process.waitFor(DEADLINE.toSeconds(), TimeUnit.SECONDS)) {
            process.destroyForcibly().waitFor();
            STARTED.remove(process);
            throw new AssertionError(name + ": the server did not exit within " + DEADLINE.toSeconds() + " s");
        }
        STARTED.remove(process);
        return new Exited(process.exitValue(), Files.readString(out), Files.readString(err));
    }

    /**
     * Starts {@code confman server} with arbitrary {@code args} (not a member's), output to
     * {@code log}; the caller stops it, and the shutdown hook kills it should the JVM die.
     */
    Process launchLogged(List<String> args, Path log) throws IOException {
        return launch(nodeHeap, args, ProcessBuilder.Redirect.to(log.toFile()),
                ProcessBuilder.Redirect.appendTo(log.toFile()));
    }

    /** Stops a process from {@link #launchLogged}: SIGTERM, SIGKILL after the grace period. */
    static int stopProcess(Process process) throws InterruptedException {
        process.destroy();
        if (!process.waitFor(STOP_GRACE_MS, TimeUnit.MILLISECONDS)) {
            process.destroyForcibly().waitFor();
        }
        STARTED.remove(process);
        return process.exitValue();
    }

    private static Process launch(String heap, List<String> serverArgs, ProcessBuilder.Redirect out,
                                  ProcessBuilder.Redirect err) throws IOException {
        int idAt = serverArgs.indexOf("--id");
        String id = idAt >= 0 && idAt + 1 < serverArgs.size() ? serverArgs.get(idAt + 1) : "node";
        List<String> command = new ArrayList<>();
        for (String part : javaCommand(heap)) { // {id} in it.nodeJvmOptions: one flight recording per node
            command.add(part.replace("{id}", id));
        }
        command.add("io.confman.cli.Main");
        command.add("server");
        command.addAll(serverArgs);
        Process process = new ProcessBuilder(command).redirectOutput(out).redirectError(err)
                .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null"))).start();
        STARTED.add(process);
        return process;
    }

    /** This JVM's java, its module flags (Chronicle's), a small heap and this JVM's classpath. */
    static List<String> javaCommand() {
        return javaCommand(NODE_HEAP);
    }

    /** As {@link #javaCommand()}, with {@code heap} (e.g. {@code -Xmx128m}) as the heap flag. */
    static List<String> javaCommand(String heap) {
        String gc = System.getProperty("it.nodeGc", "").strip();
        // Extra flags for every node, e.g. a flight recording when profiling a test run.
        String extra = System.getProperty("it.nodeJvmOptions", "").strip();
        return NodeJvm.command(heap, gc.isEmpty() ? NodeJvm.GC_FLAGS : List.of(gc.split("\\s+")),
                extra.isEmpty() ? List.of() : List.of(extra.split("\\s+")));
    }

    String tail(String id) {
        if (!Files.exists(node(id).log)) {
            return "(no log)";
        }
        List<String> lines = log(id).lines().toList();
        return String.join(" / ", lines.subList(Math.max(0, lines.size() - 5), lines.size()));
    }

    private static String randomHex() {
        byte[] bytes = new byte[24];
        new java.security.SecureRandom().nextBytes(bytes);
        return HexFormat.of().formatHex(bytes);
    }

    /** Kills every process of this cluster still running. */
    @Override
    public void close() {
        for (Node node : nodes.values()) {
            Process process = node.process;
            if (process != null) {
                process.destroyForcibly();
                try {
                    process.waitFor(STOP_GRACE_MS, TimeUnit.MILLISECONDS);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
                STARTED.remove(process);
            }
        }
    }
}

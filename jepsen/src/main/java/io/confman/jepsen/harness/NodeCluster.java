package io.confman.jepsen.harness;

import io.confman.cli.FreePorts;
import io.confman.cli.NodeJvm;
import io.confman.faults.Signals;
import java.io.Closeable;
import java.io.File;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

/**
 * N real node processes on loopback, started from this JVM's classpath (the built jars
 * when run by {@code bin/confman}), each with its own data directory and log file, and a
 * {@link io.confman.faults.LinkProxy} on every directed link between two of them. Every
 * process this class starts is stopped by {@link #close()}, and by a shutdown hook if the
 * JVM ends first, so a run leaves no stray processes whatever happens.
 */
public final class NodeCluster implements Closeable {

    private static final Set<Process> STARTED = ConcurrentHashMap.newKeySet();
    private static final long STOP_GRACE_MS = 10_000;

    static {
        Thread hook = new Thread(() -> STARTED.forEach(process -> {
            process.destroyForcibly();
        }), "jepsen-node-reaper");
        Runtime.getRuntime().addShutdownHook(hook);
    }

    /** Node flags: timing and snapshot cadence, passed on the command line. */
    public record NodeOptions(long heartbeatMs, long electionTimeoutMs, long requestTimeoutMs,
                              long snapshotInterval, String heap) {
        public static final NodeOptions DEFAULTS = new NodeOptions(100, 1_000, 10_000, 1_000, "-Xmx256m");
    }

    /** One member: its addresses, files and current process. */
    public static final class Node {
        private final String id;
        private final InetSocketAddress peer;
        private final InetSocketAddress http;
        private final Path data;
        private final Path log;
        private volatile Process process;
        private volatile boolean paused;
        private int starts;

        Node(String id, InetSocketAddress peer, InetSocketAddress http, Path data, Path log) {
            this.id = id;
            this.peer = peer;
            this.http = http;
            this.data = data;
            this.log = log;
        }

        public String id() {
            return id;
        }

        public URI url() {
            return URI.create("http://" + http.getHostString() + ":" + http.getPort());
        }

        public Path log() {
            return log;
        }

        /** Running (possibly paused), as opposed to killed and not yet restarted. */
        public boolean running() {
            Process current = process;
            return current != null && current.isAlive();
        }

        public boolean paused() {
            return paused;
        }

        public long pid() {
            Process current = process;
            return current == null ? -1 : current.pid();
        }
    }

    private final Path dir;
    private final NodeOptions options;
    private final Map<String, Node> nodes = new LinkedHashMap<>();
    private final Network network;
    private boolean closed;
    private final Path secretFile;
    private final Path adminTokenFile;
    private final String adminToken;
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(1))
            .version(HttpClient.Version.HTTP_1_1).build();

    private NodeCluster(Path dir, NodeOptions options, Network network, Path secretFile, Path adminTokenFile,
                        String adminToken) {
        this.dir = dir;
        this.network = network;
        this.options = options;
        this.secretFile = secretFile;
        this.adminTokenFile = adminTokenFile;
        this.adminToken = adminToken;
    }

    /** Picks ports, sets the network up and starts every node; does not wait for readiness. */
    public static NodeCluster start(Path dir, int size, NodeOptions options, Network network) throws IOException {
        if (size < 1 || size > 9) {
            throw new IllegalArgumentException("a cluster of 1 to 9 nodes, not " + size);
        }
        Files.createDirectories(dir);
        Path secret = dir.resolve("cluster-secret");
        Files.writeString(secret, randomHex());
        Path tokenFile = dir.resolve("admin-token");
        String token = randomHex();
        Files.writeString(tokenFile, token);
        NodeCluster cluster = new NodeCluster(dir, options, network, secret, tokenFile, token);
        try {
            Map<String, InetSocketAddress> peers = new LinkedHashMap<>();
            for (int i = 1; i <= size; i++) {
                String id = "n" + i;
                Path home = dir.resolve(id);
                Files.createDirectories(home);
                String host = network.host(id);
                Node node = new Node(id, new InetSocketAddress(host, FreePorts.pick()),
                        new InetSocketAddress(host, FreePorts.pick()), home.resolve("data"), home.resolve("node.log"));
                cluster.nodes.put(id, node);
                peers.put(id, node.peer);
            }
            network.start(peers);
            for (Node node : cluster.nodes.values()) {
                cluster.launch(node);
            }
        } catch (IOException | RuntimeException e) {
            cluster.close();
            throw e;
        }
        return cluster;
    }

    public List<Node> nodes() {
        return List.copyOf(nodes.values());
    }

    public Node node(String id) {
        Node node = nodes.get(id);
        if (node == null) {
            throw new IllegalArgumentException("no node " + id);
        }
        return node;
    }

    public List<String> ids() {
        return List.copyOf(nodes.keySet());
    }

    public NodeOptions options() {
        return options;
    }

    public String adminToken() {
        return adminToken;
    }

    public Network network() {
        return network;
    }

    /** Drops what {@code from} sends to {@code to} until {@link #healAll()}. */
    public void cut(String from, String to) {
        node(from);
        node(to);
        network.cut(from, to);
    }

    /** Lets every link carry everything again. */
    public void healAll() {
        network.healAll();
    }

    private List<String> serverArgs(Node node) {
        StringBuilder peers = new StringBuilder();
        for (Node member : nodes.values()) {
            peers.append(peers.length() == 0 ? "" : ",").append(member.id).append('=')
                    .append(member.peer.getHostString()).append(':').append(member.peer.getPort());
        }
        StringBuilder dial = new StringBuilder();
        network.dialVia(node.id).forEach((peer, address) -> dial.append(dial.length() == 0 ? "" : ",")
                .append(peer).append('=').append(address.getHostString()).append(':').append(address.getPort()));
        List<String> args = new ArrayList<>(List.of("--id", node.id, "--peers", peers.toString(),
                "--http", node.http.getHostString() + ":" + node.http.getPort(), "--data", node.data.toString(),
                "--cluster-secret-file", secretFile.toString(), "--admin-token-file", adminTokenFile.toString(),
                "--heartbeat-ms", Long.toString(options.heartbeatMs()),
                "--election-timeout-ms", Long.toString(options.electionTimeoutMs()),
                "--request-timeout-ms", Long.toString(options.requestTimeoutMs()),
                "--snapshot-interval", Long.toString(options.snapshotInterval())));
        if (dial.length() > 0) {
            args.add("--peer-dial");
            args.add(dial.toString());
        }
        return args;
    }

    private synchronized void launch(Node node) throws IOException {
        if (closed) {
            throw new IllegalStateException("the cluster is closed; " + node.id + " is not started again");
        }
        List<String> command = new ArrayList<>(network.commandPrefix(node.id));
        command.addAll(javaCommand(options.heap()));
        command.add("io.confman.cli.Main");
        command.add("server");
        command.addAll(serverArgs(node));
        node.starts++;
        Files.writeString(node.log, "# start " + node.starts + ": " + String.join(" ", command) + "\n",
                StandardCharsets.UTF_8, java.nio.file.StandardOpenOption.CREATE,
                java.nio.file.StandardOpenOption.APPEND);
        Process process = new ProcessBuilder(command)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(node.log.toFile()))
                .redirectError(ProcessBuilder.Redirect.appendTo(node.log.toFile()))
                .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null"))).start();
        STARTED.add(process);
        node.process = process;
        node.paused = false;
    }

    /** This JVM's java and module flags (Chronicle's), the node heap and collector, this classpath. */
    static List<String> javaCommand(String heap) {
        return NodeJvm.command(heap, NodeJvm.GC_FLAGS, List.of());
    }

    /** {@code kill -9}: a crash, nothing flushed that was not synced. */
    public void kill(String id) throws InterruptedException {
        Node node = node(id);
        Process process = node.process;
        if (process == null) {
            return;
        }
        process.destroyForcibly();
        if (!process.waitFor(STOP_GRACE_MS, TimeUnit.MILLISECONDS)) {
            throw new IllegalStateException(id + " (pid " + process.pid() + ") did not die within "
                    + STOP_GRACE_MS + " ms of SIGKILL");
        }
        STARTED.remove(process);
        node.paused = false;
    }

    /** Starts a killed node again on the same data directory (recovery from its WAL and snapshot). */
    public void restart(String id) throws IOException {
        Node node = node(id);
        if (node.running()) {
            throw new IllegalStateException(id + " is still running");
        }
        launch(node);
    }

    /** {@code SIGSTOP}: the process freezes with its sockets open, as in a long GC pause. */
    public void pause(String id) throws IOException, InterruptedException {
        Node node = node(id);
        if (node.running()) {
            node.paused = true; // Before the signal: whatever happens next, the heal sends SIGCONT.
            Signals.send(node.pid(), "STOP");
        }
    }

    /** {@code SIGCONT}, whether or not the node is known to be stopped. */
    public void resume(String id) throws IOException, InterruptedException {
        Node node = node(id);
        if (node.running()) {
            Signals.send(node.pid(), "CONT");
        }
        node.paused = false;
    }

    /** One GET, or null when the node does not answer within {@code timeout}. */
    public HttpResponse<String> get(Node node, String path, Duration timeout) {
        try {
            return http.send(HttpRequest.newBuilder(node.url().resolve(path)).timeout(timeout).GET().build(),
                    HttpResponse.BodyHandlers.ofString());
        } catch (IOException e) {
            return null;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return null;
        }
    }

    /** True when the node answers {@code /readyz} with 200. */
    public boolean ready(Node node) {
        if (!node.running() || node.paused) {
            return false;
        }
        HttpResponse<String> response = get(node, "/readyz", Duration.ofSeconds(2));
        return response != null && response.statusCode() == 200;
    }

    /** Waits until every node is ready; false when {@code deadline} passes first. */
    public boolean awaitReady(Duration deadline) throws InterruptedException {
        long end = System.nanoTime() + deadline.toNanos();
        while (System.nanoTime() < end) {
            boolean all = true;
            for (Node node : nodes.values()) {
                if (!ready(node)) {
                    all = false;
                    break;
                }
            }
            if (all) {
                return true;
            }
            Thread.sleep(200);
        }
        return false;
    }

    /**
     * The node that leads in the highest term any running node reports, or null: during a
     * partition an old leader may still believe it leads a lower term.
     */
    public String leader() {
        String leader = null;
        long bestTerm = -1;
        for (Node node : nodes.values()) {
            if (!node.running() || node.paused) {
                continue;
            }
            HttpResponse<String> response = get(node, "/v1/status", Duration.ofSeconds(1));
            if (response == null || response.statusCode() != 200) {
                continue;
            }
            String body = response.body();
            long term = jsonLong(body, "term");
            if (body.contains("\"role\":\"leader\"") && term > bestTerm) {
                bestTerm = term;
                leader = node.id;
            }
        }
        return leader;
    }

    /** A number field of a flat JSON object, or -1. */
    static long jsonLong(String json, String field) {
        String key = "\"" + field + "\":";
        int at = json.indexOf(key);
        if (at < 0) {
            return -1;
        }
        int start = at + key.length();
        int end = start;
        while (end < json.length() && (Character.isDigit(json.charAt(end)) || json.charAt(end) == '-')) {
            end++;
        }
        return end == start ? -1 : Long.parseLong(json.substring(start, end));
    }

    public Path dir() {
        return dir;
    }

    private static String randomHex() {
        byte[] bytes = new byte[24];
        new SecureRandom().nextBytes(bytes);
        return HexFormat.of().formatHex(bytes);
    }

    /** Kills every node (SIGKILL ends a stopped process too) and tears the network down. */
    @Override
    public void close() {
        synchronized (this) {
            closed = true;
        }
        for (Node node : nodes.values()) {
            Process process = node.process;
            if (process == null) {
                continue;
            }
            process.destroyForcibly();
            try {
                process.waitFor(STOP_GRACE_MS, TimeUnit.MILLISECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            STARTED.remove(process);
        }
        network.close();
    }
}

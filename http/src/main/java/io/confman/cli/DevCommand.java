package io.confman.cli;

import java.io.IOException;
import java.io.PrintStream;
import java.lang.management.ManagementFactory;
import java.net.InetAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * {@code confman dev}: a local cluster of N {@code confman server} processes on 127.0.0.1,
 * one JVM each, so that killing one is a real crash. Stops every node on Ctrl-C or SIGTERM
 * (SIGTERM first, SIGKILL after {@link #STOP_GRACE_MS}), and reports a node that dies.
 */
final class DevCommand {

    static final String COMMAND = "confman dev";
    static final int NODES_DEFAULT = 3;
    static final int NODES_MAX = 9;
    /** Peer ports sit this far above the HTTP ports when --base-port is given. */
    static final int PEER_PORT_OFFSET = 100;
    /** Generous: N JVMs start at once on a laptop that may also be building. */
    static final long READY_DEADLINE_MS = 120_000;
    static final long READY_POLL_MS = 250;
    static final long STOP_GRACE_MS = 10_000;
    private static final String USAGE = "usage: confman dev [--nodes N] [--data DIR] [--base-port P]";

    /** One child: its id, its addresses, its log, its process. */
    record Child(String id, int httpPort, int peerPort, Path log, Process process) {
        String url() {
            return "http://127.0.0.1:" + httpPort;
        }
    }

    private DevCommand() {
    }

    static int run(String[] args, PrintStream out, PrintStream err) {
        int nodes;
        Path dir;
        int basePort;
        try {
            Flags flags = Flags.parse(COMMAND, args, Set.of("nodes", "data", "base-port"), Set.of());
            if (!flags.positionals().isEmpty()) {
                throw new UsageException(COMMAND + ": unexpected argument '" + flags.positionals().get(0) + "'; "
                        + USAGE);
            }
            nodes = (int) flags.longValue(COMMAND, "nodes", NODES_DEFAULT, 1, NODES_MAX);
            basePort = (int) flags.longValue(COMMAND, "base-port", 0, 1, 65_535 - PEER_PORT_OFFSET - NODES_MAX);
            dir = flags.has("data") ? Path.of(flags.get("data")) : null;
        } catch (UsageException e) {
            err.println(e.getMessage());
            return Main.EXIT_USAGE;
        }
        try {
            return runCluster(nodes, dir, basePort, out, err);
        } catch (IOException e) {
            err.println(COMMAND + ": " + UsageException.oneLine(e.toString()));
            return Main.EXIT_FAILURE;
        }
    }

    private static int runCluster(int nodes, Path requestedDir, int basePort, PrintStream out, PrintStream err)
            throws IOException {
        Path dir = requestedDir != null ? Files.createDirectories(requestedDir)
                : Files.createTempDirectory("confman-dev-");
        // A directory used before keeps its secret, token and ports: the data of each node
        // belongs to that member list (ids and addresses), and a new one would be refused.
        Path secretFile = keepOrWritePrivate(dir.resolve("cluster-secret"));
        Path tokenFile = keepOrWritePrivate(dir.resolve("admin-token"));
        Path portsFile = dir.resolve("ports");
        int[] httpPorts = new int[nodes];
        int[] peerPorts = new int[nodes];
        List<String> previous = basePort == 0 && Files.exists(portsFile) ? Files.readAllLines(portsFile) : List.of();
        if (previous.size() == nodes) {
            for (int i = 0; i < nodes; i++) {
                String[] pair = previous.get(i).strip().split(" ");
                httpPorts[i] = Integer.parseInt(pair[0]);
                peerPorts[i] = Integer.parseInt(pair[1]);
            }
            out.println("confman dev: reusing the ports recorded in " + portsFile);
        } else {
            List<String> lines = new ArrayList<>();
            for (int i = 0; i < nodes; i++) {
                httpPorts[i] = basePort == 0 ? FreePorts.pick() : basePort + i;
                peerPorts[i] = basePort == 0 ? FreePorts.pick() : basePort + PEER_PORT_OFFSET + i;
                lines.add(httpPorts[i] + " " + peerPorts[i]);
            }
            Files.write(portsFile, lines, StandardCharsets.UTF_8);
        }
        List<String> peers = new ArrayList<>();
        for (int i = 0; i < nodes; i++) {
            peers.add(nodeId(i) + "=127.0.0.1:" + peerPorts[i]);
        }
        out.println("confman dev: " + nodes + " node(s), data in " + dir);
        List<Child> children = new ArrayList<>();
        AtomicBoolean stopping = new AtomicBoolean();
        Thread hook = new Thread(() -> {
            synchronized (children) {
                stopping.set(true);
            }
            stopAll(children, out);
        }, "confman-dev-stop");
        Runtime.getRuntime().addShutdownHook(hook);
        for (int i = 0; i < nodes; i++) {
            String id = nodeId(i);
            Path nodeDir = Files.createDirectories(dir.resolve(id));
            Path log = nodeDir.resolve("node.log");
            List<String> command = new ArrayList<>(javaCommand());
            command.addAll(List.of(Main.class.getName(), "server", "--id", id, "--peers", String.join(",", peers),
                    "--http", "127.0.0.1:" + httpPorts[i], "--data", nodeDir.resolve("data").toString(),
                    "--cluster-secret-file", secretFile.toString(), "--admin-token-file", tokenFile.toString()));
            ProcessBuilder builder = new ProcessBuilder(command);
            // Each node stops when this process ends, even by kill -9 (no shutdown hook then).
            builder.environment().put(ServerCommand.PARENT_PID_ENVIRONMENT, Long.toString(ProcessHandle.current().pid()));
            Process process = builder.redirectErrorStream(true)
                    .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()))
                    .redirectInput(ProcessBuilder.Redirect.from(nullDevice())).start();
            Child child = new Child(id, httpPorts[i], peerPorts[i], log, process);
            synchronized (children) {
                if (stopping.get()) {
                    // The stop hook already took its list: this child would be left behind.
                    process.destroyForcibly();
                    return Main.EXIT_FAILURE;
                }
                children.add(child);
            }
            process.onExit().thenAccept(exited -> {
                if (!stopping.get()) {
                    err.println(COMMAND + ": node " + id + " exited with status " + exited.exitValue()
                            + "; its log: " + log);
                }
            });
        }
        for (Child child : children) {
            out.println("  " + child.id() + "  client " + child.url() + "  peer 127.0.0.1:" + child.peerPort()
                    + "  log " + child.log());
        }
        out.println("  admin token file: " + tokenFile + "  (Authorization: Bearer $(cat " + tokenFile + "))");
        out.println("confman dev: waiting for every node to be ready (/readyz)...");
        String leader = awaitReady(children, err);
        if (leader == null) {
            err.println(COMMAND + ": the cluster is not ready (deadline " + READY_DEADLINE_MS
                    + " ms); see the node logs above");
            return Main.EXIT_FAILURE; // The shutdown hook stops every child on exit.
        }
        out.println("confman dev: ready; leader " + leader + ". Try:");
        out.println("  bin/confman put --url " + children.get(0).url() + " app greeting hello");
        out.println("  bin/confman get --url " + children.get(children.size() - 1).url() + " app greeting");
        out.println("confman dev: Ctrl-C stops every node");
        out.flush();
        return waitUntilAllExited(children, stopping, err);
    }

    /** Blocks while any child runs; returns 1 once every child exited on its own. */
    private static int waitUntilAllExited(List<Child> children, AtomicBoolean stopping, PrintStream err) {
        for (Child child : children) {
            try {
                child.process().waitFor();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return Main.EXIT_FAILURE;
            }
        }
        if (!stopping.get()) {
            err.println(COMMAND + ": every node exited; stopping");
        }
        return Main.EXIT_FAILURE;
    }

    /** Polls every node's /readyz until all answer 200; returns the leader the first one reports. */
    private static String awaitReady(List<Child> children, PrintStream err) {
        HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(READY_DEADLINE_MS);
        while (System.nanoTime() < deadline) {
            boolean allReady = true;
            String leader = null;
            for (Child child : children) {
                if (!child.process().isAlive()) {
                    err.println(COMMAND + ": node " + child.id() + " is not running; its log: " + child.log());
                    return null;
                }
                try {
                    HttpResponse<String> ready = client.send(HttpRequest.newBuilder(URI.create(child.url() + "/readyz"))
                            .timeout(Duration.ofSeconds(2)).build(), HttpResponse.BodyHandlers.ofString());
                    allReady &= ready.statusCode() == 200;
                    leader = ready.headers().firstValue("Confman-Leader").orElse(leader);
                } catch (IOException notYet) {
                    allReady = false; // Still starting: the listener is not bound yet.
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    return null;
                }
            }
            if (allReady) {
                return leader == null ? "(unknown)" : leader;
            }
            try {
                Thread.sleep(READY_POLL_MS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return null;
            }
        }
        return null;
    }

    /** SIGTERM to all, then SIGKILL to whoever is still running after the grace period. */
    static void stopAll(List<Child> children, PrintStream out) {
        List<Child> snapshot;
        synchronized (children) {
            snapshot = List.copyOf(children);
        }
        snapshot.forEach(child -> child.process().destroy());
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(STOP_GRACE_MS);
        for (Child child : snapshot) {
            try {
                long leftNanos = Math.max(0, deadline - System.nanoTime());
                if (!child.process().waitFor(leftNanos, TimeUnit.NANOSECONDS)) {
                    out.println(COMMAND + ": node " + child.id() + " ignored SIGTERM for " + STOP_GRACE_MS
                            + " ms; killing it");
                    child.process().destroyForcibly().waitFor();
                }
            } catch (InterruptedException e) {
                child.process().destroyForcibly();
                Thread.currentThread().interrupt();
            }
        }
        out.println(COMMAND + ": stopped " + snapshot.size() + " node(s)");
        out.flush();
    }

    /** The same java binary, JVM flags and classpath as this process, so that children behave alike. */
    static List<String> javaCommand() {
        List<String> command = new ArrayList<>();
        command.add(NodeJvm.javaBinary());
        for (String flag : ManagementFactory.getRuntimeMXBean().getInputArguments()) {
            // A debugger agent listens on a fixed port: a second JVM with it would not start.
            if (!flag.startsWith("-agentlib:jdwp") && !flag.startsWith("-Xrunjdwp")) {
                command.add(flag);
            }
        }
        command.add("-cp");
        command.add(System.getProperty("java.class.path"));
        return command;
    }

    static String nodeId(int index) {
        return "n" + (index + 1);
    }

    /** A file of 32 random bytes in hex, readable by the owner only; kept when it exists. */
    private static Path keepOrWritePrivate(Path file) throws IOException {
        if (Files.exists(file)) {
            return file;
        }
        // Created with mode 600 from the start, so the secret is never readable by others.
        Files.createFile(file, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
        Files.writeString(file, randomHex(32) + "\n", StandardCharsets.UTF_8, StandardOpenOption.TRUNCATE_EXISTING);
        return file;
    }

    private static String randomHex(int bytes) {
        byte[] random = new byte[bytes];
        new SecureRandom().nextBytes(random);
        return HexFormat.of().formatHex(random);
    }

    private static java.io.File nullDevice() {
        return new java.io.File(System.getProperty("os.name").startsWith("Windows") ? "NUL" : "/dev/null");
    }
}

package io.confman.cli;

import io.confman.devctl.ControlRoutes;
import io.confman.devctl.DevController;
import io.confman.devctl.DevNodes;
import io.confman.devctl.LinkMesh;
import java.io.IOException;
import java.io.PrintStream;
import java.lang.management.ManagementFactory;
import java.net.InetSocketAddress;
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
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;

/**
 * {@code confman dev}: a local cluster of N {@code confman server} processes on 127.0.0.1,
 * one JVM each, so that killing one is a real crash. Every peer link goes through a
 * {@link io.confman.faults.LinkProxy} (one per direction, the nodes started with
 * {@code --peer-dial}), and a controller (LIVEVIEW.md, "Dev controls") stops, restarts,
 * pauses, resumes, isolates and heals nodes and serves the live view. Stops every node on
 * Ctrl-C or SIGTERM (SIGTERM first, SIGKILL after {@link DevNodes#STOP_GRACE_MS}), and
 * reports a node that dies unless the controller stopped it.
 */
final class DevCommand {

    static final String COMMAND = "confman dev";
    static final int NODES_DEFAULT = 3;
    static final int NODES_MAX = 9;
    /** Peer ports sit this far above the HTTP ports when --base-port is given. */
    static final int PEER_PORT_OFFSET = 100;
    /** The controller's port is this far above the first HTTP port when --base-port is given. */
    static final int CONTROLLER_PORT_OFFSET = 200;
    /** Generous: N JVMs start at once on a laptop that may also be building. */
    static final long READY_DEADLINE_MS = 120_000;
    static final long READY_POLL_MS = 250;
    private static final String USAGE = "usage: confman dev [--nodes N] [--data DIR] [--base-port P]";

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
            basePort = (int) flags.longValue(COMMAND, "base-port", 0, 1, 65_535 - CONTROLLER_PORT_OFFSET);
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
        String adminToken = readAdminToken(tokenFile);
        Ports ports = ports(dir.resolve("ports"), nodes, basePort, out);
        Map<String, InetSocketAddress> peerAddresses = new LinkedHashMap<>();
        for (int i = 0; i < nodes; i++) {
            peerAddresses.put(nodeId(i), new InetSocketAddress("127.0.0.1", ports.peer()[i]));
        }
        out.println("confman dev: " + nodes + " node(s), data in " + dir);
        // The controller's port is not part of the member list, so it is not recorded: a
        // free one at every start, or P+200 with --base-port. The link proxies are bound on
        // free ports at every start too; the nodes reach them only through --peer-dial.
        DevController controller = DevController.bind(basePort == 0 ? FreePorts.pick()
                : basePort + CONTROLLER_PORT_OFFSET, err);
        LinkMesh links;
        try {
            links = LinkMesh.start(peerAddresses);
        } catch (IOException | RuntimeException e) {
            controller.close();
            throw e;
        }
        List<DevNodes.Spec> specs = specs(dir, ports, links, controller.url(), secretFile, tokenFile);
        DevNodes children = new DevNodes(specs, links, (node, status) -> err.println(COMMAND + ": node "
                + node.id() + " exited with status " + status + "; its log: " + node.log()));
        Thread hook = new Thread(() -> {
            controller.close();
            children.shutdown(COMMAND, out);
        }, "confman-dev-stop");
        Runtime.getRuntime().addShutdownHook(hook);
        if (!children.startAll()) {
            return Main.EXIT_FAILURE; // The stop hook runs: nothing more was started.
        }
        Set<String> origins = new LinkedHashSet<>();
        specs.forEach(spec -> origins.add(spec.url()));
        origins.add(controller.url());
        controller.serve(ControlRoutes.withClasspathPage(children, adminToken, origins));
        for (int i = 0; i < nodes; i++) {
            DevNodes.Spec spec = specs.get(i);
            out.println("  " + spec.id() + "  client " + spec.url() + "  peer 127.0.0.1:" + ports.peer()[i]
                    + "  log " + spec.log());
        }
        out.println("  admin token file: " + tokenFile + "  (Authorization: Bearer $(cat " + tokenFile + "))");
        out.println("  live view: " + controller.url() + "/ui  (controls need the admin token)");
        out.println("confman dev: waiting for every node to be ready (/readyz)...");
        String leader = awaitReady(specs, children, err);
        if (leader == null) {
            err.println(COMMAND + ": the cluster is not ready (deadline " + READY_DEADLINE_MS
                    + " ms); see the node logs above");
            return Main.EXIT_FAILURE; // The shutdown hook stops every child on exit.
        }
        out.println("confman dev: ready; leader " + leader + ". Try:");
        out.println("  bin/confman put --url " + specs.get(0).url() + " app greeting hello");
        out.println("  bin/confman get --url " + specs.get(specs.size() - 1).url() + " app greeting");
        out.println("confman dev: Ctrl-C stops every node");
        out.flush();
        try {
            if (children.awaitEveryNodeExitedOnItsOwn()) {
                err.println(COMMAND + ": every node exited; stopping");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        return Main.EXIT_FAILURE;
    }

    /** The HTTP and peer port of each node, index i for node {@code nodeId(i)}. */
    private record Ports(int[] http, int[] peer) {
    }

    /**
     * The ports recorded in {@code portsFile} by an earlier run with as many nodes (so that
     * its data, which belongs to that member list, is used again), else new ones, recorded.
     */
    private static Ports ports(Path portsFile, int nodes, int basePort, PrintStream out) throws IOException {
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
        return new Ports(httpPorts, peerPorts);
    }

    /**
     * How each node starts, every time: the member list with the real peer addresses, each
     * peer dialed through its link proxy, output appended to DIR/ID/node.log, and in the
     * environment this process's pid and the controller's URL.
     */
    private static List<DevNodes.Spec> specs(Path dir, Ports ports, LinkMesh links, String controllerUrl,
                                             Path secretFile, Path tokenFile) throws IOException {
        int nodes = ports.http().length;
        List<String> peers = new ArrayList<>();
        for (int i = 0; i < nodes; i++) {
            peers.add(nodeId(i) + "=127.0.0.1:" + ports.peer()[i]);
        }
        List<DevNodes.Spec> specs = new ArrayList<>();
        for (int i = 0; i < nodes; i++) {
            String id = nodeId(i);
            Path nodeDir = Files.createDirectories(dir.resolve(id));
            Path log = nodeDir.resolve("node.log");
            List<String> command = new ArrayList<>(javaCommand());
            command.addAll(List.of(Main.class.getName(), "server", "--id", id, "--peers", String.join(",", peers),
                    "--http", "127.0.0.1:" + ports.http()[i], "--data", nodeDir.resolve("data").toString(),
                    "--cluster-secret-file", secretFile.toString(), "--admin-token-file", tokenFile.toString()));
            if (nodes > 1) {
                command.addAll(List.of("--peer-dial", links.peerDial(id)));
            }
            ProcessBuilder builder = new ProcessBuilder(command);
            // Each node stops when this process ends, even by kill -9 (no shutdown hook then).
            builder.environment().put(ServerCommand.PARENT_PID_ENVIRONMENT, Long.toString(ProcessHandle.current().pid()));
            builder.environment().put(DevController.CONTROL_URL_ENVIRONMENT, controllerUrl);
            builder.redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()))
                    .redirectInput(ProcessBuilder.Redirect.from(nullDevice()));
            specs.add(new DevNodes.Spec(id, "http://127.0.0.1:" + ports.http()[i], log, builder));
        }
        return specs;
    }

    /** The token as the nodes read it from the same file, so that the controller takes the same one. */
    private static String readAdminToken(Path tokenFile) throws IOException {
        try {
            return new String(ServerCommand.readSecretFile("--admin-token-file", tokenFile), StandardCharsets.UTF_8);
        } catch (UsageException e) {
            throw new IOException(e.getMessage(), e);
        }
    }

    /** Polls every node's /readyz until all answer 200; returns the leader the first one reports. */
    private static String awaitReady(List<DevNodes.Spec> specs, DevNodes children, PrintStream err) {
        HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(READY_DEADLINE_MS);
        while (System.nanoTime() < deadline) {
            boolean allReady = true;
            String leader = null;
            for (DevNodes.Spec spec : specs) {
                if (!children.alive(spec.id())) {
                    err.println(COMMAND + ": node " + spec.id() + " is not running; its log: " + spec.log());
                    return null;
                }
                try {
                    HttpResponse<String> ready = client.send(HttpRequest.newBuilder(URI.create(spec.url() + "/readyz"))
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

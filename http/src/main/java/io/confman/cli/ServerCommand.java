package io.confman.cli;

import io.confman.http.ConfmanHttpServer;
import io.confman.http.HttpConfig;
import io.confman.node.ConfmanNode;
import io.confman.node.NodeConfig;
import io.confman.storage.meta.MetadataMismatchException;
import java.io.IOException;
import java.io.PrintStream;
import java.net.BindException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.Arrays;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * {@code confman server}: one node and its HTTP front, until SIGTERM / Ctrl-C or until the
 * node's loop fails. Every configuration problem ends the process before it serves anything,
 * with exit status 2 and one line on stderr (CONTRACT.md, "One node").
 */
final class ServerCommand {

    private static final System.Logger LOG = System.getLogger(ServerCommand.class.getName());

    /** Set by {@code confman dev} in each node's environment: the pid the node lives and dies with. */
    static final String PARENT_PID_ENVIRONMENT = "CONFMAN_DEV_PARENT_PID";
    /** Timers finer than this cost CPU for nothing at the timings a config store uses. */
    static final long TICK_MS_MAX = 10;
    /** How often the main thread looks whether the node's loop failed. */
    static final long FAILURE_POLL_MS = 500;
    /** Bytes read from a secret or token file at most: these are short strings. */
    static final int SECRET_FILE_BYTES_MAX = 4096;

    /** What a started server needs: both validated configurations. */
    record Plan(NodeConfig node, HttpConfig http) {
    }

    private ServerCommand() {
    }

    static int run(String[] args, PrintStream out, PrintStream err) {
        Plan plan;
        try {
            ServerSettings settings = ServerSettings.parse(args);
            LineLog.configure(out);
            plan = plan(settings);
            checkDisk(settings.dataDir(), settings.electionTimeoutMs());
        } catch (UsageException e) {
            err.println(e.getMessage());
            return Main.EXIT_USAGE;
        }
        return serve(plan, err);
    }

    /** Reads the secret files and builds both configurations; their constructors check the timing rules. */
    static Plan plan(ServerSettings settings) throws UsageException {
        byte[] secret = settings.clusterSecretFile() == null
                ? randomSecret() // One member: no peer ever connects, the secret is never used.
                : readSecretFile("--cluster-secret-file", settings.clusterSecretFile());
        String adminToken = settings.adminTokenFile() == null ? null
                : new String(readSecretFile("--admin-token-file", settings.adminTokenFile()), StandardCharsets.UTF_8);
        long tickMs = ServerSettings.tickMs(settings.heartbeatMs(), settings.electionTimeoutMs(),
                settings.requestTimeoutMs(), TICK_MS_MAX);
        NodeConfig node;
        try {
            node = new NodeConfig(settings.id(), settings.members(), settings.dataDir(), secret, tickMs,
                    settings.heartbeatMs(), settings.electionTimeoutMs(), settings.requestTimeoutMs(),
                    settings.snapshotIntervalEntries(), NodeConfig.INBOX_EVENTS_MAX_DEFAULT,
                    NodeConfig.PENDING_REQUESTS_MAX_DEFAULT, NodeConfig.COMMAND_BYTES_MAX_DEFAULT,
                    settings.snapshotLogBytesMax(), settings.peerDial());
        } catch (IllegalArgumentException e) {
            throw new UsageException(ServerSettings.COMMAND + ": " + e.getMessage(), e);
        } finally {
            Arrays.fill(secret, (byte) 0);
        }
        HttpConfig http;
        try {
            http = new HttpConfig(settings.http(), adminToken, settings.requestTimeoutMs(), settings.inlineMaxBytes(),
                    settings.valueMaxBytes(), HttpConfig.HEADER_BYTES_MAX_DEFAULT,
                    HttpConfig.CONNECTIONS_MAX_DEFAULT, HttpConfig.IDLE_TIMEOUT_MS_DEFAULT,
                    HttpConfig.WAIT_MAX_MS_DEFAULT);
        } catch (IllegalArgumentException e) {
            throw new UsageException(ServerSettings.COMMAND + ": " + e.getMessage(), e);
        }
        return new Plan(node, http);
    }

    /** The file's bytes without one trailing line break (editors add one). */
    static byte[] readSecretFile(String flag, Path file) throws UsageException {
        byte[] bytes;
        try {
            if (Files.size(file) > SECRET_FILE_BYTES_MAX) {
                throw new UsageException(ServerSettings.COMMAND + ": " + flag + " " + file + " holds more than "
                        + SECRET_FILE_BYTES_MAX + " bytes; is it the right file?");
            }
            bytes = Files.readAllBytes(file);
        } catch (IOException e) {
            throw new UsageException(ServerSettings.COMMAND + ": " + flag + " " + file + " cannot be read: " + e, e);
        }
        int length = bytes.length;
        if (length > 0 && bytes[length - 1] == '\n') {
            length--;
            if (length > 0 && bytes[length - 1] == '\r') {
                length--;
            }
        }
        byte[] stripped = Arrays.copyOf(bytes, length);
        Arrays.fill(bytes, (byte) 0);
        if (stripped.length == 0) {
            throw new UsageException(ServerSettings.COMMAND + ": " + flag + " " + file + " is empty");
        }
        return stripped;
    }

    private static byte[] randomSecret() {
        byte[] secret = new byte[32];
        new SecureRandom().nextBytes(secret);
        return secret;
    }

    /**
     * Creates the data directory and measures its fsync. The core is told that half the
     * election timeout is its budget for a snapshot or a sync on the loop (NodeConfig); a
     * disk whose worst measured sync does not fit in it would make followers time out.
     */
    static void checkDisk(Path dataDir, long electionTimeoutMs) throws UsageException {
        long worstNanos;
        try {
            Files.createDirectories(dataDir);
            worstNanos = FsyncProbe.worstNanos(dataDir, FsyncProbe.SAMPLES);
        } catch (IOException e) {
            throw new UsageException(ServerSettings.COMMAND + ": --data " + dataDir + " is not a usable directory: "
                    + e, e);
        }
        long budgetNanos = TimeUnit.MILLISECONDS.toNanos(electionTimeoutMs) / 2;
        String figure = String.format(java.util.Locale.ROOT, "%.3f ms", worstNanos / 1e6);
        LOG.log(System.Logger.Level.INFO, "event=fsync-probe dir=" + dataDir + " samples=" + FsyncProbe.SAMPLES
                + " bytes=" + FsyncProbe.WRITE_BYTES + " worst=" + figure + " budget=" + (budgetNanos / 1_000_000)
                + " ms");
        if (worstNanos >= budgetNanos) {
            throw new UsageException(ServerSettings.COMMAND + ": rule 'the measured snapshot and fsync budget below"
                    + " the election timeout' violated: the worst fsync of " + FsyncProbe.SAMPLES + " on " + dataDir
                    + " took " + figure + ", not below half of --election-timeout-ms " + electionTimeoutMs
                    + " (use a faster disk or a longer election timeout)");
        }
    }

    /**
     * The URL this node's client API answers at, announced to the peers for the live view: the
     * {@code --http} address, with the host of the node's own peer address when it binds every
     * interface (0.0.0.0 or ::), since peers reach it there.
     */
    static String clientUrl(Plan plan) {
        java.net.InetSocketAddress bind = plan.http().bind();
        String host = bind.getHostString();
        if (bind.getAddress() != null && bind.getAddress().isAnyLocalAddress()) {
            host = plan.node().members().get(plan.node().id()).getHostString();
        }
        return "http://" + (host.indexOf(':') >= 0 ? "[" + host + "]" : host) + ":" + bind.getPort();
    }

    /** Starts the node, then the HTTP front; returns only when the node failed (1) or could not start. */
    private static int serve(Plan plan, PrintStream err) {
        ConfmanNode node;
        try {
            node = ConfmanNode.start(plan.node(), clientUrl(plan));
        } catch (MetadataMismatchException e) {
            err.println(ServerSettings.COMMAND + ": --data " + plan.node().dataDir() + " belongs to another member"
                    + " set or node: " + UsageException.oneLine(e.getMessage()));
            return Main.EXIT_USAGE;
        } catch (Exception e) {
            return startFailed("the node", e, hostPort(plan.node().members().get(plan.node().id())), err);
        }
        ConfmanHttpServer http;
        try {
            http = ConfmanHttpServer.start(node, plan.http());
        } catch (Exception e) {
            node.close();
            return startFailed("the HTTP front", e, hostPort(plan.http().bind()), err);
        }
        AtomicBoolean closed = new AtomicBoolean();
        Runnable closeAll = () -> {
            if (closed.compareAndSet(false, true)) {
                LOG.log(System.Logger.Level.INFO, "event=stop node=" + node.id());
                http.close();
                node.close();
            }
        };
        Runtime.getRuntime().addShutdownHook(new Thread(closeAll, "confman-shutdown"));
        LOG.log(System.Logger.Level.INFO, "event=start node=" + node.id() + " http="
                + "http://" + hostPort(http.address()) + " peer="
                + hostPort(plan.node().members().get(node.id())) + " members=" + plan.node().members().keySet()
                + " tick_ms=" + plan.node().tickMs() + " heartbeat_ms=" + plan.node().heartbeatMs()
                + " election_timeout_ms=" + plan.node().electionTimeoutMs() + " request_timeout_ms="
                + plan.node().requestTimeoutMs() + " snapshot_interval=" + plan.node().snapshotIntervalEntries()
                + " data=" + plan.node().dataDir());
        exitWithParent(System.getenv(PARENT_PID_ENVIRONMENT), node.id());
        return waitForFailure(node, closeAll);
    }

    /**
     * When {@code confman dev} started this node it names itself in
     * {@link #PARENT_PID_ENVIRONMENT}; the node stops when that process ends, however it
     * ended (even {@code kill -9}, which runs no shutdown hook), so that no node outlives it.
     */
    private static void exitWithParent(String parentPid, String nodeId) {
        if (parentPid == null || parentPid.isBlank()) {
            return;
        }
        Optional<ProcessHandle> parent;
        try {
            parent = ProcessHandle.of(Long.parseLong(parentPid.strip()));
        } catch (NumberFormatException e) {
            throw new IllegalStateException(PARENT_PID_ENVIRONMENT + " is not a process id: " + parentPid, e);
        }
        if (parent.isEmpty()) {
            LOG.log(System.Logger.Level.WARNING, "event=parent-gone node=" + nodeId + " pid=" + parentPid
                    + "; stopping");
            System.exit(Main.EXIT_FAILURE);
        }
        parent.get().onExit().thenRun(() -> {
            LOG.log(System.Logger.Level.WARNING, "event=parent-gone node=" + nodeId + " pid=" + parentPid
                    + "; stopping");
            System.exit(Main.EXIT_FAILURE); // Runs the shutdown hook: HTTP front, then the node.
        });
    }

    private static int startFailed(String what, Exception e, String address, PrintStream err) {
        Throwable bind = e;
        while (bind != null && !isAddressInUse(bind)) {
            bind = bind.getCause();
        }
        if (bind != null) {
            err.println(ServerSettings.COMMAND + ": " + what + " cannot listen on " + address + ": "
                    + UsageException.oneLine(bind.getMessage()) + " (address in use?)");
            return Main.EXIT_USAGE;
        }
        if (e instanceof IllegalArgumentException) {
            err.println(ServerSettings.COMMAND + ": " + UsageException.oneLine(e.getMessage()));
            return Main.EXIT_USAGE;
        }
        LOG.log(System.Logger.Level.ERROR, what + " failed to start", e);
        err.println(ServerSettings.COMMAND + ": " + what + " failed to start: " + UsageException.oneLine(e.toString()));
        return Main.EXIT_FAILURE;
    }

    /**
     * NIO throws {@link BindException}; Netty's epoll transport throws its own IOException
     * carrying the errno text, so both are recognised.
     */
    private static boolean isAddressInUse(Throwable t) {
        return t instanceof BindException
                || t instanceof IOException && String.valueOf(t.getMessage()).contains("Address already in use");
    }

    /**
     * A node whose loop failed stays failed (NODE.md): the process ends with status 1 so that
     * a supervisor restarts it, and recovery runs from the data directory.
     */
    private static int waitForFailure(ConfmanNode node, Runnable closeAll) {
        while (node.failure() == null) {
            try {
                Thread.sleep(FAILURE_POLL_MS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                closeAll.run();
                return Main.EXIT_FAILURE;
            }
        }
        LOG.log(System.Logger.Level.ERROR, "event=node-failed node=" + node.id() + " stopping the process",
                node.failure());
        closeAll.run();
        return Main.EXIT_FAILURE;
    }

    static String hostPort(java.net.InetSocketAddress address) {
        String host = address.getHostString();
        return (host.contains(":") ? "[" + host + "]" : host) + ":" + address.getPort();
    }
}

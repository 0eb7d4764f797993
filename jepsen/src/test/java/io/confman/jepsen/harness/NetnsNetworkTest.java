package io.confman.jepsen.harness;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.File;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@link NetnsNetwork} for real: namespaces, a bridge and packet filter rules on this machine.
 * Runs only as root with iproute2 and nft or iptables present (jepsen/netns-setup.sh installs
 * them); elsewhere it is skipped, saying why.
 */
class NetnsNetworkTest {

    private static final int LISTEN_PORT = 7_000;

    @TempDir
    Path dir;

    @BeforeEach
    void requireRootAndTools() throws IOException {
        assumeTrue(NetnsNetwork.effectiveUid() == 0, "network namespaces need root; skipped");
        assumeTrue(NetnsNetwork.find("ip") != null, "iproute2's ip is missing (jepsen/netns-setup.sh); skipped");
        assumeTrue(NetnsNetwork.findFilter() != null, "neither nft nor iptables is present"
                + " (jepsen/netns-setup.sh); skipped");
    }

    /** Accepts connections on ADDRESS PORT and closes them, until killed: a peer to probe, run inside a namespace. */
    public static final class Listen {
        public static void main(String[] args) throws IOException {
            InetAddress address = InetAddress.getByName(args[0]);
            try (ServerSocket server = new ServerSocket(Integer.parseInt(args[1]), 50, address)) {
                while (true) {
                    server.accept().close();
                }
            }
        }
    }

    /** Each packet filter tool present: a cut stops what one node sends another and nothing else. */
    @Test
    void aCutDropsWhatOneNodeSendsAnotherWithEachToolPresent() throws Exception {
        List<NetnsNetwork.PacketFilter> filters = new ArrayList<>();
        for (String tool : List.of("nft", "iptables", "iptables-legacy")) {
            String path = NetnsNetwork.find(tool);
            if (path != null) {
                filters.add(tool.equals("nft") ? new NetnsNetwork.Nft(path) : new NetnsNetwork.Iptables(path));
            }
        }
        for (NetnsNetwork.PacketFilter filter : filters) {
            cutAndHeal(filter);
        }
    }

    private void cutAndHeal(NetnsNetwork.PacketFilter filter) throws Exception {
        NetnsNetwork network = NetnsNetwork.forThisProcess(filter);
        Map<String, InetSocketAddress> peers = new LinkedHashMap<>();
        for (String id : List.of("n1", "n2", "n3")) {
            peers.put(id, new InetSocketAddress(network.host(id), LISTEN_PORT));
        }
        Process listener = null;
        try {
            network.start(peers);
            List<String> command = new ArrayList<>(network.commandPrefix("n2"));
            command.addAll(List.of(NodeCluster.javaCommand("-Xmx32m").get(0), "-cp",
                    System.getProperty("java.class.path"), Listen.class.getName(), network.host("n2"),
                    Integer.toString(LISTEN_PORT)));
            listener = new ProcessBuilder(command).redirectErrorStream(true)
                    .redirectOutput(dir.resolve("listen.log").toFile()).start();
            awaitListening(peers.get("n2"), listener);
            String what = filter.tool() + ": ";

            assertTrue(connects(network, "n1", network.host("n2")), what + "n1 reaches n2 before the cut");
            network.cut("n1", "n2");
            assertFalse(connects(network, "n1", network.host("n2")), what + "n1 does not reach n2 after the cut");
            assertTrue(connects(network, "n3", network.host("n2")), what + "n3 still reaches n2");
            assertTrue(connectsFromRoot(peers.get("n2")), what + "the harness still reaches n2");
            network.healAll();
            assertTrue(connects(network, "n1", network.host("n2")), what + "n1 reaches n2 after the heal");

            // Dropping only what n2 sends n1 stops n1's connections to n2 too: n2's answers are lost.
            network.cut("n2", "n1");
            assertFalse(connects(network, "n1", network.host("n2")), what + "n1 does not reach n2 when n2 cannot"
                    + " send to n1");
            assertTrue(connects(network, "n3", network.host("n2")), what + "n3 still reaches n2");
            network.healAll();
            assertTrue(connects(network, "n1", network.host("n2")), what + "n1 reaches n2 after the second heal");
        } finally {
            if (listener != null) {
                listener.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
            }
            network.close();
        }
        assertNothingLeft(network.tag());
    }

    private static void awaitListening(InetSocketAddress address, Process listener) throws InterruptedException {
        long end = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        while (System.nanoTime() < end && listener.isAlive()) {
            if (connectsFromRoot(address)) {
                return;
            }
            Thread.sleep(100);
        }
        throw new AssertionError("the listener in n2 did not accept within 60 s (alive: " + listener.isAlive() + ")");
    }

    private static boolean connectsFromRoot(InetSocketAddress address) {
        try (Socket socket = new Socket()) {
            socket.connect(address, 1_000);
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    /** A TCP connect from inside {@code from}'s namespace (bash's /dev/tcp), given 3 s. */
    private static boolean connects(NetnsNetwork network, String from, String address) throws Exception {
        List<String> command = new ArrayList<>(network.commandPrefix(from));
        command.addAll(List.of("timeout", "3", "bash", "-c", "exec 3<>/dev/tcp/" + address + "/" + LISTEN_PORT));
        Process probe = new ProcessBuilder(command).redirectErrorStream(true)
                .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null"))).start();
        probe.getInputStream().readAllBytes();
        assertTrue(probe.waitFor(10, TimeUnit.SECONDS), "the probe ends within 10 s");
        return probe.exitValue() == 0;
    }

    /**
     * Three real nodes, each in its namespace: they elect a leader, the leader cut off in both
     * directions is replaced by one of the others, and after the heal all are ready again.
     */
    @Test
    void aLeaderCutOffIsReplacedAndTheHealedClusterIsReady() throws Exception {
        NetnsNetwork network = NetnsNetwork.forThisProcess();
        try (NodeCluster cluster = NodeCluster.start(dir.resolve("nodes"), 3, NodeCluster.NodeOptions.DEFAULTS,
                network)) {
            for (NodeCluster.Node node : cluster.nodes()) {
                assertRunsInItsNamespace(node, network.namespace(node.id()));
            }
            assertTrue(cluster.awaitReady(Duration.ofSeconds(120)), "ready within 120 s; logs in " + dir);
            String leader = awaitLeader(cluster, null);
            for (String other : cluster.ids()) {
                if (!other.equals(leader)) {
                    cluster.cut(leader, other);
                    cluster.cut(other, leader);
                }
            }
            String next = awaitLeader(cluster, leader);
            assertNotEquals(leader, next);
            cluster.healAll();
            assertTrue(cluster.awaitReady(Duration.ofSeconds(120)), "ready again within 120 s of the heal");
        } finally {
            network.close();
        }
        assertNothingLeft(network.tag());
    }

    /**
     * The node's process is java itself (ip netns exec execs it) and lives in the node's
     * namespace. Right after the start the process may still be ip, just before its exec: the
     * check waits for the exec (generously) rather than catch that moment.
     */
    private static void assertRunsInItsNamespace(NodeCluster.Node node, String namespace)
            throws IOException, InterruptedException {
        ProcessHandle process = ProcessHandle.of(node.pid()).orElseThrow();
        Path commFile = Path.of("/proc", Long.toString(node.pid()), "comm");
        long end = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        String comm = Files.readString(commFile, StandardCharsets.UTF_8).strip();
        while (!comm.equals("java") && process.isAlive() && System.nanoTime() < end) {
            Thread.sleep(50);
            comm = Files.readString(commFile, StandardCharsets.UTF_8).strip();
        }
        assertEquals("java", comm, node.id() + "'s process is java, not ip: " + process.info());
        Object namespaceInode = Files.getAttribute(Path.of("/run/netns", namespace), "unix:ino");
        String link = Files.readSymbolicLink(Path.of("/proc", Long.toString(node.pid()), "ns", "net")).toString();
        assertEquals("net:[" + namespaceInode + "]", link, node.id() + " runs in " + namespace);
    }

    /** The leader of the highest term, other than {@code not}; fails after 60 s. */
    private static String awaitLeader(NodeCluster cluster, String not) throws InterruptedException {
        long end = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        while (System.nanoTime() < end) {
            String leader = cluster.leader();
            if (leader != null && !leader.equals(not)) {
                return leader;
            }
            Thread.sleep(200);
        }
        throw new AssertionError("no leader other than " + not + " within 60 s");
    }

    private static void assertNothingLeft(String tag) throws IOException {
        String ip = NetnsNetwork.find("ip");
        assertNotNull(ip);
        for (String name : NetnsNetwork.namespaceNames(NetnsNetwork.run(List.of(ip, "netns", "list")))) {
            assertFalse(NetnsNetwork.tagOf(name).equals(tag), "namespace " + name + " is left");
        }
        for (String name : NetnsNetwork.interfaceNames(NetnsNetwork.run(List.of(ip, "-br", "link", "show")))) {
            assertFalse(NetnsNetwork.tagOf(name).equals(tag), "link " + name + " is left");
        }
    }
}

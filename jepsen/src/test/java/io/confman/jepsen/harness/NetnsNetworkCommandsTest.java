package io.confman.jepsen.harness;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The command lines, names and subnet choice of {@link NetnsNetwork}; runs no command and needs no root. */
class NetnsNetworkCommandsTest {

    private static NetnsNetwork network(NetnsNetwork.PacketFilter filter) {
        NetnsNetwork network = new NetnsNetwork(new NetnsNetwork.Plan("cmj4242", 7), "ip", filter);
        network.host("n1");
        network.host("n2");
        return network;
    }

    @Test
    void nodesGetAddressesInTheOrderTheyAreAskedFor() {
        NetnsNetwork network = network(new NetnsNetwork.Nft("nft"));
        assertEquals("10.213.7.11", network.host("n1"));
        assertEquals("10.213.7.12", network.host("n2"));
        assertEquals("10.213.7.13", network.host("n3"));
        assertEquals("10.213.7.11", network.host("n1"));
    }

    @Test
    void setupMakesABridgeThenANamespaceLinkAndChainPerNode() {
        List<List<String>> commands = network(new NetnsNetwork.Nft("nft")).setupCommands();
        assertEquals(List.of(
                List.of("ip", "link", "add", "cmj4242", "type", "bridge"),
                List.of("ip", "addr", "add", "10.213.7.1/24", "dev", "cmj4242"),
                List.of("ip", "link", "set", "cmj4242", "up"),
                List.of("ip", "netns", "add", "cmj4242-n1"),
                List.of("ip", "link", "add", "cmj4242-n1", "type", "veth", "peer", "name", "eth0", "netns",
                        "cmj4242-n1"),
                List.of("ip", "link", "set", "cmj4242-n1", "master", "cmj4242", "up"),
                List.of("ip", "-n", "cmj4242-n1", "addr", "add", "10.213.7.11/24", "dev", "eth0"),
                List.of("ip", "-n", "cmj4242-n1", "link", "set", "eth0", "up"),
                List.of("ip", "-n", "cmj4242-n1", "link", "set", "lo", "up"),
                List.of("ip", "netns", "exec", "cmj4242-n1", "nft", "add", "table", "inet", "confman_jepsen"),
                List.of("ip", "netns", "exec", "cmj4242-n1", "nft", "add", "chain", "inet", "confman_jepsen", "input",
                        "{ type filter hook input priority 0; policy accept; }")),
                commands.subList(0, 11));
        assertEquals(List.of("ip", "netns", "add", "cmj4242-n2"), commands.get(11));
        assertEquals(19, commands.size());
    }

    @Test
    void nftCutsInTheReceiversNamespaceAndHealFlushesEveryChain() {
        NetnsNetwork network = network(new NetnsNetwork.Nft("/usr/sbin/nft"));
        assertEquals(List.of("ip", "netns", "exec", "cmj4242-n2", "/usr/sbin/nft", "add", "rule", "inet",
                "confman_jepsen", "input", "ip", "saddr", "10.213.7.11", "drop"),
                network.cutCommand("10.213.7.11", "n2"));
        assertEquals(List.of(
                List.of("ip", "netns", "exec", "cmj4242-n1", "/usr/sbin/nft", "flush", "chain", "inet",
                        "confman_jepsen", "input"),
                List.of("ip", "netns", "exec", "cmj4242-n2", "/usr/sbin/nft", "flush", "chain", "inet",
                        "confman_jepsen", "input")), network.healCommands());
    }

    @Test
    void iptablesUsesAChainOfItsOwnJumpedToFromInput() {
        NetnsNetwork network = network(new NetnsNetwork.Iptables("iptables"));
        List<List<String>> setup = network.setupCommands();
        assertTrue(setup.contains(List.of("ip", "netns", "exec", "cmj4242-n2", "iptables", "-w", "-N",
                "CONFMAN_JEPSEN")));
        assertTrue(setup.contains(List.of("ip", "netns", "exec", "cmj4242-n2", "iptables", "-w", "-I", "INPUT", "-j",
                "CONFMAN_JEPSEN")));
        assertEquals(List.of("ip", "netns", "exec", "cmj4242-n1", "iptables", "-w", "-A", "CONFMAN_JEPSEN", "-s",
                "10.213.7.12", "-j", "DROP"), network.cutCommand("10.213.7.12", "n1"));
        assertEquals(List.of("ip", "netns", "exec", "cmj4242-n1", "iptables", "-w", "-F", "CONFMAN_JEPSEN"),
                network.healCommands().get(0));
    }

    @Test
    void nodesRunInTheirNamespaceAndDialDirectly() {
        NetnsNetwork network = network(new NetnsNetwork.Nft("nft"));
        assertEquals(List.of("ip", "netns", "exec", "cmj4242-n2"), network.commandPrefix("n2"));
        assertEquals(Map.of(), network.dialVia("n1"));
        assertThrows(IllegalArgumentException.class, () -> network.commandPrefix("n9"));
    }

    @Test
    void nodeIdsMustFitInAnInterfaceName() {
        NetnsNetwork network = network(new NetnsNetwork.Nft("nft"));
        assertThrows(IllegalArgumentException.class, () -> network.host("node1"));
        assertThrows(IllegalArgumentException.class, () -> network.host("n-1"));
        assertThrows(IllegalArgumentException.class, () -> NetnsNetwork.Plan.forPid(12_345_678L, 1));
        assertEquals("cmj4194304-n1", NetnsNetwork.Plan.forPid(4_194_304L, 1).namespace("n1"));
    }

    @Test
    void aMissingToolStopsTheStartNamingThePackage() {
        NetnsNetwork network = new NetnsNetwork(new NetnsNetwork.Plan("cmj4242", 7), "ip", null);
        IOException e = assertThrows(IOException.class, () -> network.start(
                Map.of("n1", new InetSocketAddress(network.host("n1"), 20_001))));
        assertTrue(e.getMessage().contains("apt-get install -y nftables"), e.getMessage());
        assertTrue(e.getMessage().contains("netns-setup.sh"), e.getMessage());
        network.close();
    }

    @Test
    void problemsNameRootAndEachMissingTool() {
        assertEquals(List.of(), NetnsNetwork.problems("ip", new NetnsNetwork.Nft("nft"), 0));
        List<String> problems = NetnsNetwork.problems(null, null, 1000);
        assertEquals(3, problems.size());
        assertTrue(problems.get(0).contains("needs root"), problems.get(0));
        assertTrue(problems.get(1).contains("apt-get install -y iproute2"), problems.get(1));
    }

    @Test
    void aRefusalOfIpIsExplainedByThePrivilegesItNeeds() {
        // What ip says in a user namespace (root there, not in the root namespace).
        String netnsAdd = NetnsNetwork.hint(List.of("/usr/sbin/ip", "netns", "add", "cmj1-n1"),
                "mount --make-shared /run/netns failed: Operation not permitted");
        assertTrue(netnsAdd.contains("CAP_SYS_ADMIN") && netnsAdd.contains("--network proxy"), netnsAdd);
        String linkAdd = NetnsNetwork.hint(List.of("ip", "link", "add", "cmj1", "type", "bridge"),
                "RTNETLINK answers: Operation not permitted");
        assertTrue(linkAdd.contains("unprivileged container"), linkAdd);
        assertEquals("", NetnsNetwork.hint(List.of("ip", "link", "add", "cmj1", "type", "bridge"),
                "RTNETLINK answers: File exists"));
        assertEquals("", NetnsNetwork.hint(List.of("nft", "add", "table", "inet", "x"), "Operation not permitted"));
    }

    @Test
    void theSubnetAvoidsEveryRouteButTheDefault() {
        String procNetRoute = """
                Iface\tDestination\tGateway \tFlags\tRefCnt\tUse\tMetric\tMask\t\tMTU\tWindow\tIRTT
                eth0\t00000000\t010200C0\t0003\t0\t0\t0\t00000000\t0\t0\t0
                eth0\t000200C0\t00000000\t0001\t0\t0\t0\t00FFFFFF\t0\t0\t0
                br0\t0005D50A\t00000000\t0001\t0\t0\t0\t00FFFFFF\t0\t0\t0
                """;
        List<NetnsNetwork.Route> routes = NetnsNetwork.routes(procNetRoute);
        assertEquals(3, routes.size());
        assertEquals((10 << 24) | (213 << 16) | (5 << 8), routes.get(2).destination());
        // PID 4 gives 5 first, which 10.213.5.0/24 takes.
        assertEquals(6, NetnsNetwork.freeSubnet(4, routes));
        assertEquals(9, NetnsNetwork.freeSubnet(8, routes));
        // A wider route over the whole /16 leaves nothing.
        List<NetnsNetwork.Route> wide = List.of(new NetnsNetwork.Route((10 << 24) | (213 << 16), 0xFFFF0000));
        assertThrows(IllegalStateException.class, () -> NetnsNetwork.freeSubnet(4, wide));
    }

    @Test
    void onlyOurNamesOfEndedRunsAreLeftovers() {
        assertEquals("cmj77", NetnsNetwork.tagOf("cmj77-n1"));
        assertEquals("cmj77", NetnsNetwork.tagOf("cmj77"));
        assertEquals("", NetnsNetwork.tagOf("cmjx-n1"));
        assertEquals("", NetnsNetwork.tagOf("eth0"));
        assertTrue(NetnsNetwork.isLeftover("cmj77-n1", 5, pid -> false));
        assertFalse(NetnsNetwork.isLeftover("cmj77-n1", 5, pid -> pid == 77));
        assertFalse(NetnsNetwork.isLeftover("cmj5-n1", 5, pid -> false));
        assertFalse(NetnsNetwork.isLeftover("docker0", 5, pid -> false));
    }

    @Test
    void listingsOfIpAreParsed() {
        assertEquals(List.of("lo", "eth0", "cmj77", "cmj77-n1"), NetnsNetwork.interfaceNames("""
                lo               UNKNOWN        00:00:00:00:00:00 <LOOPBACK,UP,LOWER_UP>
                eth0             UP             02:fc:00:00:00:01 <BROADCAST,MULTICAST,UP,LOWER_UP>
                cmj77            UP             32:28:94:45:02:61 <BROADCAST,MULTICAST,UP,LOWER_UP>
                cmj77-n1@if2     UP             e6:e2:ae:f7:07:ff <BROADCAST,MULTICAST,UP,LOWER_UP>
                """));
        assertEquals(List.of("cmj77-n2", "cmj77-n1"),
                NetnsNetwork.namespaceNames("cmj77-n2 (id: 1)\ncmj77-n1 (id: 0)\n"));
        assertEquals(List.of(), NetnsNetwork.namespaceNames(""));
    }
}

package io.confman.jepsen.harness;

import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.function.LongPredicate;
import java.util.function.Predicate;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Every node in a network namespace of its own, and cuts made by packet filter rules inside
 * those namespaces instead of by proxies: the nodes dial each other directly, so the kernel's
 * TCP stack, not a proxy's, sees the faults (as in Jepsen's own partitions). Needs root.
 *
 * <p>Layout: a bridge in the root namespace holds {@code 10.213.S.1/24}; each node's
 * namespace is joined to it by a veth pair and its end ({@code eth0}) holds
 * {@code 10.213.S.11}, {@code .12}, ...; loopback is up in each. The harness, in the root
 * namespace, reaches every node's HTTP port through the bridge. The nodes have no default
 * route, so they reach nothing but each other and the harness. S is a /24 that no route of
 * the machine overlaps, and every name (namespaces, links) starts with {@code cmj} and this
 * JVM's PID, so two runs never collide and the leftovers of a run whose JVM is gone are
 * recognised and removed by the next start.
 *
 * <p>{@link #cut(String, String)} drops, in {@code to}'s namespace, every packet arriving
 * from {@code from}'s address (a rule on the input hook). Unlike {@link ProxyNetwork}'s
 * one-way cut, which silences one direction of the connections only, a dropped direction
 * stalls both directions of a TCP connection: the segments still flow the other way but
 * their acknowledgements are lost, so the sender retransmits and then gives up. That is how
 * Jepsen's own iptables partitions behave. There are no delays: the kernels this runs on
 * often lack netem, and the proxy network provides delays.
 *
 * <p>Everything this class creates is removed by {@link #close()}, also after a failure
 * halfway through {@link #start(Map)}, and by a shutdown hook if the JVM ends first. The
 * setup and the requirements are in jepsen/NETNS.md.
 */
public final class NetnsNetwork implements Network {

    /** The start of every namespace and link name this class creates; the PID follows. */
    static final String PREFIX = "cmj";
    /** The first two octets of every subnet this class uses; the third is chosen per run. */
    static final String SUBNET_PREFIX = "10.213.";
    /** The bridge's host number in the subnet; nodes start at {@link #FIRST_NODE_HOST}. */
    static final int BRIDGE_HOST = 1;
    static final int FIRST_NODE_HOST = 11;
    static final int NODES_MAX = 254 - FIRST_NODE_HOST;
    /** The interface name of a node's veth end inside its namespace. */
    static final String NODE_INTERFACE = "eth0";
    /** Linux's interface name limit (IFNAMSIZ less the terminating zero). */
    static final int INTERFACE_NAME_LENGTH_MAX = 15;
    static final long COMMAND_TIMEOUT_MS = 10_000;
    private static final Pattern NODE_ID = Pattern.compile("[A-Za-z0-9]{1,4}");
    private static final Pattern OWN_NAME = Pattern.compile(PREFIX + "([0-9]{1,10})(-[A-Za-z0-9]{1,4})?");
    private static final List<String> SEARCH_PATH = List.of("/usr/sbin", "/sbin", "/usr/bin", "/bin");
    private static final Path BRIDGE_NF_CALL_IPTABLES = Path.of("/proc/sys/net/bridge/bridge-nf-call-iptables");
    private static final Set<NetnsNetwork> OPEN = ConcurrentHashMap.newKeySet();

    static {
        Runtime.getRuntime().addShutdownHook(new Thread(() -> List.copyOf(OPEN).forEach(NetnsNetwork::close),
                "jepsen-netns-reaper"));
    }

    /**
     * A packet filter tool, as the command lines that run inside a node's namespace: create
     * the chain this class owns (on the input hook), drop a source address in it, flush it.
     * Each namespace has its own tables, so the chain is the only rule set there.
     */
    sealed interface PacketFilter permits Nft, Iptables {

        /** The tool's path, as it appears in the command lines. */
        String tool();

        List<List<String>> install();

        List<String> drop(String sourceAddress);

        List<String> flush();
    }

    /** {@code nft}: a table {@code confman_jepsen} with a base chain on input. */
    record Nft(String tool) implements PacketFilter {
        static final String TABLE = "confman_jepsen";

        @Override
        public List<List<String>> install() {
            return List.of(List.of(tool, "add", "table", "inet", TABLE),
                    List.of(tool, "add", "chain", "inet", TABLE, "input",
                            "{ type filter hook input priority 0; policy accept; }"));
        }

        @Override
        public List<String> drop(String sourceAddress) {
            return List.of(tool, "add", "rule", "inet", TABLE, "input", "ip", "saddr", sourceAddress, "drop");
        }

        @Override
        public List<String> flush() {
            return List.of(tool, "flush", "chain", "inet", TABLE, "input");
        }
    }

    /** {@code iptables} (legacy or nf_tables backend): a chain {@code CONFMAN_JEPSEN} jumped to from INPUT. */
    record Iptables(String tool) implements PacketFilter {
        static final String CHAIN = "CONFMAN_JEPSEN";

        @Override
        public List<List<String>> install() {
            return List.of(List.of(tool, "-w", "-N", CHAIN), List.of(tool, "-w", "-I", "INPUT", "-j", CHAIN));
        }

        @Override
        public List<String> drop(String sourceAddress) {
            return List.of(tool, "-w", "-A", CHAIN, "-s", sourceAddress, "-j", "DROP");
        }

        @Override
        public List<String> flush() {
            return List.of(tool, "-w", "-F", CHAIN);
        }
    }

    /**
     * This run's names and subnet.
     *
     * @param tag    {@code cmj} and the harness's PID: the bridge's name, and the start of every other name
     * @param subnet the third octet of {@code 10.213.S.0/24}
     */
    record Plan(String tag, int subnet) {
        Plan {
            if (!OWN_NAME.matcher(tag).matches() || tag.contains("-")) {
                throw new IllegalArgumentException("tag '" + tag + "' is not " + PREFIX + " and a number");
            }
            if (subnet < 1 || subnet > 254) {
                throw new IllegalArgumentException("subnet octet " + subnet + " is not in 1..254");
            }
            if (tag.length() + 1 + 4 > INTERFACE_NAME_LENGTH_MAX) {
                throw new IllegalArgumentException("tag '" + tag + "' leaves no room for a node id in "
                        + INTERFACE_NAME_LENGTH_MAX + " characters");
            }
        }

        static Plan forPid(long pid, int subnet) {
            return new Plan(PREFIX + pid, subnet);
        }

        String bridge() {
            return tag;
        }

        /** The node's namespace, and also its veth end in the root namespace (links and namespaces are named apart). */
        String namespace(String id) {
            return tag + "-" + id;
        }

        String address(int host) {
            return SUBNET_PREFIX + subnet + "." + host;
        }
    }

    /** An IPv4 route's destination and mask, host byte order. */
    record Route(int destination, int mask) {
    }

    private final Plan plan;
    private final String ip;
    private final PacketFilter filter;
    // Invariant: ids keep the order of their first host() call, which gives their address.
    private final Map<String, String> addresses = new LinkedHashMap<>();
    private final List<String> removedLeftovers = new ArrayList<>();
    private boolean started;
    private boolean closed;

    /**
     * @param ip     the path of iproute2's {@code ip}, or null when it was not found
     * @param filter the packet filter, or null when neither tool was found
     */
    NetnsNetwork(Plan plan, String ip, PacketFilter filter) {
        this.plan = plan;
        this.ip = ip;
        this.filter = filter;
    }

    /** A network for this JVM: names from its PID, a subnet no route uses, the tools found on this machine. */
    public static NetnsNetwork forThisProcess() {
        return forThisProcess(findFilter());
    }

    /** As {@link #forThisProcess()}, with this packet filter (null: none found). */
    static NetnsNetwork forThisProcess(PacketFilter filter) {
        long pid = ProcessHandle.current().pid();
        List<Route> routes;
        try {
            routes = routes(Files.readString(Path.of("/proc/net/route"), StandardCharsets.US_ASCII));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read the routes to choose a free subnet", e);
        }
        return new NetnsNetwork(Plan.forPid(pid, freeSubnet(pid, routes)), find("ip"), filter);
    }

    /** nft when present (Debian's default), else iptables, else null. */
    static PacketFilter findFilter() {
        String nft = find("nft");
        if (nft != null) {
            return new Nft(nft);
        }
        String iptables = find("iptables");
        return iptables == null ? null : new Iptables(iptables);
    }

    /** The path of an executable on PATH or in the sbin directories (root's tools are there), or null. */
    static String find(String name) {
        List<String> directories = new ArrayList<>();
        String path = System.getenv("PATH");
        if (path != null) {
            directories.addAll(List.of(path.split(File.pathSeparator)));
        }
        directories.addAll(SEARCH_PATH);
        for (String directory : directories) {
            Path candidate = Path.of(directory.isEmpty() ? "." : directory, name);
            if (Files.isRegularFile(candidate) && Files.isExecutable(candidate)) {
                return candidate.toString();
            }
        }
        return null;
    }

    /** The IPv4 routes of {@code /proc/net/route} (addresses there are little-endian hex). */
    static List<Route> routes(String procNetRoute) {
        List<Route> routes = new ArrayList<>();
        for (String line : procNetRoute.split("\n")) {
            String[] fields = line.strip().split("\\s+");
            if (fields.length < 8 || fields[0].equals("Iface")) {
                continue;
            }
            routes.add(new Route(Integer.reverseBytes(Integer.parseUnsignedInt(fields[1], 16)),
                    Integer.reverseBytes(Integer.parseUnsignedInt(fields[7], 16))));
        }
        return routes;
    }

    /**
     * The first third octet S, from one derived from the PID on, such that no route but the
     * default one overlaps {@code 10.213.S.0/24}; two prefixes overlap when they agree on the
     * bits of the shorter mask.
     */
    static int freeSubnet(long pid, List<Route> routes) {
        for (int attempt = 0; attempt < 254; attempt++) {
            int subnet = 1 + (int) ((pid + attempt) % 254);
            int network = (10 << 24) | (213 << 16) | (subnet << 8);
            boolean used = false;
            for (Route route : routes) {
                int shorter = route.mask() & 0xFFFFFF00;
                if (route.mask() != 0 && (route.destination() & shorter) == (network & shorter)) {
                    used = true;
                    break;
                }
            }
            if (!used) {
                return subnet;
            }
        }
        throw new IllegalStateException("every /24 of " + SUBNET_PREFIX + "0.0/16 overlaps a route of this machine");
    }

    @Override
    public synchronized String host(String id) {
        String address = addresses.get(id);
        if (address != null) {
            return address;
        }
        if (started) {
            throw new IllegalStateException("node " + id + " was not in the network when it started");
        }
        if (!NODE_ID.matcher(id).matches()) {
            throw new IllegalArgumentException("node id '" + id + "' must be 1 to 4 letters or digits"
                    + " (it goes into interface names of at most " + INTERFACE_NAME_LENGTH_MAX + " characters)");
        }
        if (addresses.size() >= NODES_MAX) {
            throw new IllegalStateException("at most " + NODES_MAX + " nodes in one subnet");
        }
        address = plan.address(FIRST_NODE_HOST + addresses.size());
        addresses.put(id, address);
        return address;
    }

    @Override
    public synchronized void start(Map<String, InetSocketAddress> peers) throws IOException {
        if (started || closed) {
            throw new IllegalStateException("a network starts once");
        }
        for (Map.Entry<String, InetSocketAddress> peer : peers.entrySet()) {
            String address = host(peer.getKey());
            if (!peer.getValue().getHostString().equals(address)) {
                throw new IllegalArgumentException(peer.getKey() + " is at " + peer.getValue() + ", not at "
                        + address + " (the host this network gave it)");
            }
        }
        List<String> problems = problems(ip, filter, effectiveUid());
        if (!problems.isEmpty()) {
            throw new IOException("the netns network cannot start: " + String.join("; ", problems));
        }
        removeLeftovers();
        started = true;
        OPEN.add(this);
        try {
            for (List<String> command : setupCommands()) {
                run(command);
            }
        } catch (IOException | RuntimeException e) {
            try {
                close();
            } catch (RuntimeException closing) {
                e.addSuppressed(closing);
            }
            throw e;
        }
    }

    /** What stops a start: not root, or a tool missing (with the Debian package to install). */
    static List<String> problems(String ip, PacketFilter filter, long uid) {
        List<String> problems = new ArrayList<>();
        if (uid != 0) {
            problems.add("it needs root (this JVM runs as uid " + uid + "); use --network proxy otherwise");
        }
        if (ip == null) {
            problems.add("iproute2's ip was not found (apt-get install -y iproute2, or run jepsen/netns-setup.sh)");
        }
        if (filter == null) {
            problems.add("neither nft nor iptables was found (apt-get install -y nftables, or run"
                    + " jepsen/netns-setup.sh)");
        }
        return problems;
    }

    /** The effective uid, from {@code /proc/self/status} ("Uid: real effective saved fs"), or -1. */
    static long effectiveUid() throws IOException {
        for (String line : Files.readAllLines(Path.of("/proc/self/status"), StandardCharsets.US_ASCII)) {
            if (line.startsWith("Uid:")) {
                return Long.parseLong(line.substring(4).strip().split("\\s+")[1]);
            }
        }
        return -1;
    }

    /** Every command of a start, in order: the bridge, then per node its namespace, link, addresses and chain. */
    List<List<String>> setupCommands() {
        List<List<String>> commands = new ArrayList<>();
        String bridge = plan.bridge();
        commands.add(List.of(ip, "link", "add", bridge, "type", "bridge"));
        commands.add(List.of(ip, "addr", "add", plan.address(BRIDGE_HOST) + "/24", "dev", bridge));
        commands.add(List.of(ip, "link", "set", bridge, "up"));
        for (Map.Entry<String, String> node : addresses.entrySet()) {
            String namespace = plan.namespace(node.getKey());
            commands.add(List.of(ip, "netns", "add", namespace));
            commands.add(List.of(ip, "link", "add", namespace, "type", "veth", "peer", "name", NODE_INTERFACE,
                    "netns", namespace));
            commands.add(List.of(ip, "link", "set", namespace, "master", bridge, "up"));
            commands.add(List.of(ip, "-n", namespace, "addr", "add", node.getValue() + "/24", "dev", NODE_INTERFACE));
            commands.add(List.of(ip, "-n", namespace, "link", "set", NODE_INTERFACE, "up"));
            commands.add(List.of(ip, "-n", namespace, "link", "set", "lo", "up"));
            for (List<String> install : filter.install()) {
                commands.add(inNamespace(namespace, install));
            }
        }
        return commands;
    }

    private List<String> inNamespace(String namespace, List<String> command) {
        List<String> full = new ArrayList<>(List.of(ip, "netns", "exec", namespace));
        full.addAll(command);
        return full;
    }

    /**
     * {@code ip netns exec NAME}: it enters the namespace and execs the command (no fork), so
     * the node's Process is the java process itself and SIGSTOP and SIGKILL reach it.
     */
    @Override
    public List<String> commandPrefix(String id) {
        return List.of(ip, "netns", "exec", plan.namespace(known(id)));
    }

    @Override
    public Map<String, InetSocketAddress> dialVia(String id) {
        return Map.of();
    }

    @Override
    public synchronized void cut(String from, String to) {
        requireStarted();
        String source = addresses.get(known(from));
        try {
            run(cutCommand(source, known(to)));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    List<String> cutCommand(String sourceAddress, String to) {
        return inNamespace(plan.namespace(to), filter.drop(sourceAddress));
    }

    @Override
    public synchronized void healAll() {
        requireStarted();
        try {
            for (List<String> command : healCommands()) {
                run(command);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    List<List<String>> healCommands() {
        List<List<String>> commands = new ArrayList<>();
        for (String id : addresses.keySet()) {
            commands.add(inNamespace(plan.namespace(id), filter.flush()));
        }
        return commands;
    }

    private synchronized String known(String id) {
        if (!addresses.containsKey(id)) {
            throw new IllegalArgumentException("no node " + id + " in this network");
        }
        return id;
    }

    private void requireStarted() {
        if (!started || closed) {
            throw new IllegalStateException("the netns network is not running");
        }
    }

    /** This run's tag (the bridge's name and the start of every other name). */
    String tag() {
        return plan.tag();
    }

    /** The namespace node {@code id} runs in. */
    String namespace(String id) {
        return plan.namespace(known(id));
    }

    @Override
    public synchronized String describe() {
        StringBuilder text = new StringBuilder("network namespaces " + plan.namespace("*") + " (" + addresses.size()
                + ") on bridge " + plan.bridge() + ", " + plan.address(0) + "/24, cuts by "
                + (filter == null ? "no tool" : Path.of(filter.tool()).getFileName()) + " rules on input");
        if (bridgeNetfilter()) {
            text.append("; bridge-nf-call-iptables is on, so the root namespace's forward rules also see node"
                    + " traffic");
        }
        if (!removedLeftovers.isEmpty()) {
            text.append("; removed what ended runs left: ").append(String.join(", ", removedLeftovers));
        }
        return text.toString();
    }

    private static boolean bridgeNetfilter() {
        try {
            return Files.isReadable(BRIDGE_NF_CALL_IPTABLES)
                    && Files.readString(BRIDGE_NF_CALL_IPTABLES).strip().equals("1");
        } catch (IOException e) {
            return false;
        }
    }

    /**
     * Removes the namespaces and links of this run; throws after trying them all when some
     * could not be removed.
     */
    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        OPEN.remove(this);
        if (!started) {
            return;
        }
        String tag = plan.tag();
        List<String> failures = new ArrayList<>();
        remove(name -> tagOf(name).equals(tag), new ArrayList<>(), failures);
        if (!failures.isEmpty()) {
            throw new IllegalStateException("could not remove all of " + tag + ": " + String.join("; ", failures));
        }
    }

    /** Removes what runs whose JVM has ended left behind (their names carry its PID). */
    private void removeLeftovers() throws IOException {
        long self = ProcessHandle.current().pid();
        List<String> failures = new ArrayList<>();
        remove(name -> isLeftover(name, self, NetnsNetwork::alive), removedLeftovers, failures);
        if (!failures.isEmpty()) {
            throw new IOException("could not remove the leftovers of an earlier run: " + String.join("; ", failures));
        }
    }

    private static boolean alive(long pid) {
        return ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false);
    }

    /** The {@code cmjPID} a name of this class starts with, or "" for a name that is not one of ours. */
    static String tagOf(String name) {
        Matcher matcher = OWN_NAME.matcher(name);
        return matcher.matches() ? PREFIX + matcher.group(1) : "";
    }

    /** True for one of our names whose PID is neither ours nor a live process's. */
    static boolean isLeftover(String name, long self, LongPredicate alive) {
        String tag = tagOf(name);
        if (tag.isEmpty()) {
            return false;
        }
        long pid = Long.parseLong(tag.substring(PREFIX.length()));
        return pid != self && !alive.test(pid);
    }

    /**
     * Deletes the links, then the namespaces whose names pass {@code select}, killing what still
     * runs inside those namespaces first (a node left by a harness that was killed); the veth
     * ends inside go with their pairs. Adds what it removed to {@code removed} and what failed to
     * {@code failures}.
     */
    private void remove(Predicate<String> select, List<String> removed, List<String> failures) {
        try {
            for (String link : interfaceNames(run(List.of(ip, "-br", "link", "show")))) {
                if (select.test(link)) {
                    tryRun(List.of(ip, "link", "del", link), failures);
                    removed.add("link " + link);
                }
            }
            for (String namespace : namespaceNames(run(List.of(ip, "netns", "list")))) {
                if (select.test(namespace)) {
                    for (String pid : run(List.of(ip, "netns", "pids", namespace)).strip().split("\\s+")) {
                        if (!pid.isEmpty()) {
                            ProcessHandle.of(Long.parseLong(pid)).ifPresent(ProcessHandle::destroyForcibly);
                        }
                    }
                    tryRun(List.of(ip, "netns", "del", namespace), failures);
                    removed.add("namespace " + namespace);
                }
            }
        } catch (IOException e) {
            failures.add(e.getMessage());
        }
    }

    /** The interface names of {@code ip -br link show} ("name@peer  STATE ..."). */
    static List<String> interfaceNames(String output) {
        List<String> names = new ArrayList<>();
        for (String line : output.split("\n")) {
            String name = line.strip().split("\\s+")[0];
            int at = name.indexOf('@');
            if (!name.isEmpty()) {
                names.add(at < 0 ? name : name.substring(0, at));
            }
        }
        return names;
    }

    /** The names of {@code ip netns list} ("name (id: N)"). */
    static List<String> namespaceNames(String output) {
        List<String> names = new ArrayList<>();
        for (String line : output.split("\n")) {
            String name = line.strip().split("\\s+")[0];
            if (!name.isEmpty()) {
                names.add(name);
            }
        }
        return names;
    }

    private static void tryRun(List<String> command, List<String> failures) {
        try {
            run(command);
        } catch (IOException e) {
            failures.add(e.getMessage());
        }
    }

    /** Runs a command to its end and returns its output; a non-zero exit or a time-out is an IOException. */
    static String run(List<String> command) throws IOException {
        // The output goes to a file, not a pipe read before waiting: a command that hangs
        // must not hang its caller past the time-out.
        Path outputFile = Files.createTempFile("confman-netns-", ".out");
        String output;
        int exit;
        try {
            Process process = new ProcessBuilder(command).redirectErrorStream(true)
                    .redirectOutput(outputFile.toFile())
                    .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null"))).start();
            try {
                if (!process.waitFor(COMMAND_TIMEOUT_MS, TimeUnit.MILLISECONDS)) {
                    process.destroyForcibly();
                    throw new IOException(String.join(" ", command) + " did not end within " + COMMAND_TIMEOUT_MS
                            + " ms");
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                process.destroyForcibly();
                throw new IOException(String.join(" ", command) + " was interrupted", e);
            }
            output = Files.readString(outputFile, StandardCharsets.UTF_8);
            exit = process.exitValue();
        } finally {
            Files.deleteIfExists(outputFile);
        }
        if (exit != 0) {
            throw new IOException(String.join(" ", command) + " failed (exit " + exit + "): "
                    + output.strip() + hint(command, output));
        }
        return output;
    }

    /**
     * Why {@code ip} is refused as root: creating namespaces, links and bridges needs
     * CAP_SYS_ADMIN and CAP_NET_ADMIN in the root namespace, which an unprivileged container
     * (root only in a user namespace) does not have.
     */
    static String hint(List<String> command, String output) {
        boolean ip = Path.of(command.get(0)).getFileName().toString().equals("ip");
        if (ip && (output.contains("Operation not permitted") || output.contains("Permission denied"))) {
            return " (creating network namespaces, links and bridges needs CAP_SYS_ADMIN and CAP_NET_ADMIN, which an"
                    + " unprivileged container does not grant; use --network proxy there)";
        }
        return "";
    }
}

package io.confman.cli;

import io.confman.node.NodeConfig;
import io.confman.store.StoreLimits;
import java.net.InetSocketAddress;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;

/**
 * The flags of {@code confman server} (CONTRACT.md, "One node"), parsed and checked for
 * shape only: nothing here reads a file or binds a port, so every rule can be tested
 * without side effects. {@link ServerCommand} turns these into the node's and the HTTP
 * front's configurations, whose constructors check the timing rules.
 *
 * @param id                       {@code --id}, one of the members
 * @param members                  {@code --peers}, id to peer-transport address, in the order given
 * @param http                     {@code --http}, the client listener (port 0 picks a free one)
 * @param dataDir                  {@code --data}
 * @param clusterSecretFile        {@code --cluster-secret-file}, or null
 * @param adminTokenFile           {@code --admin-token-file}, or null (every admin call refused)
 * @param heartbeatMs              {@code --heartbeat-ms}
 * @param electionTimeoutMs        {@code --election-timeout-ms}
 * @param requestTimeoutMs         {@code --request-timeout-ms}
 * @param snapshotIntervalEntries  {@code --snapshot-interval}
 * @param snapshotLogBytesMax      {@code --snapshot-log-bytes}
 * @param inlineMaxBytes           {@code --inline-max-bytes}
 * @param valueMaxBytes            {@code --value-max-bytes}: the largest value or blob accepted
 * @param peerDial                 {@code --peer-dial}: peers to dial at another address (a proxy),
 *                                 without changing the member list or the cluster identity
 */
record ServerSettings(
        String id,
        Map<String, InetSocketAddress> members,
        InetSocketAddress http,
        Path dataDir,
        Path clusterSecretFile,
        Path adminTokenFile,
        long heartbeatMs,
        long electionTimeoutMs,
        long requestTimeoutMs,
        long snapshotIntervalEntries,
        long snapshotLogBytesMax,
        int inlineMaxBytes,
        long valueMaxBytes,
        Map<String, InetSocketAddress> peerDial) {

    static final String COMMAND = "confman server";
    static final long HEARTBEAT_MS_DEFAULT = 100;
    static final long ELECTION_TIMEOUT_MS_DEFAULT = 1_000;
    static final long REQUEST_TIMEOUT_MS_DEFAULT = 10_000;
    static final long SNAPSHOT_INTERVAL_ENTRIES_DEFAULT = 10_000;
    static final int INLINE_MAX_BYTES_DEFAULT = 64 * 1024;
    /** An hour: a timeout longer than that is a typo, not a setting. */
    static final long TIMEOUT_MS_MAX = 3_600_000;
    static final int MEMBERS_MAX = 15;
    static final String USAGE = "usage: confman server --id ID --peers ID=HOST:PORT,... --http HOST:PORT --data DIR"
            + " [--cluster-secret-file F] [--admin-token-file F] [--heartbeat-ms 100]"
            + " [--election-timeout-ms 1000] [--request-timeout-ms 10000] [--snapshot-interval N]"
            + " [--snapshot-log-bytes 67108864] [--inline-max-bytes 65536] [--value-max-bytes "
            + StoreLimits.DEFAULTS.valueBytesMax() + "] [--peer-dial ID=HOST:PORT,...]";

    private static final Set<String> VALUED = Set.of("id", "peers", "http", "data", "cluster-secret-file",
            "admin-token-file", "heartbeat-ms", "election-timeout-ms", "request-timeout-ms", "snapshot-interval",
            "snapshot-log-bytes", "inline-max-bytes", "value-max-bytes", "peer-dial");

    ServerSettings {
        members = Map.copyOf(members);
        peerDial = Map.copyOf(peerDial);
    }

    static ServerSettings parse(String[] args) throws UsageException {
        Flags flags = Flags.parse(COMMAND, args, VALUED, Set.of());
        if (!flags.positionals().isEmpty()) {
            throw new UsageException(COMMAND + ": unexpected argument '" + flags.positionals().get(0) + "'");
        }
        String id = flags.require(COMMAND, "id");
        Map<String, InetSocketAddress> members = parsePeers(flags.require(COMMAND, "peers"));
        if (!members.containsKey(id)) {
            throw new UsageException(COMMAND + ": --id " + id + " is not in --peers " + members.keySet()
                    + " (the member list must contain this node)");
        }
        InetSocketAddress http = parseAddress("--http", flags.require(COMMAND, "http"), true);
        Path dataDir = path("--data", flags.require(COMMAND, "data"));
        Path secretFile = flags.has("cluster-secret-file")
                ? path("--cluster-secret-file", flags.get("cluster-secret-file")) : null;
        if (secretFile == null && members.size() > 1) {
            throw new UsageException(COMMAND + ": --cluster-secret-file is required when --peers lists more than"
                    + " one member (peers prove they hold the secret)");
        }
        Path adminTokenFile = flags.has("admin-token-file")
                ? path("--admin-token-file", flags.get("admin-token-file")) : null;
        long heartbeatMs = flags.longValue(COMMAND, "heartbeat-ms", HEARTBEAT_MS_DEFAULT, 1, TIMEOUT_MS_MAX);
        long electionTimeoutMs = flags.longValue(COMMAND, "election-timeout-ms", ELECTION_TIMEOUT_MS_DEFAULT, 1,
                TIMEOUT_MS_MAX);
        long requestTimeoutMs = flags.longValue(COMMAND, "request-timeout-ms", REQUEST_TIMEOUT_MS_DEFAULT, 1,
                TIMEOUT_MS_MAX);
        long snapshotInterval = flags.longValue(COMMAND, "snapshot-interval", SNAPSHOT_INTERVAL_ENTRIES_DEFAULT, 1,
                Long.MAX_VALUE);
        long snapshotLogBytes = flags.longValue(COMMAND, "snapshot-log-bytes",
                NodeConfig.SNAPSHOT_LOG_BYTES_MAX_DEFAULT, 1, Long.MAX_VALUE);
        long inlineMaxBytes = flags.longValue(COMMAND, "inline-max-bytes", INLINE_MAX_BYTES_DEFAULT, 1,
                Integer.MAX_VALUE);
        long valueMaxBytes = flags.longValue(COMMAND, "value-max-bytes", StoreLimits.DEFAULTS.valueBytesMax(), 1,
                StoreLimits.DEFAULTS.valueBytesMax());
        Map<String, InetSocketAddress> peerDial = flags.has("peer-dial")
                ? parsePeerDial(flags.get("peer-dial"), id, members) : Map.of();
        return new ServerSettings(id, members, http, dataDir, secretFile, adminTokenFile, heartbeatMs,
                electionTimeoutMs, requestTimeoutMs, snapshotInterval, snapshotLogBytes, (int) inlineMaxBytes,
                valueMaxBytes, peerDial);
    }

    /**
     * {@code --peer-dial ID=HOST:PORT,...}: where to dial some peers instead of their member-list
     * address, e.g. a proxy that the fault-injection suite puts on every link. Each id must be
     * another member, named once.
     */
    static Map<String, InetSocketAddress> parsePeerDial(String list, String id, Map<String, InetSocketAddress> members)
            throws UsageException {
        Map<String, InetSocketAddress> dial = new LinkedHashMap<>();
        for (String item : list.split(",", -1)) {
            int equals = item.indexOf('=');
            if (equals <= 0 || equals == item.length() - 1) {
                throw new UsageException(COMMAND + ": --peer-dial item '" + item + "' is not ID=HOST:PORT");
            }
            String peer = item.substring(0, equals).strip();
            if (peer.equals(id) || !members.containsKey(peer)) {
                throw new UsageException(COMMAND + ": --peer-dial names '" + peer + "', which is not another member"
                        + " in --peers " + members.keySet());
            }
            if (dial.put(peer, parseAddress("--peer-dial " + peer, item.substring(equals + 1), false)) != null) {
                throw new UsageException(COMMAND + ": --peer-dial names " + peer + " twice");
            }
        }
        return dial;
    }

    /** {@code ID=HOST:PORT,...}: ids unique, addresses unique, at most {@link #MEMBERS_MAX}. */
    static Map<String, InetSocketAddress> parsePeers(String list) throws UsageException {
        Map<String, InetSocketAddress> members = new LinkedHashMap<>();
        for (String item : list.split(",", -1)) {
            int equals = item.indexOf('=');
            if (equals <= 0 || equals == item.length() - 1) {
                throw new UsageException(COMMAND + ": --peers item '" + item + "' is not ID=HOST:PORT");
            }
            String memberId = item.substring(0, equals).strip();
            if (!memberId.matches("[A-Za-z0-9._-]{1,64}")) {
                throw new UsageException(COMMAND + ": --peers id '" + memberId
                        + "' must be 1 to 64 of the characters A-Z a-z 0-9 . _ -");
            }
            InetSocketAddress address = parseAddress("--peers " + memberId, item.substring(equals + 1), false);
            if (members.containsValue(address)) {
                throw new UsageException(COMMAND + ": --peers lists the address " + item.substring(equals + 1)
                        + " twice");
            }
            if (members.put(memberId, address) != null) {
                throw new UsageException(COMMAND + ": --peers lists the id " + memberId + " twice");
            }
        }
        if (members.size() > MEMBERS_MAX) {
            throw new UsageException(COMMAND + ": --peers lists " + members.size() + " members, at most "
                    + MEMBERS_MAX + " are supported");
        }
        return members;
    }

    /** {@code HOST:PORT} or {@code [IPV6]:PORT}; the host must resolve. */
    static InetSocketAddress parseAddress(String what, String text, boolean portZeroAllowed) throws UsageException {
        int colon = text.lastIndexOf(':');
        if (colon <= 0 || colon == text.length() - 1) {
            throw new UsageException(COMMAND + ": " + what + " '" + text + "' is not HOST:PORT");
        }
        String host = text.substring(0, colon);
        if (host.startsWith("[") && host.endsWith("]")) {
            host = host.substring(1, host.length() - 1);
        } else if (host.contains(":")) {
            throw new UsageException(COMMAND + ": " + what + " '" + text + "' is not HOST:PORT (write IPv6 as [ADDR]:PORT)");
        }
        int port;
        try {
            port = Integer.parseInt(text.substring(colon + 1));
        } catch (NumberFormatException notANumber) {
            throw new UsageException(COMMAND + ": " + what + " '" + text + "' has no numeric port");
        }
        int portMin = portZeroAllowed ? 0 : 1;
        if (port < portMin || port > 65_535) {
            throw new UsageException(COMMAND + ": " + what + " '" + text + "' has port " + port + " outside ["
                    + portMin + ", 65535]");
        }
        InetSocketAddress address = new InetSocketAddress(host, port);
        if (address.isUnresolved()) {
            throw new UsageException(COMMAND + ": " + what + " '" + text + "': host " + host + " does not resolve");
        }
        return address;
    }

    private static Path path(String what, String text) throws UsageException {
        try {
            return Path.of(text);
        } catch (InvalidPathException invalid) {
            throw new UsageException(COMMAND + ": " + what + " '" + text + "' is not a valid path");
        }
    }

    /**
     * The tick: the largest divisor of the three timings' greatest common divisor that is
     * at most {@code tickMsMax}, so that each timing is a whole number of ticks (the core
     * counts ticks, STYLE 5) and timers are no coarser than 10 ms.
     */
    static long tickMs(long heartbeatMs, long electionTimeoutMs, long requestTimeoutMs, long tickMsMax) {
        long gcd = gcd(gcd(heartbeatMs, electionTimeoutMs), requestTimeoutMs);
        for (long candidate = Math.min(tickMsMax, gcd); candidate > 1; candidate--) {
            if (gcd % candidate == 0) {
                return candidate;
            }
        }
        return 1;
    }

    private static long gcd(long a, long b) {
        while (b != 0) {
            long rest = a % b;
            a = b;
            b = rest;
        }
        return a;
    }
}

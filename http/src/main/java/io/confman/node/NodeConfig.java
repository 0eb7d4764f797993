package io.confman.node;

import io.confman.raft.ClusterIdentity;
import io.confman.raft.Entry;
import io.confman.raft.RaftConfig;
import io.confman.transport.TransportConfig;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * Everything a {@link ConfmanNode} needs, validated once in the constructor so that a bad
 * value ends the process at start-up (STYLE 5). Milliseconds live here and in the node
 * runtime only; the Raft core counts ticks, and {@link #raftConfig()} converts.
 *
 * @param id                      this node's id; must be a key of {@code members}
 * @param members                 the static member list, id to peer-transport address (this
 *                                node's entry is where it listens)
 * @param dataDir                 the node's data directory (storage/FORMAT.md section 8)
 * @param secret                  the cluster secret the transport proves with HMAC
 * @param tickMs                  the period of the timer that ticks the core
 * @param heartbeatMs             a leader's heartbeat interval
 * @param electionTimeoutMs       a follower's election timeout (the core draws each timeout in
 *                                {@code [electionTimeoutMs, 2 * electionTimeoutMs)}, thesis §3.4)
 * @param requestTimeoutMs        a client request not answered by then fails as outcome unknown
 * @param snapshotIntervalEntries entries applied between two snapshots of the store
 * @param inboxEventsMax          events (peer messages, ticks, client requests) the loop's
 *                                inbox holds; a full inbox refuses new ones
 * @param pendingRequestsMax      client proposals, writes and linearizable reads waiting for an answer at once
 * @param commandBytesMax         the largest encoded command proposed; bounds the frame size
 * @param snapshotLogBytesMax     entry bytes applied since the last snapshot that make a
 *                                snapshot due even before snapshotIntervalEntries entries: a
 *                                log of few large entries is bounded by size, not by count
 * @param dialVia                 peers to dial at another address than their member-list one
 *                                (a fault-injection proxy in front of them); empty normally.
 *                                The member list, and so the cluster identity, is unchanged
 */
public record NodeConfig(
        String id,
        Map<String, InetSocketAddress> members,
        Path dataDir,
        byte[] secret,
        long tickMs,
        long heartbeatMs,
        long electionTimeoutMs,
        long requestTimeoutMs,
        long snapshotIntervalEntries,
        int inboxEventsMax,
        int pendingRequestsMax,
        int commandBytesMax,
        long snapshotLogBytesMax,
        Map<String, InetSocketAddress> dialVia) {

    /** Default bounds for the limits that are not about timing. */
    public static final int INBOX_EVENTS_MAX_DEFAULT = 4096;
    public static final int PENDING_REQUESTS_MAX_DEFAULT = 4096;
    public static final int COMMAND_BYTES_MAX_DEFAULT = 1 << 20;
    public static final long SNAPSHOT_LOG_BYTES_MAX_DEFAULT = 64L << 20;
    /** The transport's default frame bound, raised when the Raft limits need more. */
    static final int FRAME_BYTES_MAX_DEFAULT = 4 * 1024 * 1024;
    static final int FRAME_HEADROOM_BYTES = 1024;

    public NodeConfig {
        Objects.requireNonNull(id, "id");
        Objects.requireNonNull(dataDir, "dataDir");
        Objects.requireNonNull(secret, "secret");
        members = Map.copyOf(Objects.requireNonNull(members, "members"));
        dialVia = Map.copyOf(Objects.requireNonNull(dialVia, "dialVia"));
        secret = secret.clone();
        if (!members.containsKey(id)) {
            throw new IllegalArgumentException("rule 'id is one of members' violated: " + id
                    + " not in " + members.keySet());
        }
        for (String peer : dialVia.keySet()) {
            if (peer.equals(id) || !members.containsKey(peer)) {
                throw new IllegalArgumentException("rule 'dialVia names other members only' violated: " + peer
                        + " (members " + members.keySet() + ", this node " + id + ")");
            }
        }
        requirePositive("tickMs", tickMs);
        requirePositive("heartbeatMs", heartbeatMs);
        requirePositive("snapshotIntervalEntries", snapshotIntervalEntries);
        requirePositive("inboxEventsMax", inboxEventsMax);
        requirePositive("pendingRequestsMax", pendingRequestsMax);
        requirePositive("commandBytesMax", commandBytesMax);
        requirePositive("snapshotLogBytesMax", snapshotLogBytesMax);
        if (heartbeatMs >= electionTimeoutMs) {
            throw new IllegalArgumentException("rule 'heartbeatMs < electionTimeoutMs' violated: "
                    + heartbeatMs + " >= " + electionTimeoutMs
                    + " (followers would time out between heartbeats)");
        }
        if (electionTimeoutMs >= requestTimeoutMs) {
            throw new IllegalArgumentException("rule 'electionTimeoutMs < requestTimeoutMs' violated: "
                    + electionTimeoutMs + " >= " + requestTimeoutMs
                    + " (a request would time out before a failed leader could be replaced)");
        }
        requireMultipleOfTick("heartbeatMs", heartbeatMs, tickMs);
        requireMultipleOfTick("electionTimeoutMs", electionTimeoutMs, tickMs);
        requireMultipleOfTick("requestTimeoutMs", requestTimeoutMs, tickMs);
        if (electionTimeoutMs / tickMs < 2) {
            throw new IllegalArgumentException("rule 'electionTimeoutMs >= 2 * tickMs' violated: "
                    + electionTimeoutMs + " < 2 * " + tickMs + " (no room for a snapshot budget)");
        }
        if (requestTimeoutMs / tickMs > Integer.MAX_VALUE) {
            throw new IllegalArgumentException("rule 'requestTimeoutMs / tickMs fits an int' violated: "
                    + requestTimeoutMs + " / " + tickMs);
        }
        if (secret.length < TransportConfig.SECRET_BYTES_MIN) {
            throw new IllegalArgumentException("rule 'secret is at least " + TransportConfig.SECRET_BYTES_MIN
                    + " bytes' violated: " + secret.length);
        }
        // Builds the core's configuration once, so that its own rules are checked at start too.
        ticksConfig(id, new ArrayList<>(members.keySet()), tickMs, heartbeatMs, electionTimeoutMs,
                requestTimeoutMs);
    }

    /** A configuration that dials every peer at its member-list address. */
    public NodeConfig(String id, Map<String, InetSocketAddress> members, Path dataDir, byte[] secret, long tickMs,
                      long heartbeatMs, long electionTimeoutMs, long requestTimeoutMs, long snapshotIntervalEntries,
                      int inboxEventsMax, int pendingRequestsMax, int commandBytesMax, long snapshotLogBytesMax) {
        this(id, members, dataDir, secret, tickMs, heartbeatMs, electionTimeoutMs, requestTimeoutMs,
                snapshotIntervalEntries, inboxEventsMax, pendingRequestsMax, commandBytesMax, snapshotLogBytesMax,
                Map.of());
    }

    /** A configuration with the default limits. */
    public static NodeConfig of(String id, Map<String, InetSocketAddress> members, Path dataDir, byte[] secret,
                                long tickMs, long heartbeatMs, long electionTimeoutMs, long requestTimeoutMs,
                                long snapshotIntervalEntries) {
        return new NodeConfig(id, members, dataDir, secret, tickMs, heartbeatMs, electionTimeoutMs,
                requestTimeoutMs, snapshotIntervalEntries, INBOX_EVENTS_MAX_DEFAULT,
                PENDING_REQUESTS_MAX_DEFAULT, COMMAND_BYTES_MAX_DEFAULT, SNAPSHOT_LOG_BYTES_MAX_DEFAULT);
    }

    private static void requirePositive(String name, long value) {
        if (value <= 0) {
            throw new IllegalArgumentException("rule '" + name + " > 0' violated: " + value);
        }
    }

    private static void requireMultipleOfTick(String name, long valueMs, long tickMs) {
        if (valueMs % tickMs != 0) {
            throw new IllegalArgumentException("rule 'tickMs divides " + name + "' violated: " + valueMs
                    + " % " + tickMs + " = " + valueMs % tickMs + " (the core counts whole ticks)");
        }
    }

    private static RaftConfig ticksConfig(String id, List<String> members, long tickMs, long heartbeatMs,
                                          long electionTimeoutMs, long requestTimeoutMs) {
        int electionTicks = (int) (electionTimeoutMs / tickMs);
        // A snapshot taken on the loop must end well within an election timeout (PROTOCOL.md,
        // Timing): half of it is the budget the core is told about.
        int snapshotBudgetTicks = Math.max(1, electionTicks / 2);
        return RaftConfig.defaults(id, members).withTiming((int) (heartbeatMs / tickMs), electionTicks,
                (int) (requestTimeoutMs / tickMs), snapshotBudgetTicks);
    }

    @Override
    public byte[] secret() {
        return secret.clone();
    }

    /**
     * The identity of the full member list, {@code ID=HOST:PORT} per member: a node started
     * with another list, or with one member at another address, is another cluster, and its
     * data directory and its peer connections are refused.
     */
    public ClusterIdentity clusterIdentity() {
        Map<String, String> addresses = new HashMap<>();
        members.forEach((member, address) -> addresses.put(member, address.getHostString() + ":" + address.getPort()));
        return ClusterIdentity.ofAddresses(addresses);
    }

    /** The core's configuration, timing converted from milliseconds to ticks. */
    public RaftConfig raftConfig() {
        return ticksConfig(id, new ArrayList<>(members.keySet()), tickMs, heartbeatMs, electionTimeoutMs,
                requestTimeoutMs);
    }

    /**
     * The transport's configuration. The frame bound follows TRANSPORT.md section 9 point 3:
     * at least 1.25 x (appendEntriesBytesMax + the largest entry) + 1 KiB, and at least a
     * snapshot chunk + 1 KiB.
     */
    public TransportConfig transportConfig() {
        RaftConfig raft = raftConfig();
        long entryBytes = commandBytesMax + (long) Entry.HEADER_BYTES;
        long forEntries = (raft.appendEntriesBytesMax() + entryBytes) * 5 / 4 + FRAME_HEADROOM_BYTES;
        long forChunks = (long) raft.snapshotChunkBytesMax() + FRAME_HEADROOM_BYTES;
        long frameBytesMax = Math.max(FRAME_BYTES_MAX_DEFAULT, Math.max(forEntries, forChunks));
        if (frameBytesMax > Integer.MAX_VALUE) {
            throw new IllegalArgumentException("commandBytesMax " + commandBytesMax + " needs frames above 2 GiB");
        }
        Map<String, InetSocketAddress> dialed = new HashMap<>(members);
        dialed.putAll(dialVia);
        TransportConfig defaults = TransportConfig.withDefaults(id, dialed, clusterIdentity(), secret);
        return defaults.withOutboundQueue(defaults.outboundQueueMessagesMax(),
                        Math.max(defaults.outboundQueueBytesMax(), frameBytesMax))
                .withFrameBytesMax((int) frameBytesMax);
    }

    @Override
    public boolean equals(Object other) {
        return other instanceof NodeConfig that && id.equals(that.id) && members.equals(that.members)
                && dataDir.equals(that.dataDir) && Arrays.equals(secret, that.secret) && tickMs == that.tickMs
                && heartbeatMs == that.heartbeatMs && electionTimeoutMs == that.electionTimeoutMs
                && requestTimeoutMs == that.requestTimeoutMs
                && snapshotIntervalEntries == that.snapshotIntervalEntries
                && inboxEventsMax == that.inboxEventsMax && pendingRequestsMax == that.pendingRequestsMax
                && commandBytesMax == that.commandBytesMax && snapshotLogBytesMax == that.snapshotLogBytesMax
                && dialVia.equals(that.dialVia);
    }

    @Override
    public int hashCode() {
        return Objects.hash(id, members, dataDir, Arrays.hashCode(secret), tickMs, heartbeatMs,
                electionTimeoutMs, requestTimeoutMs, snapshotIntervalEntries);
    }

    /** Never prints the secret. */
    @Override
    public String toString() {
        return "NodeConfig[id=" + id + ", members=" + members + ", dataDir=" + dataDir + ", tickMs=" + tickMs
                + ", heartbeatMs=" + heartbeatMs + ", electionTimeoutMs=" + electionTimeoutMs
                + ", requestTimeoutMs=" + requestTimeoutMs + ", snapshotIntervalEntries="
                + snapshotIntervalEntries + ", inboxEventsMax=" + inboxEventsMax + ", pendingRequestsMax="
                + pendingRequestsMax + ", commandBytesMax=" + commandBytesMax + ", snapshotLogBytesMax="
                + snapshotLogBytesMax + (dialVia.isEmpty() ? "" : ", dialVia=" + dialVia) + "]";
    }
}

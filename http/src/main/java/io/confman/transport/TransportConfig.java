package io.confman.transport;

import io.confman.raft.ClusterIdentity;
import java.net.InetSocketAddress;
import java.util.Arrays;
import java.util.Map;
import java.util.Objects;

/**
 * Everything the peer transport needs, validated once here so that a bad value ends the
 * process at start-up instead of surfacing as a strange connection failure later.
 *
 * @param selfId                    this node's id; must be a key of {@code members}
 * @param members                   the static member list, this node included: id to the
 *                                  peer-transport address (this node's entry is where it listens)
 * @param cluster                   the cluster identity every peer must present
 * @param secret                    the shared cluster secret; never sent, only proved with HMAC
 * @param frameBytesMax             the largest frame accepted or sent, header included
 * @param outboundQueueMessagesMax  per peer and lane: messages waiting to be written
 * @param outboundQueueBytesMax     per peer and lane: encoded bytes waiting to be written
 * @param handshakeTimeoutMs        a connection not authenticated by then is closed
 * @param deadPeerTimeoutMs         a connection whose peer acknowledges nothing for this long
 *                                  (sent data or keepalive probes) is closed; epoll only
 * @param reconnectBackoffMinMs     first reconnection delay after a failed or lost connection
 * @param reconnectBackoffMaxMs     cap of the exponentially growing reconnection delay
 * @param eventLoopThreads          Netty I/O threads shared by all connections of this node
 */
public record TransportConfig(String selfId, Map<String, InetSocketAddress> members,
                              ClusterIdentity cluster, byte[] secret, int frameBytesMax,
                              int outboundQueueMessagesMax, long outboundQueueBytesMax,
                              long handshakeTimeoutMs, long deadPeerTimeoutMs,
                              long reconnectBackoffMinMs,
                              long reconnectBackoffMaxMs, int eventLoopThreads) {

    /** Shorter secrets are guessable offline from one captured handshake. */
    public static final int SECRET_BYTES_MIN = 16;

    /** Room for the largest handshake frame plus every message header with long ids. */
    public static final int FRAME_BYTES_MIN = 4096;

    public TransportConfig {
        Objects.requireNonNull(selfId, "selfId");
        Objects.requireNonNull(cluster, "cluster");
        Objects.requireNonNull(secret, "secret");
        members = Map.copyOf(Objects.requireNonNull(members, "members"));
        secret = secret.clone();
        if (!members.containsKey(selfId)) {
            throw new IllegalArgumentException("the member list must contain this node's id "
                    + selfId + ": " + members.keySet());
        }
        if (secret.length < SECRET_BYTES_MIN) {
            throw new IllegalArgumentException("the cluster secret must be at least "
                    + SECRET_BYTES_MIN + " bytes, was " + secret.length);
        }
        if (frameBytesMax < FRAME_BYTES_MIN) {
            throw new IllegalArgumentException("frameBytesMax must be at least "
                    + FRAME_BYTES_MIN + ", was " + frameBytesMax);
        }
        if (outboundQueueMessagesMax < 1 || outboundQueueBytesMax < frameBytesMax) {
            throw new IllegalArgumentException("outbound queues must hold at least one message of"
                    + " frameBytesMax: outboundQueueMessagesMax=" + outboundQueueMessagesMax
                    + " outboundQueueBytesMax=" + outboundQueueBytesMax);
        }
        if (handshakeTimeoutMs < 1) {
            throw new IllegalArgumentException("handshakeTimeoutMs must be >= 1, was "
                    + handshakeTimeoutMs);
        }
        if (deadPeerTimeoutMs < 1_000 || deadPeerTimeoutMs > Integer.MAX_VALUE) {
            throw new IllegalArgumentException("deadPeerTimeoutMs must be 1000..2^31-1, since TCP"
                    + " keepalive counts whole seconds: " + deadPeerTimeoutMs);
        }
        if (reconnectBackoffMinMs < 1 || reconnectBackoffMaxMs < reconnectBackoffMinMs) {
            throw new IllegalArgumentException("reconnection backoff must satisfy 1 <= min <= max: "
                    + reconnectBackoffMinMs + " / " + reconnectBackoffMaxMs);
        }
        if (eventLoopThreads < 1) {
            throw new IllegalArgumentException("eventLoopThreads must be >= 1, was "
                    + eventLoopThreads);
        }
    }

    /** A configuration with the defaults a three-to-five-node config store needs. */
    public static TransportConfig withDefaults(String selfId, Map<String, InetSocketAddress> members,
                                               ClusterIdentity cluster, byte[] secret) {
        return new TransportConfig(selfId, members, cluster, secret,
                4 * 1024 * 1024, 4096, 64L * 1024 * 1024, 5_000, 5_000, 50, 2_000, 1);
    }

    public TransportConfig withFrameBytesMax(int value) {
        return new TransportConfig(selfId, members, cluster, secret, value,
                outboundQueueMessagesMax, outboundQueueBytesMax, handshakeTimeoutMs,
                deadPeerTimeoutMs, reconnectBackoffMinMs, reconnectBackoffMaxMs, eventLoopThreads);
    }

    public TransportConfig withOutboundQueue(int messagesMax, long bytesMax) {
        return new TransportConfig(selfId, members, cluster, secret, frameBytesMax,
                messagesMax, bytesMax, handshakeTimeoutMs,
                deadPeerTimeoutMs, reconnectBackoffMinMs, reconnectBackoffMaxMs, eventLoopThreads);
    }

    public TransportConfig withHandshakeTimeoutMs(long value) {
        return new TransportConfig(selfId, members, cluster, secret, frameBytesMax,
                outboundQueueMessagesMax, outboundQueueBytesMax, value, deadPeerTimeoutMs,
                reconnectBackoffMinMs, reconnectBackoffMaxMs, eventLoopThreads);
    }

    public TransportConfig withReconnectBackoffMs(long minMs, long maxMs) {
        return new TransportConfig(selfId, members, cluster, secret, frameBytesMax,
                outboundQueueMessagesMax, outboundQueueBytesMax, handshakeTimeoutMs,
                deadPeerTimeoutMs, minMs, maxMs, eventLoopThreads);
    }

    public TransportConfig withEventLoopThreads(int value) {
        return new TransportConfig(selfId, members, cluster, secret, frameBytesMax,
                outboundQueueMessagesMax, outboundQueueBytesMax, handshakeTimeoutMs,
                deadPeerTimeoutMs, reconnectBackoffMinMs, reconnectBackoffMaxMs, value);
    }

    /** A copy, so that no caller can change the secret under a running transport. */
    @Override
    public byte[] secret() {
        return secret.clone();
    }

    @Override
    public boolean equals(Object other) {
        return other instanceof TransportConfig c && selfId.equals(c.selfId)
                && members.equals(c.members) && cluster.equals(c.cluster)
                && Arrays.equals(secret, c.secret) && frameBytesMax == c.frameBytesMax
                && outboundQueueMessagesMax == c.outboundQueueMessagesMax
                && outboundQueueBytesMax == c.outboundQueueBytesMax
                && handshakeTimeoutMs == c.handshakeTimeoutMs
                && deadPeerTimeoutMs == c.deadPeerTimeoutMs
                && reconnectBackoffMinMs == c.reconnectBackoffMinMs
                && reconnectBackoffMaxMs == c.reconnectBackoffMaxMs
                && eventLoopThreads == c.eventLoopThreads;
    }

    @Override
    public int hashCode() {
        return Objects.hash(selfId, members, cluster, frameBytesMax) * 31 + Arrays.hashCode(secret);
    }

    /** Never prints the secret, so the configuration can be logged. */
    @Override
    public String toString() {
        return "TransportConfig[selfId=" + selfId + ", members=" + members + ", cluster=" + cluster
                + ", frameBytesMax=" + frameBytesMax + ", outboundQueueMessagesMax="
                + outboundQueueMessagesMax + ", outboundQueueBytesMax=" + outboundQueueBytesMax
                + ", handshakeTimeoutMs=" + handshakeTimeoutMs + ", deadPeerTimeoutMs="
                + deadPeerTimeoutMs + ", reconnectBackoffMs="
                + reconnectBackoffMinMs + ".." + reconnectBackoffMaxMs + ", eventLoopThreads="
                + eventLoopThreads + "]";
    }
}

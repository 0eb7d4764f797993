package io.confman.transport;

import io.confman.raft.Message;
import io.netty.bootstrap.Bootstrap;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.IoHandlerFactory;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.ServerChannel;
import io.netty.channel.WriteBufferWaterMark;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.epoll.EpollChannelOption;
import io.netty.channel.group.ChannelGroup;
import io.netty.channel.group.DefaultChannelGroup;
import io.netty.util.concurrent.GlobalEventExecutor;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.epoll.EpollServerSocketChannel;
import io.netty.channel.epoll.EpollSocketChannel;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.channel.socket.nio.NioSocketChannel;
import java.lang.System.Logger.Level;
import java.net.InetSocketAddress;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.Collections;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/**
 * The peer transport of one node (TRANSPORT.md): it listens for its peers, dials each of
 * them on three lanes ({@link Lane}), authenticates every connection with the cluster secret,
 * and moves Raft {@link Message}s and {@link NodeMessage}s between nodes. It never touches
 * Raft state: outbound messages come in through {@link #send} and {@link #flush}; inbound
 * messages go to the callbacks given to {@link #start}, on a Netty thread.
 *
 * <p><b>Threads.</b> {@link #send(Message)}, {@link #send(NodeMessage)}, {@link #flush} and
 * {@link #stats} may be called from any thread, concurrently (TRANSPORT.md section 8): the map
 * of links is built in the constructor and never changed, and is reached through a final
 * field, so every thread that holds the transport sees it whole; each link's queue is
 * lock-free with atomic bounds; a flush only hands work to the link's event loop. Messages
 * one thread queues for one peer and lane are written in the order it queued them; those of
 * two threads for the same peer and lane interleave in no promised order. The node runtime
 * still sends Raft messages from its loop only, since the core's order must be kept.
 */
public final class PeerTransport implements AutoCloseable {

    private static final System.Logger LOG = System.getLogger(PeerTransport.class.getName());
    /** A link stops writing above the high mark and resumes below the low one. */
    static final int WRITE_BUFFER_LOW_BYTES = 256 * 1024;
    static final int WRITE_BUFFER_HIGH_BYTES = 1024 * 1024;
    static final int KEEPALIVE_INTERVAL_SECONDS = 1;
    static final int KEEPALIVE_PROBES_MAX = 3;
    /** Time {@link #close} gives in-flight writes and the event loops to finish. */
    static final long CLOSE_TIMEOUT_MS = 5_000;

    private final TransportConfig config;
    private final TransportCounters counters = new TransportCounters();
    /** Peer id to its links, one per lane; complete when the constructor returns, never changed after. */
    private final Map<String, Map<Lane, PeerLink>> links;
    private final SecureRandom random = new SecureRandom();
    private final byte[] secret;
    private final EventLoopGroup group;
    private final boolean epoll;
    /**
     * Every connection, accepted or dialed, so that close can end them all: shutting down the
     * event loops alone leaves accepted sockets open, and peers would never see us go.
     */
    private final ChannelGroup channels = new DefaultChannelGroup("peer-connections",
            GlobalEventExecutor.INSTANCE);
    private volatile boolean closing;
    private Channel serverChannel;
    /** This node's client URL as its HELLO announces it; empty when not given. */
    private final String ownClientUrl;
    /** Each peer's client URL as its last HELLO announced it (LIVEVIEW.md); written by Netty threads. */
    private final Map<String, String> peerClientUrls = new java.util.concurrent.ConcurrentHashMap<>();

    private PeerTransport(TransportConfig config, String ownClientUrl) {
        this.config = config;
        this.ownClientUrl = ownClientUrl;
        this.secret = config.secret();
        this.epoll = Epoll.isAvailable();
        IoHandlerFactory io = epoll ? EpollIoHandler.newFactory() : NioIoHandler.newFactory();
        this.group = new MultiThreadIoEventLoopGroup(config.eventLoopThreads(), io);
        this.links = newLinks();
    }

    /**
     * A link per peer and lane, not started. Built here rather than when dialing starts, so
     * that the final field publishes the whole map to any thread that later sends (JLS 17.5).
     */
    private Map<String, Map<Lane, PeerLink>> newLinks() {
        Map<String, Map<Lane, PeerLink>> byPeer = new HashMap<>();
        for (Map.Entry<String, InetSocketAddress> member : config.members().entrySet()) {
            if (member.getKey().equals(config.selfId())) {
                continue;
            }
            Map<Lane, PeerLink> lanes = new EnumMap<>(Lane.class);
            for (Lane lane : Lane.values()) {
                lanes.put(lane, new PeerLink(member.getKey(), lane, member.getValue(), group.next(),
                        new OutboundQueue(config.outboundQueueMessagesMax(), config.outboundQueueBytesMax()),
                        counters, config.reconnectBackoffMinMs(), config.reconnectBackoffMaxMs()));
            }
            byPeer.put(member.getKey(), Collections.unmodifiableMap(lanes));
        }
        return Map.copyOf(byPeer);
    }

    /**
     * Binds this node's listening address, starts dialing every peer and returns once the
     * listener is bound. {@code inbound} runs on a Netty thread for each message received
     * from an authenticated peer; it must not block (offer to a bounded inbox).
     */
    public static PeerTransport start(TransportConfig config, Consumer<Message> inbound) {
        return start(config, inbound, null);
    }

    /**
     * As {@link #start(TransportConfig, Consumer)}, and {@code nodeInbound} runs, on a Netty
     * thread, for each {@link NodeMessage} received (TRANSPORT.md sections 4.4 and 4.5); with a null
     * {@code nodeInbound} a node message is an {@code UNEXPECTED_FRAME}.
     */
    public static PeerTransport start(TransportConfig config, Consumer<Message> inbound,
                                      Consumer<NodeMessage> nodeInbound) {
        return start(config, inbound, nodeInbound, null);
    }

    /**
     * As {@link #start(TransportConfig, Consumer, Consumer)}, announcing {@code clientUrl}
     * (where this node serves its client API, or null) to every peer in the handshake.
     */
    public static PeerTransport start(TransportConfig config, Consumer<Message> inbound,
                                      Consumer<NodeMessage> nodeInbound, String clientUrl) {
        checkIdsFitOnWire(config);
        String announced = clientUrl == null || !acceptableClientUrl(clientUrl) ? "" : clientUrl;
        PeerTransport transport = new PeerTransport(config, announced);
        try {
            transport.bind(inbound, nodeInbound);
        } catch (RuntimeException e) {
            transport.close();
            throw e;
        }
        transport.dialPeers();
        return transport;
    }

    /** An http(s) URL short enough for the HELLO frame; anything else is not announced or kept. */
    static boolean acceptableClientUrl(String url) {
        return (url.startsWith("http://") || url.startsWith("https://"))
                && io.netty.buffer.ByteBufUtil.utf8Bytes(url) <= Handshake.CLIENT_URL_BYTES_MAX
                && url.chars().noneMatch(c -> c <= ' ' || c == '"' || c == '<' || c == '>' || c == '\\');
    }

    /** Each peer's client URL as announced in its handshake; a peer not yet met is absent. */
    public Map<String, String> peerClientUrls() {
        return Map.copyOf(peerClientUrls);
    }

    private void notePeerClientUrl(String peer, String url) {
        if (acceptableClientUrl(url)) {
            peerClientUrls.put(peer, url);
        } else {
            peerClientUrls.remove(peer);
        }
    }

    private static void checkIdsFitOnWire(TransportConfig config) {
        for (String id : config.members().keySet()) {
            if (!Handshake.idFitsOnWire(id)) {
                throw new IllegalArgumentException("member id longer than "
                        + Handshake.NODE_ID_BYTES_MAX + " UTF-8 bytes: " + id);
            }
        }
    }

    private void bind(Consumer<Message> inbound, Consumer<NodeMessage> nodeInbound) {
        InetSocketAddress address = config.members().get(config.selfId());
        Class<? extends ServerChannel> channelClass =
                epoll ? EpollServerSocketChannel.class : NioServerSocketChannel.class;
        // SO_REUSEADDR lets a restarted node bind its port while old connections linger
        // in TIME_WAIT; peers must find it at the address in the member list.
        ServerBootstrap server = new ServerBootstrap().group(group).channel(channelClass)
                .option(ChannelOption.SO_REUSEADDR, true)
                .childOption(ChannelOption.TCP_NODELAY, true)
                .childHandler(new ChannelInitializer<SocketChannel>() {
                    @Override
                    protected void initChannel(SocketChannel channel) {
                        acceptorPipeline(channel, inbound, nodeInbound);
                    }
                });
        serverChannel = server.bind(address).syncUninterruptibly().channel();
        LOG.log(Level.INFO, () -> "peer transport listening: self=" + config.selfId()
                + " address=" + serverChannel.localAddress() + " io=" + (epoll ? "epoll" : "nio"));
    }

    private void acceptorPipeline(SocketChannel channel, Consumer<Message> inbound,
                                  Consumer<NodeMessage> nodeInbound) {
        if (!track(channel)) {
            return;
        }
        detectDeadPeer(channel);
        Set<String> peers = new HashSet<>(config.members().keySet());
        peers.remove(config.selfId());
        InboundMessageHandler messages = new InboundMessageHandler(true, config.selfId(),
                config.cluster(), inbound, nodeInbound, counters);
        channel.pipeline().addLast("frames", new FrameDecoder(Handshake.HANDSHAKE_FRAME_BYTES_MAX));
        channel.pipeline().addLast("handshake", handshake(HandshakeHandler.Role.ACCEPTOR, peers,
                messages));
        channel.pipeline().addLast("guard", new ConnectionGuard(counters, "acceptor",
                () -> closing));
    }

    /**
     * Adds a new connection to the set close() ends; false, with the connection closed, when
     * close() has already begun, so that no connection registered during it survives it.
     */
    private boolean track(SocketChannel channel) {
        channels.add(channel);
        if (closing) {
            channel.close();
            return false;
        }
        return true;
    }

    private HandshakeHandler handshake(HandshakeHandler.Role role, Set<String> peers,
                                       InboundMessageHandler afterwards) {
        return new HandshakeHandler(role, config.selfId(), peers, config.cluster().value(),
                secret, random, config.handshakeTimeoutMs(), config.frameBytesMax(), ownClientUrl,
                this::notePeerClientUrl, afterwards);
    }

    private void dialPeers() {
        Bootstrap template = new Bootstrap()
                .channel(epoll ? EpollSocketChannel.class : NioSocketChannel.class)
                .option(ChannelOption.TCP_NODELAY, true)
                .option(ChannelOption.SO_KEEPALIVE, true)
                .option(ChannelOption.CONNECT_TIMEOUT_MILLIS,
                        (int) Math.min(Integer.MAX_VALUE, config.handshakeTimeoutMs()))
                .option(ChannelOption.WRITE_BUFFER_WATER_MARK,
                        new WriteBufferWaterMark(WRITE_BUFFER_LOW_BYTES, WRITE_BUFFER_HIGH_BYTES));
        for (Map<Lane, PeerLink> lanes : links.values()) {
            for (PeerLink link : lanes.values()) {
                // The connection lives on the link's own event loop, so the link's state is
                // only ever touched by that one thread.
                link.start(template.clone().group(link.loop).handler(dialerInitializer(link)));
            }
        }
    }

    private ChannelInitializer<SocketChannel> dialerInitializer(PeerLink link) {
        return new ChannelInitializer<>() {
            @Override
            protected void initChannel(SocketChannel channel) {
                if (!track(channel)) {
                    return;
                }
                detectDeadPeer(channel);
                InboundMessageHandler refuseAll = new InboundMessageHandler(false,
                        config.selfId(), config.cluster(), message -> {
                        }, null, counters);
                channel.pipeline().addLast("frames",
                        new FrameDecoder(Handshake.HANDSHAKE_FRAME_BYTES_MAX));
                channel.pipeline().addLast("handshake", handshake(HandshakeHandler.Role.DIALER,
                        Set.of(link.peerId), refuseAll));
                channel.pipeline().addLast("link", link.handler());
                channel.pipeline().addLast("guard", new ConnectionGuard(counters,
                        "dialer-" + link.lane.name().toLowerCase(), () -> closing));
            }
        };
    }

    /**
     * A peer that vanishes without FIN or RST (power loss, partition) would otherwise hold a
     * connection "up" until TCP gives up retransmitting, many minutes later; meanwhile the
     * link writes into the void and, once the partition heals, waits out a long
     * retransmission backoff. TCP_USER_TIMEOUT closes a connection whose sent data stays
     * unacknowledged for deadPeerTimeoutMs, and short keepalives cover connections that send
     * nothing (all accepted ones, and idle links), so the link redials within the bound.
     * NIO has no portable equivalent; there only the OS defaults apply.
     */
    private void detectDeadPeer(SocketChannel channel) {
        if (!epoll) {
            return;
        }
        int timeoutMs = (int) config.deadPeerTimeoutMs();
        int keepAliveIdleSeconds = Math.max(1, timeoutMs / 2_000);
        setOption(channel, ChannelOption.SO_KEEPALIVE, true);
        setOption(channel, EpollChannelOption.TCP_USER_TIMEOUT, timeoutMs);
        setOption(channel, EpollChannelOption.TCP_KEEPIDLE, keepAliveIdleSeconds);
        setOption(channel, EpollChannelOption.TCP_KEEPINTVL, KEEPALIVE_INTERVAL_SECONDS);
        setOption(channel, EpollChannelOption.TCP_KEEPCNT, KEEPALIVE_PROBES_MAX);
    }

    private static <T> void setOption(SocketChannel channel, ChannelOption<T> option, T value) {
        if (!channel.config().setOption(option, value)) {
            throw new IllegalStateException("socket option " + option + " not supported by "
                    + channel.getClass().getSimpleName());
        }
    }

    /**
     * Queues {@code message} for its peer on the lane {@link Lane#of(Message)} picks, without
     * blocking. Safe from any thread; the node runtime calls it from its loop, which keeps the
     * core's order. Returns false when the peer's queue is full and the message was dropped (and
     * counted). A message that could never fit in a frame is a configuration error and throws.
     */
    public boolean send(Message message) {
        Map<Lane, PeerLink> lanes = links.get(message.to());
        if (lanes == null || !message.from().equals(config.selfId())) {
            throw new IllegalArgumentException("not a message from " + config.selfId()
                    + " to one of its peers: " + message);
        }
        long frameBytes = MessageCodec.frameBytes(message);
        if (frameBytes > config.frameBytesMax()) {
            throw new IllegalArgumentException("a " + message.getClass().getSimpleName() + " of "
                    + frameBytes + " bytes exceeds frameBytesMax " + config.frameBytesMax()
                    + "; the Raft message size limits must stay below it");
        }
        return lanes.get(Lane.of(message)).offer(message, frameBytes);
    }

    /**
     * Queues a node message (TRANSPORT.md sections 4.4 and 4.5) for its peer on the lane
     * {@link Lane#of(NodeMessage)} picks ({@link Lane#BLOB} for a {@link NodeMessage.BlobChunk},
     * {@link Lane#CONTROL} for the others), without blocking. Safe from any thread, concurrently
     * with the node loop (see the class comment); the message's arrays must not change after
     * the call, and the caller follows its sends with a {@link #flush}. Returns false when the
     * queue is full and the message was dropped (and counted): the sender retries after its own
     * timeout. A message larger than {@code frameBytesMax} throws {@link IllegalArgumentException};
     * a chunk of at most {@link #blobChunkDataBytesMax()} bytes of data never does.
     */
    public boolean send(NodeMessage message) {
        Map<Lane, PeerLink> lanes = links.get(message.to());
        if (lanes == null || !message.from().equals(config.selfId())) {
            throw new IllegalArgumentException("not a message from " + config.selfId()
                    + " to one of its peers: " + message);
        }
        long frameBytes = NodeMessageCodec.frameBytes(message);
        if (frameBytes > config.frameBytesMax()) {
            throw new IllegalArgumentException("a " + message.getClass().getSimpleName() + " of "
                    + frameBytes + " bytes exceeds frameBytesMax " + config.frameBytesMax());
        }
        return lanes.get(Lane.of(message)).offer(message, frameBytes);
    }

    /** {@link NodeMessageCodec#blobChunkDataBytesMax} for this transport's {@code frameBytesMax}. */
    public int blobChunkDataBytesMax() {
        return NodeMessageCodec.blobChunkDataBytesMax(config.frameBytesMax());
    }

    /**
     * Writes everything queued since the last flush, one socket flush per link. Safe from any
     * thread: it only asks each link's event loop to drain, and a call while a drain is already
     * scheduled costs nothing.
     */
    public void flush() {
        for (Map<Lane, PeerLink> lanes : links.values()) {
            for (PeerLink link : lanes.values()) {
                link.requestDrain();
            }
        }
    }

    public TransportStats stats() {
        return counters.snapshot();
    }

    /** Where this node listens; with port 0 in the member list, the port actually bound. */
    public InetSocketAddress localAddress() {
        return (InetSocketAddress) serverChannel.localAddress();
    }

    /** Whether the event loops use native epoll rather than NIO. */
    public boolean usesEpoll() {
        return epoll;
    }

    /** Closes every connection and the event loops, and waits for them to terminate. */
    @Override
    public void close() {
        if (closing) {
            return;
        }
        closing = true;
        List<PeerLink> all = new ArrayList<>();
        links.values().forEach(lanes -> all.addAll(lanes.values()));
        all.forEach(PeerLink::close);
        if (serverChannel != null) {
            serverChannel.close().syncUninterruptibly();
        }
        channels.close().awaitUninterruptibly(CLOSE_TIMEOUT_MS);
        if (!group.shutdownGracefully(0, CLOSE_TIMEOUT_MS, TimeUnit.MILLISECONDS)
                .awaitUninterruptibly(CLOSE_TIMEOUT_MS * 2)) {
            throw new IllegalStateException("peer transport event loops did not terminate within "
                    + CLOSE_TIMEOUT_MS * 2 + " ms");
        }
    }
}

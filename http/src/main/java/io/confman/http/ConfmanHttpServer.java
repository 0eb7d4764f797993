package io.confman.http;

import io.confman.node.ConfmanNode;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.IoHandlerFactory;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.ServerChannel;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.epoll.EpollServerSocketChannel;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.handler.codec.http.HttpDecoderConfig;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.timeout.IdleStateHandler;
import java.net.InetSocketAddress;
import java.util.Objects;
import java.util.concurrent.TimeUnit;

/**
 * The client HTTP front of one node (CONTRACT.md, client API and operations) on Netty.
 * Handlers never block and never touch Raft or store state: they call the node's API and
 * answer when its future completes. See HTTP.md.
 */
public final class ConfmanHttpServer implements AutoCloseable {

    public static final String HEADER_NODE = "Confman-Node";
    public static final String HEADER_TERM = "Confman-Term";
    public static final String HEADER_LEADER = "Confman-Leader";
    public static final String HEADER_REVISION = "Confman-Revision";
    /** Event loop threads: the handlers only parse, format and hand off, so a few suffice. */
    static final int EVENT_LOOP_THREADS = 2;
    /**
     * The HTTP safety net fires this long after the node's own request timeout, at least, so
     * that the node's answer (which knows more) normally wins.
     */
    static final long ANSWER_MARGIN_MS_MIN = 500;

    private final HttpConfig config;
    private final EventLoopGroup group;
    private final Channel serverChannel;
    private final HttpMetrics metrics;
    private boolean closed;

    private ConfmanHttpServer(HttpConfig config, EventLoopGroup group, Channel serverChannel, HttpMetrics metrics) {
        this.config = config;
        this.group = group;
        this.serverChannel = serverChannel;
        this.metrics = metrics;
    }

    /** Binds {@code config.bind()} and serves {@code node}; throws when the address cannot be bound. */
    public static ConfmanHttpServer start(ConfmanNode node, HttpConfig config) {
        Objects.requireNonNull(node, "node");
        Objects.requireNonNull(config, "config");
        long answerWithinMs = config.requestTimeoutMs()
                + Math.max(ANSWER_MARGIN_MS_MIN, config.requestTimeoutMs() / 10);
        HttpMetrics metrics = new HttpMetrics(node);
        BlobApi blobs = new BlobApi(node, answerWithinMs);
        Router router = new Router(new KvApi(node, config, blobs, answerWithinMs), blobs, new OpsApi(node, metrics),
                new AdminApi(node, config.adminToken(), answerWithinMs), new LiveApi(node));
        ConnectionLimiter limiter = new ConnectionLimiter(config.connectionsMax(), node);
        boolean epoll = Epoll.isAvailable();
        IoHandlerFactory io = epoll ? EpollIoHandler.newFactory() : NioIoHandler.newFactory();
        EventLoopGroup group = new MultiThreadIoEventLoopGroup(EVENT_LOOP_THREADS, io);
        Class<? extends ServerChannel> channelClass =
                epoll ? EpollServerSocketChannel.class : NioServerSocketChannel.class;
        try {
            ServerBootstrap bootstrap = new ServerBootstrap().group(group).channel(channelClass)
                    .option(ChannelOption.SO_REUSEADDR, true)
                    .childOption(ChannelOption.TCP_NODELAY, true)
                    .childHandler(new ChannelInitializer<SocketChannel>() {
                        @Override
                        protected void initChannel(SocketChannel channel) {
                            channel.pipeline()
                                    .addLast("codec", new HttpServerCodec(decoderConfig(config)))
                                    .addLast("limiter", limiter)
                                    .addLast("idle", new IdleStateHandler(0, 0, config.idleTimeoutMs(),
                                            TimeUnit.MILLISECONDS))
                                    .addLast("confman", new HttpConnection(node, config, router, metrics));
                        }
                    });
            Channel bound = bootstrap.bind(config.bind()).syncUninterruptibly().channel();
            return new ConfmanHttpServer(config, group, bound, metrics);
        } catch (RuntimeException e) {
            group.shutdownGracefully(0, 0, TimeUnit.MILLISECONDS).syncUninterruptibly();
            throw e;
        }
    }

    /**
     * The request line and the headers share {@code headerBytesMax}; bodies arrive in chunks
     * of at most 8 KiB, so the connection never holds more than its body limit.
     */
    private static HttpDecoderConfig decoderConfig(HttpConfig config) {
        return new HttpDecoderConfig()
                .setMaxInitialLineLength(config.headerBytesMax())
                .setMaxHeaderSize(config.headerBytesMax())
                .setMaxChunkSize(8 * 1024);
    }

    /** The address actually bound (port 0 in the config picks a free one). */
    public InetSocketAddress address() {
        return (InetSocketAddress) serverChannel.localAddress();
    }

    /** Stops accepting, closes every connection. Idempotent. Does not close the node. */
    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        serverChannel.close().syncUninterruptibly();
        group.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
    }

    @Override
    public String toString() {
        return "ConfmanHttpServer[" + address() + ", " + config + "]";
    }
}

package io.confman.transport;

import io.confman.raft.Message;
import io.netty.bootstrap.Bootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.EventLoop;
import java.lang.System.Logger.Level;
import java.net.InetSocketAddress;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * This node's outbound connection to one peer on one {@link Lane}: it dials, redials with
 * exponential backoff and jitter, and drains its {@link OutboundQueue} into the connection
 * once authenticated. Everything but {@link #offer}, {@link #requestDrain} and {@link #close},
 * which any thread may call, runs on the link's own event loop, so the connection state needs
 * no locks.
 */
final class PeerLink {

    private static final System.Logger LOG = System.getLogger(PeerLink.class.getName());
    /** Doublings before the backoff reaches any sane cap; keeps the shift from overflowing. */
    private static final int BACKOFF_DOUBLINGS_MAX = 20;

    final String peerId;
    final Lane lane;
    private final InetSocketAddress address;
    final EventLoop loop;
    private final OutboundQueue queue;
    private final TransportCounters counters;
    private final long backoffMinMs;
    private final long backoffMaxMs;
    private final AtomicBoolean drainScheduled = new AtomicBoolean();
    private Bootstrap bootstrap;
    private volatile boolean closed;
    /** The authenticated connection, or null while there is none. Touched on {@link #loop}. */
    private Channel ready;
    private int failedAttempts;

    PeerLink(String peerId, Lane lane, InetSocketAddress address, EventLoop loop,
             OutboundQueue queue, TransportCounters counters, long backoffMinMs,
             long backoffMaxMs) {
        this.peerId = peerId;
        this.lane = lane;
        this.address = address;
        this.loop = loop;
        this.queue = queue;
        this.counters = counters;
        this.backoffMinMs = backoffMinMs;
        this.backoffMaxMs = backoffMaxMs;
    }

    /** Starts dialing; {@code configured} already has this link's loop and pipeline. */
    void start(Bootstrap configured) {
        bootstrap = configured;
        loop.execute(this::connect);
    }

    /** From any thread: queue a message; false (and counted) when the queue is full. */
    boolean offer(Object message, long frameBytes) {
        if (queue.offer(message, frameBytes)) {
            return true;
        }
        counters.messagesDropped.increment();
        return false;
    }

    /**
     * From any thread: have the event loop write what is queued, then flush once. A request
     * made while a drain is scheduled but not started is covered by that drain, which clears
     * the flag before it polls. After {@link #close} it does nothing: nothing is written then.
     */
    void requestDrain() {
        if (closed || queue.isEmpty() || !drainScheduled.compareAndSet(false, true)) {
            return;
        }
        try {
            loop.execute(() -> {
                drainScheduled.set(false);
                drain();
            });
        } catch (RejectedExecutionException closing) {
            // The transport closed between the check and here and its event loop is gone;
            // the queued messages are lost with the transport, as after close.
            drainScheduled.set(false);
        }
    }

    /** Closes the connection and stops redialing; queued messages are dropped. */
    void close() {
        closed = true;
        loop.execute(() -> {
            if (ready != null) {
                ready.close();
            }
        });
    }

    private void connect() {
        if (closed) {
            return;
        }
        ChannelFuture attempt = bootstrap.connect(address);
        attempt.addListener(f -> {
            if (f.isSuccess()) {
                attempt.channel().closeFuture().addListener(c -> onClosed(attempt.channel()));
            } else {
                counters.connectFailures.increment();
                LOG.log(Level.DEBUG, () -> "dial " + peerId + " " + lane + " at " + address
                        + " failed: " + f.cause());
                scheduleReconnect();
            }
        });
    }

    private void onAuthenticated(Channel channel) {
        ready = channel;
        failedAttempts = 0;
        counters.linksUp.increment();
        LOG.log(Level.INFO, () -> "peer link up: peer=" + peerId + " lane=" + lane
                + " remote=" + address);
        drain();
    }

    private void onClosed(Channel channel) {
        if (ready == channel) {
            ready = null;
            counters.linksUp.decrement();
            LOG.log(Level.INFO, () -> "peer link down: peer=" + peerId + " lane=" + lane);
        }
        scheduleReconnect();
    }

    private void scheduleReconnect() {
        if (closed) {
            return;
        }
        long delayMs = backoffMs(failedAttempts, backoffMinMs, backoffMaxMs);
        failedAttempts = Math.min(failedAttempts + 1, BACKOFF_DOUBLINGS_MAX);
        loop.schedule(this::connect, delayMs, TimeUnit.MILLISECONDS);
    }

    /**
     * The delay before redial number {@code attempt + 1}: the window doubles from min to max,
     * and the delay is drawn from its upper half, so that peers which lost each other at the
     * same moment do not redial in lockstep, yet no delay falls below half the window.
     */
    static long backoffMs(int attempt, long minMs, long maxMs) {
        int doublings = Math.min(attempt, BACKOFF_DOUBLINGS_MAX);
        // Compare before shifting, so a large minimum cannot overflow into a negative window.
        long window = minMs > (maxMs >> doublings) ? maxMs : minMs << doublings;
        long half = window / 2;
        return half + ThreadLocalRandom.current().nextLong(window - half + 1);
    }

    /** Writes queued messages while the connection accepts them, then flushes once. */
    private void drain() {
        Channel channel = ready;
        if (channel == null || !channel.isActive()) {
            return;
        }
        boolean wrote = false;
        while (channel.isWritable()) {
            OutboundQueue.Queued next = queue.poll();
            if (next == null) {
                break;
            }
            channel.write(next.message() instanceof Message raft
                            ? MessageCodec.encode(channel.alloc(), raft)
                            : NodeMessageCodec.encode(channel.alloc(), (NodeMessage) next.message()),
                    channel.voidPromise());
            counters.messagesSent.increment();
            wrote = true;
        }
        if (wrote) {
            channel.flush();
        }
    }

    /** Sits in the dialer's pipeline and tells the link about the connection's progress. */
    ChannelInboundHandlerAdapter handler() {
        return new ChannelInboundHandlerAdapter() {
            @Override
            public void userEventTriggered(ChannelHandlerContext ctx, Object event)
                    throws Exception {
                if (event instanceof Authenticated) {
                    onAuthenticated(ctx.channel());
                }
                super.userEventTriggered(ctx, event);
            }

            @Override
            public void channelWritabilityChanged(ChannelHandlerContext ctx) throws Exception {
                // The socket drained below the low-water mark: continue where drain stopped.
                if (ctx.channel().isWritable()) {
                    drain();
                }
                super.channelWritabilityChanged(ctx);
            }
        };
    }
}

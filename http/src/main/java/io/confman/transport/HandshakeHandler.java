package io.confman.transport;

import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.util.concurrent.ScheduledFuture;
import java.security.SecureRandom;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.function.BiConsumer;

/**
 * Runs the handshake of TRANSPORT.md section 3 on one connection, as dialer or acceptor:
 *
 * <pre>
 *   dialer                                acceptor
 *   HELLO(version, dialer nonce, id,  ->  checks version, cluster and id; says nothing
 *         cluster, client URL)              before this
 *                                     <-  HELLO(version, acceptor nonce, id, cluster, client URL)
 *   checks id is the peer it dialed
 *   PROOF(dialer label)               ->  checks the proof
 *                                     <-  PROOF(acceptor label)
 *   checks the proof
 * </pre>
 *
 * The acceptor proves itself only after the dialer has, so a stranger learns nothing but a
 * random nonce and the acceptor's public client URL. Both proofs cover both client URLs. Until both proofs checked out, any other frame is a protocol error. On
 * success the handler raises the frame limit, puts the message handler in its place and
 * fires {@link Authenticated}.
 */
final class HandshakeHandler extends ChannelInboundHandlerAdapter {

    enum Role { DIALER, ACCEPTOR }

    private enum State { AWAIT_HELLO, AWAIT_PROOF }

    private final Role role;
    private final String selfId;
    /** For a dialer, exactly the peer it dialed; for an acceptor, every other member. */
    private final Set<String> acceptablePeerIds;
    private final String cluster;
    private final byte[] secret;
    private final byte[] ownNonce;
    private final long handshakeTimeoutMs;
    private final int frameBytesMax;
    private final InboundMessageHandler afterwards;
    /** This node's client URL, announced in its HELLO (empty when unknown). */
    private final String ownClientUrl;
    /** Told the peer's id and announced client URL once the peer proved the secret. */
    private final BiConsumer<String, String> peerClientUrl;
    private State state = State.AWAIT_HELLO;
    private Handshake.Hello peerHello;
    private ScheduledFuture<?> timeout;

    HandshakeHandler(Role role, String selfId, Set<String> acceptablePeerIds, String cluster,
                     byte[] secret, SecureRandom random, long handshakeTimeoutMs,
                     int frameBytesMax, String ownClientUrl, BiConsumer<String, String> peerClientUrl,
                     InboundMessageHandler afterwards) {
        this.role = role;
        this.selfId = selfId;
        this.acceptablePeerIds = Set.copyOf(acceptablePeerIds);
        this.cluster = cluster;
        this.secret = secret;
        this.ownNonce = Handshake.newNonce(random);
        this.handshakeTimeoutMs = handshakeTimeoutMs;
        this.frameBytesMax = frameBytesMax;
        this.afterwards = afterwards;
        this.ownClientUrl = ownClientUrl;
        this.peerClientUrl = peerClientUrl;
    }

    @Override
    public void channelActive(ChannelHandlerContext ctx) throws Exception {
        timeout = ctx.executor().schedule(() -> ctx.fireExceptionCaught(new FrameException(
                CloseReason.HANDSHAKE_TIMEOUT, "no handshake within " + handshakeTimeoutMs + " ms")),
                handshakeTimeoutMs, TimeUnit.MILLISECONDS);
        if (role == Role.DIALER) {
            ctx.writeAndFlush(Handshake.encodeHello(ctx.alloc(), ownHello()));
        }
        super.channelActive(ctx);
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) throws Exception {
        cancelTimeout();
        super.channelInactive(ctx);
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        Frame frame = (Frame) msg;
        try {
            if (state == State.AWAIT_HELLO && frame.type() == FrameType.HELLO) {
                onHello(ctx, Handshake.decodeHello(frame.body()));
            } else if (state == State.AWAIT_PROOF && frame.type() == FrameType.PROOF) {
                onProof(ctx, Handshake.decodeProof(frame.body()));
            } else {
                throw new FrameException(CloseReason.UNEXPECTED_FRAME, frame.type()
                        + " frame before the handshake finished (waiting for "
                        + (state == State.AWAIT_HELLO ? "HELLO" : "PROOF") + ")");
            }
        } finally {
            frame.body().release();
        }
    }

    private void onHello(ChannelHandlerContext ctx, Handshake.Hello hello) {
        checkHello(hello);
        peerHello = hello;
        state = State.AWAIT_PROOF;
        if (role == Role.ACCEPTOR) {
            ctx.writeAndFlush(Handshake.encodeHello(ctx.alloc(), ownHello()));
        } else {
            ctx.writeAndFlush(Handshake.encodeProof(ctx.alloc(), proofOf(Role.DIALER)));
        }
    }

    private void checkHello(Handshake.Hello hello) {
        if (hello.protocolVersion() != Handshake.PROTOCOL_VERSION) {
            throw authFailed("protocol version " + hello.protocolVersion() + ", expected "
                    + Handshake.PROTOCOL_VERSION);
        }
        if (!cluster.equals(hello.cluster())) {
            throw authFailed("peer " + hello.nodeId() + " is in cluster " + hello.cluster()
                    + ", not ours");
        }
        if (!acceptablePeerIds.contains(hello.nodeId())) {
            throw authFailed("peer claims id " + hello.nodeId() + ", expected one of "
                    + acceptablePeerIds);
        }
    }

    private void onProof(ChannelHandlerContext ctx, byte[] peerProof) {
        Role peerRole = role == Role.DIALER ? Role.ACCEPTOR : Role.DIALER;
        if (!Handshake.proofMatches(proofOf(peerRole), peerProof)) {
            throw authFailed("peer " + peerHello.nodeId()
                    + " did not prove the cluster secret");
        }
        if (role == Role.ACCEPTOR) {
            ctx.writeAndFlush(Handshake.encodeProof(ctx.alloc(), proofOf(Role.ACCEPTOR)));
        }
        cancelTimeout();
        ctx.pipeline().get(FrameDecoder.class).frameBytesMax(frameBytesMax);
        afterwards.peerId(peerHello.nodeId());
        peerClientUrl.accept(peerHello.nodeId(), peerHello.clientUrl());
        ctx.pipeline().replace(this, "messages", afterwards);
        ctx.pipeline().fireUserEventTriggered(new Authenticated(peerHello.nodeId()));
    }

    private byte[] proofOf(Role prover) {
        boolean selfDials = role == Role.DIALER;
        byte[] dialerNonce = selfDials ? ownNonce : peerHello.nonce();
        byte[] acceptorNonce = selfDials ? peerHello.nonce() : ownNonce;
        String dialerId = selfDials ? selfId : peerHello.nodeId();
        String acceptorId = selfDials ? peerHello.nodeId() : selfId;
        String label = prover == Role.DIALER ? Handshake.DIALER_LABEL : Handshake.ACCEPTOR_LABEL;
        String dialerUrl = selfDials ? ownClientUrl : peerHello.clientUrl();
        String acceptorUrl = selfDials ? peerHello.clientUrl() : ownClientUrl;
        return Handshake.proof(secret, label, dialerNonce, acceptorNonce, dialerId, acceptorId,
                cluster, dialerUrl, acceptorUrl);
    }

    private Handshake.Hello ownHello() {
        return new Handshake.Hello(Handshake.PROTOCOL_VERSION, ownNonce, selfId, cluster, ownClientUrl);
    }

    private static FrameException authFailed(String detail) {
        return new FrameException(CloseReason.AUTH_FAILED, detail);
    }

    private void cancelTimeout() {
        if (timeout != null) {
            timeout.cancel(false);
        }
    }
}

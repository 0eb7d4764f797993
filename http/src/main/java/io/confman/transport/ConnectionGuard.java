package io.confman.transport;

import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.DecoderException;
import java.io.IOException;
import java.lang.System.Logger.Level;
import java.util.function.BooleanSupplier;

/**
 * The last handler of every peer connection: it turns any failure into one log line, one
 * count under its {@link CloseReason}, and a closed connection. A connection that ends
 * before both proofs checked out also counts as an auth failure, whatever the cause, so
 * that {@code authFailures} sees every attempt that did not prove the secret.
 */
final class ConnectionGuard extends ChannelInboundHandlerAdapter {

    private static final System.Logger LOG = System.getLogger(ConnectionGuard.class.getName());

    private final TransportCounters counters;
    private final String role;
    private final BooleanSupplier transportClosing;
    private String peerId = "?";
    private boolean authenticated;
    private boolean reported;

    ConnectionGuard(TransportCounters counters, String role, BooleanSupplier transportClosing) {
        this.counters = counters;
        this.role = role;
        this.transportClosing = transportClosing;
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object event) throws Exception {
        if (event instanceof Authenticated a) {
            authenticated = true;
            peerId = a.peerId();
        }
        super.userEventTriggered(ctx, event);
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        Throwable root = cause instanceof DecoderException && cause.getCause() != null
                ? cause.getCause() : cause;
        if (root instanceof FrameException f) {
            report(ctx, f.reason, f.getMessage(), null);
        } else if (root instanceof IOException) {
            report(ctx, CloseReason.IO_ERROR, root.toString(), null);
        } else {
            // Not the peer's fault: a bug here or in the inbound callback. Log it with its
            // stack so it gets fixed; the connection cannot be trusted to be in a sane state.
            report(ctx, CloseReason.INTERNAL_ERROR, root.toString(), root);
        }
        ctx.close();
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) throws Exception {
        // Our own shutdown closing a half-open connection is no failure of the peer.
        if (!authenticated && !reported && !transportClosing.getAsBoolean()) {
            report(ctx, CloseReason.AUTH_FAILED, "closed by the other side during the handshake",
                    null);
        }
        super.channelInactive(ctx);
    }

    private void report(ChannelHandlerContext ctx, CloseReason reason, String detail,
                        Throwable bug) {
        if (reported) {
            return;
        }
        reported = true;
        counters.closed(reason);
        if (!authenticated) {
            counters.authFailures.increment();
        }
        String line = "peer connection closed: reason=" + reason + " role=" + role + " peer="
                + peerId + " remote=" + ctx.channel().remoteAddress() + " authenticated="
                + authenticated + " detail=" + detail;
        if (bug != null) {
            LOG.log(Level.ERROR, line, bug);
        } else {
            LOG.log(Level.WARNING, line);
        }
    }
}

package io.confman.transport;

import io.confman.raft.ClusterIdentity;
import io.confman.raft.Message;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import java.util.function.Consumer;

/**
 * Decodes the frames of an authenticated connection into messages and hands each to the
 * node's callback. Connections are one-way (TRANSPORT.md section 1): on an acceptor's
 * connection the peer sends and we deliver; on a dialer's connection the peer must send
 * nothing, so any frame there is a protocol error.
 *
 * <p>A message must come from the peer that authenticated, be addressed to this node and
 * carry our cluster identity; anything else means the peer is confused or lying, and its
 * connection is closed rather than trusted.
 */
final class InboundMessageHandler extends ChannelInboundHandlerAdapter {

    private final boolean delivers;
    private final String selfId;
    private final ClusterIdentity cluster;
    private final Consumer<Message> inbound;
    private final TransportCounters counters;
    private String peerId;

    InboundMessageHandler(boolean delivers, String selfId, ClusterIdentity cluster,
                          Consumer<Message> inbound, TransportCounters counters) {
        this.delivers = delivers;
        this.selfId = selfId;
        this.cluster = cluster;
        this.inbound = inbound;
        this.counters = counters;
    }

    void peerId(String value) {
        peerId = value;
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        Frame frame = (Frame) msg;
        Message message;
        try {
            if (!delivers || frame.type().isHandshake()) {
                throw new FrameException(CloseReason.UNEXPECTED_FRAME, frame.type()
                        + " frame on a connection that does not carry it");
            }
            message = MessageCodec.decode(frame.type(), frame.body());
        } finally {
            frame.body().release();
        }
        checkAddressed(message);
        counters.messagesReceived.increment();
        inbound.accept(message);
    }

    private void checkAddressed(Message message) {
        if (!message.from().equals(peerId) || !message.to().equals(selfId)
                || !message.cluster().equals(cluster)) {
            throw new FrameException(CloseReason.UNEXPECTED_FRAME, "message from "
                    + message.from() + " to " + message.to() + " in cluster " + message.cluster()
                    + " on the connection authenticated for " + peerId + " to " + selfId);
        }
    }
}

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
    /** Where node messages go; null when the node takes none, and then one is a protocol error. */
    private final Consumer<NodeMessage> nodeInbound;
    private final TransportCounters counters;
    private String peerId;

    InboundMessageHandler(boolean delivers, String selfId, ClusterIdentity cluster,
                          Consumer<Message> inbound, Consumer<NodeMessage> nodeInbound,
                          TransportCounters counters) {
        this.delivers = delivers;
        this.selfId = selfId;
        this.cluster = cluster;
        this.inbound = inbound;
        this.nodeInbound = nodeInbound;
        this.counters = counters;
    }

    void peerId(String value) {
        peerId = value;
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        Frame frame = (Frame) msg;
        try {
            if (!delivers || frame.type().isHandshake()
                    || (frame.type().isNodeMessage() && nodeInbound == null)) {
                throw new FrameException(CloseReason.UNEXPECTED_FRAME, frame.type()
                        + " frame on a connection that does not carry it");
            }
            if (frame.type().isNodeMessage()) {
                deliverNodeMessage(NodeMessageCodec.decode(frame.type(), frame.body()));
            } else {
                deliverMessage(MessageCodec.decode(frame.type(), frame.body()));
            }
        } finally {
            frame.body().release();
        }
    }

    private void deliverMessage(Message message) {
        checkAddressed(message.from(), message.to(), message.cluster());
        counters.messagesReceived.increment();
        inbound.accept(message);
    }

    private void deliverNodeMessage(NodeMessage message) {
        checkAddressed(message.from(), message.to(), message.cluster());
        counters.messagesReceived.increment();
        nodeInbound.accept(message);
    }

    private void checkAddressed(String from, String to, ClusterIdentity messageCluster) {
        if (!from.equals(peerId) || !to.equals(selfId) || !messageCluster.equals(cluster)) {
            throw new FrameException(CloseReason.UNEXPECTED_FRAME, "message from "
                    + from + " to " + to + " in cluster " + messageCluster
                    + " on the connection authenticated for " + peerId + " to " + selfId);
        }
    }
}

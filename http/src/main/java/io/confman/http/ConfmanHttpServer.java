package io.confman.http;

import io.confman.node.ConfmanNode;
import java.net.InetSocketAddress;
import java.util.Objects;

/**
 * The client HTTP front of one node (CONTRACT.md, client API and operations) on Netty.
 * Handlers never block and never touch Raft or store state: they call the node's API and
 * answer when its future completes. See HTTP.md.
 */
public final class ConfmanHttpServer implements AutoCloseable {

    private final ConfmanNode node;
    private final HttpConfig config;

    private ConfmanHttpServer(ConfmanNode node, HttpConfig config) {
        this.node = node;
        this.config = config;
    }

    /** Binds {@code config.bind()} and serves {@code node}; throws when the address cannot be bound. */
    public static ConfmanHttpServer start(ConfmanNode node, HttpConfig config) {
        Objects.requireNonNull(node, "node");
        Objects.requireNonNull(config, "config");
        throw new UnsupportedOperationException("the HTTP front is not built yet");
    }

    /** The address actually bound (port 0 in the config picks a free one). */
    public InetSocketAddress address() {
        return config.bind();
    }

    /** Stops accepting, closes every connection. Idempotent. Does not close the node. */
    @Override
    public void close() {
    }
}

package io.confman.jepsen.harness;

import java.io.Closeable;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.util.List;
import java.util.Map;

/**
 * How the nodes of a run reach each other, and how the nemesis cuts them apart. The
 * default, {@link ProxyNetwork}, puts a {@link io.confman.faults.LinkProxy} on every
 * directed link and needs no privileges; another implementation may run each node in its
 * own network namespace and cut links with packet filter rules.
 *
 * <p>The cluster asks, per node: which host its listeners bind, which command prefix runs
 * its process (e.g. entering a namespace), and which peers it dials at another address than
 * the member list's ({@code --peer-dial}).
 */
public interface Network extends Closeable {

    /** Sets the network up for these nodes, once their peer-transport addresses are known. */
    void start(Map<String, InetSocketAddress> peers) throws IOException;

    /** The address node {@code id}'s listeners bind, the same for its peer and HTTP ports. */
    String host(String id);

    /** Words put before the node's java command (empty to run it as is). */
    List<String> commandPrefix(String id);

    /** Peers node {@code id} dials at another address than the member list's. */
    Map<String, InetSocketAddress> dialVia(String id);

    /** Drops what {@code from} sends to {@code to}, until {@link #healAll()}. */
    void cut(String from, String to);

    /** Every link carries everything again. */
    void healAll();

    /** A line for the run's log naming this network. */
    String describe();

    @Override
    void close();
}

package io.confman.devctl;

import io.confman.faults.LinkProxy;
import java.io.Closeable;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * A {@link LinkProxy} on every directed link between the members, as the fault-injection
 * suite's proxy network has: node A dials the A-to-B proxy instead of B (through
 * {@code --peer-dial}), while the member list keeps the real addresses. Isolating a node
 * cuts every link to and from it.
 *
 * <p>A link stays cut while either of its ends is isolated: healing one of two isolated
 * nodes does not join it to the other.
 */
public final class LinkMesh implements Closeable {

    private final List<String> ids;
    private final Map<String, LinkProxy> links = new LinkedHashMap<>();
    private final Set<String> isolated = new HashSet<>();

    private LinkMesh(List<String> ids) {
        this.ids = List.copyOf(ids);
    }

    /** Starts one proxy per directed link, each on a free loopback port, to the peers' real addresses. */
    public static LinkMesh start(Map<String, InetSocketAddress> peers) throws IOException {
        LinkMesh mesh = new LinkMesh(List.copyOf(peers.keySet()));
        try {
            for (String from : peers.keySet()) {
                for (Map.Entry<String, InetSocketAddress> to : peers.entrySet()) {
                    if (!from.equals(to.getKey())) {
                        mesh.links.put(name(from, to.getKey()), LinkProxy.start(from, to.getKey(),
                                new InetSocketAddress("127.0.0.1", 0), to.getValue()));
                    }
                }
            }
        } catch (IOException | RuntimeException e) {
            mesh.close();
            throw e;
        }
        return mesh;
    }

    private static String name(String from, String to) {
        return from + "->" + to;
    }

    /** The proxy that carries what {@code from} sends to {@code to}. */
    LinkProxy link(String from, String to) {
        LinkProxy link = links.get(name(from, to));
        if (link == null) {
            throw new IllegalArgumentException("no link " + from + " -> " + to);
        }
        return link;
    }

    /** Where node {@code id} dials each peer: the {@code --peer-dial} value, {@code ID=HOST:PORT,...}. */
    public String peerDial(String id) {
        StringBuilder dial = new StringBuilder();
        for (LinkProxy link : links.values()) {
            if (link.from().equals(id)) {
                dial.append(dial.length() == 0 ? "" : ",").append(link.to()).append("=127.0.0.1:")
                        .append(link.address().getPort());
            }
        }
        return dial.toString();
    }

    public synchronized boolean isolated(String id) {
        return isolated.contains(id);
    }

    /** Cuts every link to and from {@code id}; false when it was isolated already. */
    public synchronized boolean isolate(String id) {
        member(id);
        if (!isolated.add(id)) {
            return false;
        }
        for (String other : ids) {
            if (!other.equals(id)) {
                link(id, other).cut();
                link(other, id).cut();
            }
        }
        return true;
    }

    /**
     * Restores every link to and from {@code id} whose other end is not isolated itself;
     * false when {@code id} was not isolated.
     */
    public synchronized boolean heal(String id) {
        member(id);
        if (!isolated.remove(id)) {
            return false;
        }
        for (String other : ids) {
            if (!other.equals(id) && !isolated.contains(other)) {
                link(id, other).heal();
                link(other, id).heal();
            }
        }
        return true;
    }

    private void member(String id) {
        if (!ids.contains(id)) {
            throw new IllegalArgumentException("no member " + id + " in " + ids);
        }
    }

    @Override
    public void close() {
        for (LinkProxy link : links.values()) {
            link.close();
        }
    }
}

package io.confman.jepsen.harness;

import io.confman.faults.LinkProxy;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Every node on loopback, with a {@link LinkProxy} on each directed link: node A dials B's
 * proxy for A-to-B instead of B (through {@code --peer-dial}), so a one-way cut of a link
 * silences one direction only (the peer transport sends only on connections it dialed).
 * Works without root, and can delay as well as drop.
 */
public final class ProxyNetwork implements Network {

    private final Map<String, LinkProxy> links = new LinkedHashMap<>();

    @Override
    public void start(Map<String, InetSocketAddress> peers) throws IOException {
        for (String from : peers.keySet()) {
            for (Map.Entry<String, InetSocketAddress> to : peers.entrySet()) {
                if (!from.equals(to.getKey())) {
                    links.put(name(from, to.getKey()), LinkProxy.start(from, to.getKey(),
                            new InetSocketAddress("127.0.0.1", 0), to.getValue()));
                }
            }
        }
    }

    private static String name(String from, String to) {
        return from + "->" + to;
    }

    /** The proxy that carries what {@code from} sends to {@code to}. */
    public LinkProxy link(String from, String to) {
        LinkProxy link = links.get(name(from, to));
        if (link == null) {
            throw new IllegalArgumentException("no link " + from + " -> " + to);
        }
        return link;
    }

    @Override
    public String host(String id) {
        return "127.0.0.1";
    }

    @Override
    public List<String> commandPrefix(String id) {
        return List.of();
    }

    @Override
    public Map<String, InetSocketAddress> dialVia(String id) {
        Map<String, InetSocketAddress> dial = new HashMap<>();
        for (LinkProxy link : links.values()) {
            if (link.from().equals(id)) {
                dial.put(link.to(), new InetSocketAddress("127.0.0.1", link.address().getPort()));
            }
        }
        return dial;
    }

    @Override
    public void cut(String from, String to) {
        link(from, to).cut();
    }

    @Override
    public void healAll() {
        for (LinkProxy link : links.values()) {
            link.delay(0);
            link.heal();
        }
    }

    @Override
    public String describe() {
        return "TCP proxies on " + links.size() + " directed links";
    }

    @Override
    public void close() {
        for (LinkProxy link : links.values()) {
            link.close();
        }
    }
}

package io.confman.testing;

import io.confman.cli.FreePorts;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.LinkedHashMap;
import java.util.Map;

/** Member lists of in-process test clusters: ids n1..nN on free loopback ports. */
public final class LoopbackMembers {

    private LoopbackMembers() {
    }

    /** {@code n1} to {@code n<size>}, in order, each on its own free loopback port. */
    public static Map<String, InetSocketAddress> of(int size) throws IOException {
        Map<String, InetSocketAddress> addresses = new LinkedHashMap<>();
        for (int i = 1; i <= size; i++) {
            addresses.put("n" + i, freeAddress());
        }
        return Map.copyOf(addresses);
    }

    /** A loopback address nobody listens on now, never handed out before in this JVM (FreePorts). */
    public static InetSocketAddress freeAddress() throws IOException {
        return new InetSocketAddress(InetAddress.getLoopbackAddress(), FreePorts.pick());
    }
}

package io.confman.cli;

import java.io.BufferedReader;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Picks loopback ports for a cluster whose member list must name every port before any node
 * binds (static bootstrap). Asking the kernel for port 0 and closing the socket is not
 * enough: the kernel hands the same port out again (twice in one member list), and it also
 * uses that range for the local end of outgoing connections, so a port picked that way can
 * be taken by some client's connection before the node binds it. So ports come from below
 * the kernel's ephemeral range, are checked by binding them, and are never handed out twice
 * by this process.
 */
public final class FreePorts {

    /** The lowest port handed out: above the well-known and most registered service ports. */
    static final int PORT_LOW = 20_000;
    /** Used when the kernel's ephemeral range cannot be read (Linux's default lower bound). */
    static final int EPHEMERAL_LOW_DEFAULT = 32_768;
    static final int ATTEMPTS_MAX = 10_000;
    private static final Path EPHEMERAL_RANGE = Path.of("/proc/sys/net/ipv4/ip_local_port_range");
    private static final Set<Integer> HANDED_OUT = ConcurrentHashMap.newKeySet();
    private static final SplittableRandom SEED = new SplittableRandom();

    private FreePorts() {
    }

    /** A loopback port that nothing listened on a moment ago and this process never handed out. */
    public static int pick() throws IOException {
        int high = ephemeralLow();
        if (high - PORT_LOW < 1_000) {
            throw new IOException("the ephemeral port range starts at " + high + ", leaving no room below it above "
                    + PORT_LOW);
        }
        SplittableRandom random;
        synchronized (SEED) {
            random = SEED.split();
        }
        for (int attempt = 0; attempt < ATTEMPTS_MAX; attempt++) {
            int port = random.nextInt(PORT_LOW, high);
            if (!HANDED_OUT.add(port)) {
                continue;
            }
            if (bindable(port)) {
                return port;
            }
        }
        throw new IOException("no free loopback port in [" + PORT_LOW + ", " + high + ") after " + ATTEMPTS_MAX
                + " attempts");
    }

    private static boolean bindable(int port) {
        try (ServerSocket socket = new ServerSocket()) {
            socket.setReuseAddress(false);
            socket.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 1);
            return true;
        } catch (IOException inUse) {
            return false;
        }
    }

    /** The first port of the kernel's ephemeral range, or its usual default when unknown. */
    static int ephemeralLow() {
        try {
            // Read line-wise: procfs reports a size of 0, and a read sized by it can come back short.
            String[] range;
            try (BufferedReader reader = Files.newBufferedReader(EPHEMERAL_RANGE)) {
                range = reader.readLine().strip().split("\\s+");
            }
            return Integer.parseInt(range[0]);
        } catch (IOException | RuntimeException unknown) {
            return EPHEMERAL_LOW_DEFAULT;
        }
    }
}

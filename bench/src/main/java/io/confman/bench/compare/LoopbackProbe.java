package io.confman.bench.compare;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.Arrays;
import java.util.Locale;

/**
 * The round trip of one small message over a loopback TCP connection, the floor under any
 * request a client on this machine sends to a server on it: a client thread writes 64 bytes,
 * an echo thread reads and returns them, the client reads them back. Prints the median and
 * the 99th percentile of {@code --count} round trips (default 20,000) after as many to warm up.
 */
public final class LoopbackProbe {

    static final int MESSAGE_BYTES = 64;

    private LoopbackProbe() {
    }

    public static void main(String[] args) throws IOException, InterruptedException {
        int count = args.length == 2 && args[0].equals("--count") ? Integer.parseInt(args[1]) : 20_000;
        if (args.length != 0 && args.length != 2 || count < 1) {
            System.err.println("usage: LoopbackProbe [--count N]");
            System.exit(2);
        }
        System.out.println(measure(count));
    }

    /** One line: {@code loopback_rtt_us_p50=... p99=... (N round trips of 64 bytes over TCP)}. */
    static String measure(int count) throws IOException, InterruptedException {
        try (ServerSocket server = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            Thread echo = new Thread(() -> {
                try (Socket socket = server.accept()) {
                    socket.setTcpNoDelay(true);
                    InputStream in = socket.getInputStream();
                    OutputStream out = socket.getOutputStream();
                    byte[] message = new byte[MESSAGE_BYTES];
                    while (in.readNBytes(message, 0, MESSAGE_BYTES) == MESSAGE_BYTES) {
                        out.write(message);
                    }
                } catch (IOException ended) {
                    // the client closed the connection
                }
            }, "loopback-echo");
            echo.setDaemon(true);
            echo.start();
            long[] micros = new long[count];
            try (Socket socket = new Socket(InetAddress.getLoopbackAddress(), server.getLocalPort())) {
                socket.setTcpNoDelay(true);
                InputStream in = socket.getInputStream();
                OutputStream out = socket.getOutputStream();
                byte[] message = new byte[MESSAGE_BYTES];
                for (int i = -count; i < count; i++) {
                    long start = System.nanoTime();
                    out.write(message);
                    if (in.readNBytes(message, 0, MESSAGE_BYTES) != MESSAGE_BYTES) {
                        throw new IOException("the echo ended early");
                    }
                    if (i >= 0) {
                        micros[i] = (System.nanoTime() - start) / 1_000;
                    }
                }
            }
            echo.join(5_000);
            Arrays.sort(micros);
            return String.format(Locale.ROOT, "loopback_rtt_us_p50=%d p99=%d (%d round trips of %d bytes over TCP)",
                    micros[count / 2], micros[(int) Math.min(count - 1, (long) count * 99 / 100)], count,
                    MESSAGE_BYTES);
        }
    }
}

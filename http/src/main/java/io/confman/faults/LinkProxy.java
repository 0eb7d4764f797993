package io.confman.faults;

import java.io.Closeable;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * A TCP proxy on one directed link between two nodes: node {@code from} dials this
 * proxy (through {@code --peer-dial}) instead of node {@code to}. Because the peer
 * transport sends only on connections it dialed (TRANSPORT.md, "Connections are one-way"),
 * cutting this proxy silences {@code from -> to} and nothing else, which is how a one-way
 * partition is made without root.
 *
 * <p>A cut link behaves like a network that drops packets, not like one that refuses
 * them: connections stay open and every byte is read and thrown away, so each side sees
 * silence until its own timeouts fire, as with an iptables DROP rule. Bytes dropped
 * mid-stream would leave the receiver out of frame when the link heals, so healing closes
 * every connection that lost bytes and the dialer reconnects cleanly. A delay holds each
 * chunk for the given time before writing it on, in order.
 *
 * <p>Used by the fault-injection suite (jepsen's {@code ProxyNetwork}) and by
 * {@code confman dev}, whose controller isolates a node by cutting its links.
 */
public final class LinkProxy implements Closeable {

    private static final int CHUNK_BYTES = 64 * 1024;
    /** Chunks queued per direction of a connection: at most 16 MiB held by the proxy. */
    static final int QUEUED_CHUNKS_MAX = 256;

    private final String from;
    private final String to;
    private final InetSocketAddress target;
    private final ServerSocket server;
    private final Set<Pipe> pipes = ConcurrentHashMap.newKeySet();
    private final Thread acceptor;
    private volatile boolean cut;
    private volatile long delayNanos;
    private volatile boolean closed;

    private LinkProxy(String from, String to, InetSocketAddress target, ServerSocket server) {
        this.from = from;
        this.to = to;
        this.target = target;
        this.server = server;
        this.acceptor = new Thread(this::acceptLoop, "proxy-" + from + "-" + to);
        this.acceptor.setDaemon(true);
    }

    /** Listens on {@code listen} (port 0 for any) and forwards to {@code target}. */
    public static LinkProxy start(String from, String to, InetSocketAddress listen, InetSocketAddress target)
            throws IOException {
        ServerSocket server = new ServerSocket();
        server.setReuseAddress(true);
        server.bind(listen);
        LinkProxy proxy = new LinkProxy(from, to, target, server);
        proxy.acceptor.start();
        return proxy;
    }

    public String from() {
        return from;
    }

    public String to() {
        return to;
    }

    public InetSocketAddress address() {
        return new InetSocketAddress(server.getInetAddress(), server.getLocalPort());
    }

    /** Drops everything on this link from now on, until {@link #heal()}. */
    public synchronized void cut() {
        cut = true;
    }

    public boolean isCut() {
        return cut;
    }

    /**
     * Lets bytes through again; connections that lost bytes while cut are closed. Dropping
     * a chunk and marking its connection happen under the same lock as this, so no
     * connection can lose bytes unseen and then carry on out of frame.
     */
    public synchronized void heal() {
        for (Pipe pipe : pipes) {
            if (pipe.lostBytes) {
                pipe.close();
            }
        }
        cut = false;
    }

    /** True if the chunk must be dropped (the link is cut), marking its connection as having lost bytes. */
    private synchronized boolean drop(Pipe pipe) {
        if (cut) {
            pipe.lostBytes = true;
            return true;
        }
        return false;
    }

    /** Holds every chunk this long before passing it on; 0 for none. */
    public void delay(long millis) {
        if (millis < 0) {
            throw new IllegalArgumentException("delay must be >= 0 ms, was " + millis);
        }
        delayNanos = TimeUnit.MILLISECONDS.toNanos(millis);
    }

    /** Connections open through this proxy now. */
    public int connections() {
        return pipes.size();
    }

    private void acceptLoop() {
        while (!closed) {
            Socket inbound;
            try {
                inbound = server.accept();
            } catch (IOException e) {
                if (closed) {
                    return;
                }
                continue;
            }
            Pipe pipe = new Pipe(inbound);
            pipes.add(pipe);
            pipe.start();
        }
    }

    @Override
    public void close() {
        closed = true;
        try {
            server.close();
        } catch (IOException ignored) {
            // Closing; nothing to do.
        }
        for (Pipe pipe : pipes) {
            pipe.close();
        }
    }

    /** One proxied connection: the dialer's socket, the target's socket, two directions. */
    private final class Pipe {
        private final Socket inbound;
        private volatile Socket outbound;
        private volatile boolean lostBytes;
        private volatile boolean done;

        Pipe(Socket inbound) {
            this.inbound = inbound;
        }

        void start() {
            Thread connector = new Thread(this::connectAndPump, "proxy-" + from + "-" + to + "-conn");
            connector.setDaemon(true);
            connector.start();
        }

        private void connectAndPump() {
            try {
                Socket socket = new Socket();
                socket.setTcpNoDelay(true);
                socket.connect(target, 2_000);
                outbound = socket;
                inbound.setTcpNoDelay(true);
                if (done) {
                    close();
                    return;
                }
                direction(inbound, socket, "up");
                direction(socket, inbound, "down");
            } catch (IOException e) {
                // The target is down (killed): the dialer sees its connection close, as it would.
                close();
            }
        }

        /** A reader that queues chunks and a writer that sends each when its delay is over. */
        private void direction(Socket source, Socket sink, String name) throws IOException {
            InputStream in = source.getInputStream();
            OutputStream out = sink.getOutputStream();
            // Bounded: a slow or delayed link holds back its sender (TCP's own flow control)
            // instead of buffering without limit in the proxy.
            LinkedBlockingQueue<Chunk> queue = new LinkedBlockingQueue<>(QUEUED_CHUNKS_MAX);
            Thread reader = new Thread(() -> {
                byte[] buffer = new byte[CHUNK_BYTES];
                try {
                    int read;
                    while ((read = in.read(buffer)) >= 0) {
                        if (drop(this)) {
                            continue;
                        }
                        byte[] copy = java.util.Arrays.copyOf(buffer, read);
                        if (!enqueue(queue, new Chunk(System.nanoTime() + delayNanos, copy))) {
                            return;
                        }
                    }
                } catch (IOException | InterruptedException e) {
                    // Closed.
                } finally {
                    try {
                        enqueue(queue, Chunk.END);
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                    }
                }
            }, "proxy-" + from + "-" + to + "-" + name + "-read");
            Thread writer = new Thread(() -> {
                try {
                    while (true) {
                        Chunk chunk = queue.poll(100, TimeUnit.MILLISECONDS);
                        if (chunk == null) {
                            if (done) {
                                break;
                            }
                            continue;
                        }
                        if (chunk == Chunk.END) {
                            break;
                        }
                        long wait = chunk.dueNanos - System.nanoTime();
                        if (wait > 0) {
                            TimeUnit.NANOSECONDS.sleep(wait);
                        }
                        // Queued before the cut, due during it: dropped. Once a connection has
                        // lost bytes nothing more goes through it (the heal closes it). The write
                        // itself is outside the lock: it blocks while the receiver is paused.
                        if (drop(this) || lostBytes) {
                            continue;
                        }
                        out.write(chunk.bytes);
                    }
                } catch (IOException | InterruptedException e) {
                    // Closed.
                } finally {
                    close();
                }
            }, "proxy-" + from + "-" + to + "-" + name + "-write");
            reader.setDaemon(true);
            writer.setDaemon(true);
            reader.start();
            writer.start();
        }

        /** Queues a chunk, waiting while the queue is full; false once the connection is closed. */
        private boolean enqueue(LinkedBlockingQueue<Chunk> queue, Chunk chunk) throws InterruptedException {
            while (!done) {
                if (queue.offer(chunk, 100, TimeUnit.MILLISECONDS)) {
                    return true;
                }
            }
            return false;
        }

        void close() {
            done = true;
            pipes.remove(this);
            closeQuietly(inbound);
            Socket socket = outbound;
            if (socket != null) {
                closeQuietly(socket);
            }
        }
    }

    private static void closeQuietly(Socket socket) {
        try {
            socket.close();
        } catch (IOException ignored) {
            // Already closed.
        }
    }

    private record Chunk(long dueNanos, byte[] bytes) {
        static final Chunk END = new Chunk(0, new byte[0]);
    }

    @Override
    public String toString() {
        return "LinkProxy[" + from + "->" + to + " at " + address().getPort() + (cut ? ", cut" : "") + "]";
    }
}

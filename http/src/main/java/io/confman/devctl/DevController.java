package io.confman.devctl;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.Closeable;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.Map;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The HTTP listener of {@code confman dev}'s controller on 127.0.0.1: the JDK's small HTTP
 * server, each exchange handed to {@link ControlRoutes}. It is bound first, so that its URL
 * can be given to the nodes ({@link #CONTROL_URL_ENVIRONMENT}) before they start, and serves
 * once {@link #serve} is called.
 */
public final class DevController implements Closeable {

    /** The environment variable that tells a node the controller's URL (it announces it to the page). */
    public static final String CONTROL_URL_ENVIRONMENT = "CONFMAN_DEV_CONTROL";
    /** Actions wait for a process (a SIGKILL's exit, a kill command), so more than one thread serves. */
    static final int WORKER_THREADS = 2;
    /** Exchanges waiting for a worker; beyond that the accepting thread serves them itself. */
    static final int QUEUED_EXCHANGES_MAX = 32;
    static final int BACKLOG = 16;

    private final HttpServer server;
    private final ThreadPoolExecutor workers;
    private final PrintStream err;
    private boolean started;
    private boolean closed;

    private DevController(HttpServer server, PrintStream err) {
        this.server = server;
        this.err = err;
        AtomicInteger count = new AtomicInteger();
        this.workers = new ThreadPoolExecutor(WORKER_THREADS, WORKER_THREADS, 0, TimeUnit.MILLISECONDS,
                new ArrayBlockingQueue<>(QUEUED_EXCHANGES_MAX), task -> {
                    Thread thread = new Thread(task, "confman-dev-control-" + count.incrementAndGet());
                    thread.setDaemon(true);
                    return thread;
                }, new ThreadPoolExecutor.CallerRunsPolicy());
    }

    /**
     * Binds 127.0.0.1:{@code port}; nothing is served before {@link #serve}.
     *
     * @param err where a bug in a route is reported (the caller gets a 500)
     */
    public static DevController bind(int port, PrintStream err) throws IOException {
        HttpServer server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), BACKLOG);
        return new DevController(server, err);
    }

    /** {@code http://127.0.0.1:PORT}, the origin the page has when the controller serves it. */
    public String url() {
        return "http://127.0.0.1:" + server.getAddress().getPort();
    }

    /** Starts serving; nothing when already closed (dev is stopping). */
    public synchronized void serve(ControlRoutes routes) {
        if (closed) {
            return;
        }
        server.createContext("/", exchange -> handle(routes, exchange));
        server.setExecutor(workers);
        server.start();
        started = true;
    }

    private void handle(ControlRoutes routes, HttpExchange exchange) throws IOException {
        try (exchange) {
            ControlRoutes.Answer answer;
            try {
                answer = routes.handle(new ControlRoutes.Request(exchange.getRequestMethod(),
                        exchange.getRequestURI().getRawPath(),
                        exchange.getRequestHeaders().getFirst("Authorization"),
                        exchange.getRequestHeaders().getFirst("Origin")));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                answer = ControlRoutes.error(503, "unavailable", "the controller is stopping");
            } catch (RuntimeException bug) {
                err.println(DevController.class.getSimpleName() + ": " + exchange.getRequestMethod() + " "
                        + exchange.getRequestURI() + " failed: " + bug);
                answer = ControlRoutes.error(500, "internal", String.valueOf(bug));
            }
            for (Map.Entry<String, String> header : answer.headers().entrySet()) {
                exchange.getResponseHeaders().set(header.getKey(), header.getValue());
            }
            boolean empty = answer.body().length == 0;
            exchange.sendResponseHeaders(answer.status(), empty ? -1 : answer.body().length);
            if (!empty) {
                try (OutputStream body = exchange.getResponseBody()) {
                    body.write(answer.body());
                }
            }
        }
    }

    /** Stops accepting, closes every connection and ends the workers. */
    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        if (!started) {
            // The listening socket is released by the server's own thread (its selector drops
            // the closed channel): a server never started would keep the port bound.
            server.setExecutor(workers);
            server.start();
            started = true;
        }
        server.stop(0);
        workers.shutdownNow();
    }
}

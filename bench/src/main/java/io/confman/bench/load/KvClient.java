package io.confman.bench.load;

import java.io.IOException;
import java.net.URI;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.Queue;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.LongAdder;

/**
 * The key-value calls the driver makes, over Confman's HTTP API or etcd's v3 JSON gateway
 * ({@link Api}). Each worker thread keeps its own keep-alive {@link HttpConnection} to each
 * node, so C workers use at most C connections per node and a request costs the driver a
 * write and a read, nothing shared between workers.
 *
 * <p>Worker w starts at URL w mod n, spreading the workers round-robin over the nodes. A
 * node that refuses the connection (or does not accept it in time) is skipped for the next
 * URL: nothing reached it, so trying elsewhere cannot apply a write twice. Any other I/O
 * error, and every HTTP status, is the operation's outcome; nothing is retried, so the
 * error count shows what a client without retries would see.
 */
final class KvClient implements AutoCloseable {

    static final int CONNECT_TIMEOUT_MS = 5_000;
    /** A node that does not answer {@code /livez} this fast is not taken as up. */
    static final int LIVEZ_TIMEOUT_MS = 5_000;
    /** A status tally key for a request that got no answer. */
    static final String NO_ANSWER = "io_error";
    /** A connection idle this long is replaced before use, well within any server's idle timeout. */
    static final long IDLE_REOPEN_NANOS = 20_000_000_000L;

    private static final String[] NO_HEADERS = {};
    private static final String[] OCTETS = {"Content-Type: application/octet-stream"};
    private static final String[] JSON = {"Content-Type: application/json"};

    /** The answer to one request: its status and, for a read, the ETag. */
    record Answer(int status, String etag) {
        boolean success() {
            return status >= 200 && status < 300;
        }
    }

    private final List<URI> urls;
    private final Api api;
    private final String namespace;
    private final String namespacePath;
    private final int requestTimeoutMs;
    private final ThreadLocal<HttpConnection[]> connections;
    /** Every worker thread's connections, to close them all at the end. */
    private final Queue<HttpConnection[]> allConnections = new ConcurrentLinkedQueue<>();
    private final Map<String, LongAdder> statusCounts = new ConcurrentHashMap<>();
    private final LongAdder refusedConnections = new LongAdder();

    KvClient(List<URI> urls, String namespace, Duration requestTimeout) {
        this(urls, Api.CONFMAN, namespace, requestTimeout);
    }

    KvClient(List<URI> urls, Api api, String namespace, Duration requestTimeout) {
        this.urls = List.copyOf(urls);
        this.api = api;
        this.namespace = namespace;
        this.namespacePath = "/v1/kv/" + encode(namespace) + "/";
        this.requestTimeoutMs = (int) Math.min(Integer.MAX_VALUE, requestTimeout.toMillis());
        this.connections = ThreadLocal.withInitial(() -> {
            HttpConnection[] mine = new HttpConnection[this.urls.size()];
            allConnections.add(mine);
            return mine;
        });
    }

    /** {@code PUT} of a generated value; {@code ifMatch} is an ETag (etcd: a mod_revision) or null. */
    Answer put(int worker, String key, GeneratedValue value, String ifMatch) throws InterruptedException {
        if (api == Api.ETCD) {
            String body = ifMatch == null ? EtcdJson.put(etcdKey(key), value.bytes())
                    : EtcdJson.putIfModRevision(etcdKey(key), value.bytes(), ifMatch);
            return sendEtcd(worker, ifMatch == null ? "/v3/kv/put" : "/v3/kv/txn", body);
        }
        String[] headers = ifMatch == null ? OCTETS : new String[] {OCTETS[0], "If-Match: " + ifMatch};
        return send(worker, "PUT", namespacePath + encode(key), headers, value.body(), false);
    }

    /** {@code GET}, linearizable or stale; the body is read and dropped, however large. */
    Answer get(int worker, String key, boolean stale) throws InterruptedException {
        if (api == Api.ETCD) {
            return sendEtcd(worker, "/v3/kv/range", EtcdJson.range(etcdKey(key), stale));
        }
        String target = namespacePath + encode(key) + (stale ? "?consistency=stale" : "");
        return send(worker, "GET", target, NO_HEADERS, null, false);
    }

    /**
     * Asks each URL's liveness endpoint ({@code /livez}, etcd's {@code /health}) in turn
     * until one answers, with any status: before a run, so that a cluster that is not there
     * is reported once, not as an error per operation. Returns the reasons the URLs asked
     * gave, empty when one answered.
     */
    List<String> unreachable() {
        String probe = api == Api.ETCD ? "/health" : "/livez";
        List<String> failures = new ArrayList<>();
        for (URI base : urls) {
            try (HttpConnection connection = HttpConnection.open(base, LIVEZ_TIMEOUT_MS, LIVEZ_TIMEOUT_MS)) {
                connection.exchange("GET", probe, NO_HEADERS, null, false);
                return List.of();
            } catch (IOException e) {
                failures.add(base + " (" + (e.getMessage() != null ? e.getMessage()
                        : e.getClass().getSimpleName()) + ")");
            }
        }
        return failures;
    }

    /** Answers by status ({@code "200"}, {@code "412"}, ...) and requests without one. */
    Map<String, Long> statusCounts() {
        Map<String, Long> counts = new TreeMap<>();
        statusCounts.forEach((status, count) -> counts.put(status, count.sum()));
        return counts;
    }

    /** Connections a node refused, each followed by a try at the next URL. */
    long refusedConnections() {
        return refusedConnections.sum();
    }

    /** Closes every connection the workers opened. */
    @Override
    public void close() {
        for (HttpConnection[] mine : allConnections) {
            for (HttpConnection connection : mine) {
                if (connection != null) {
                    connection.close();
                }
            }
        }
    }

    /**
     * Sends one etcd gateway call, reads its small JSON answer, and gives it Confman's shape: a
     * transaction whose comparison failed is a 412, a range that found nothing a 404, and the
     * key's {@code mod_revision} is the ETag.
     */
    private Answer sendEtcd(int worker, String path, String body) throws InterruptedException {
        return send(worker, "POST", path, JSON, HttpConnection.Body.of(body.getBytes(StandardCharsets.US_ASCII)),
                true);
    }

    /** Sends the request to the worker's node, or the next ones that accept a connection. */
    private Answer send(int worker, String method, String target, String[] headers, HttpConnection.Body body,
                        boolean etcdAnswer) throws InterruptedException {
        if (Thread.interrupted()) {
            throw new InterruptedException();
        }
        HttpConnection[] mine = connections.get();
        for (int attempt = 0; attempt < urls.size(); attempt++) {
            int node = Math.floorMod(worker + attempt, urls.size());
            HttpConnection connection = mine[node];
            if (connection != null && connection.isOpen() && connection.idleNanos() > IDLE_REOPEN_NANOS) {
                // A server may close a connection idle for long (Confman after 60 s): a request
                // sent on it would be lost in the close, so start afresh instead.
                connection.close();
            }
            if (connection == null || !connection.isOpen()) {
                try {
                    connection = HttpConnection.open(urls.get(node), CONNECT_TIMEOUT_MS, requestTimeoutMs);
                } catch (IOException refused) {
                    // Refused, not accepted in time, or no route: nothing was sent.
                    refusedConnections.increment();
                    continue;
                }
                mine[node] = connection;
            }
            try {
                HttpConnection.Response response = connection.exchange(method, target, headers, body, etcdAnswer);
                Answer answer = !etcdAnswer ? new Answer(response.status(), response.etag())
                        : response.status() == 200 ? EtcdJson.answer(target, response.body())
                        : new Answer(response.status(), null);
                count(answer.status() == 0 ? NO_ANSWER : Integer.toString(answer.status()));
                return answer;
            } catch (IOException noAnswer) {
                count(NO_ANSWER);
                return new Answer(0, null);
            }
        }
        count(NO_ANSWER);
        return new Answer(0, null);
    }

    /** The etcd key of a driver key: the namespace as a prefix, as Confman's path has it. */
    private String etcdKey(String key) {
        return namespace + "/" + key;
    }

    private void count(String status) {
        statusCounts.computeIfAbsent(status, s -> new LongAdder()).increment();
    }

    /** Percent-encodes one path segment. */
    static String encode(String text) {
        return URLEncoder.encode(text, StandardCharsets.UTF_8).replace("+", "%20");
    }
}

package io.confman.bench.load;

import java.io.IOException;
import java.net.ConnectException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpConnectTimeoutException;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.LongAdder;

/**
 * The key-value calls of the HTTP API the driver makes, over one shared
 * {@link HttpClient} speaking HTTP/1.1. The client keeps one connection per request in
 * flight (at most one per worker), so a shared client is enough; its selector thread and
 * the hand-off of each answer to its executor are part of every latency measured: small
 * beside a replicated write's fsync, a larger share of a stale read answered from memory.
 *
 * <p>Worker w starts at URL w mod n, spreading the workers round-robin over the nodes. A
 * node that refuses the connection (or does not accept it in time) is skipped for the next
 * URL: nothing reached it, so trying elsewhere cannot apply a write twice. Any other I/O
 * error, and every HTTP status, is the operation's outcome; nothing is retried, so the
 * error count shows what a client without retries would see.
 */
final class KvClient {

    static final long CONNECT_TIMEOUT_MS = 5_000;
    /** A node that does not answer {@code /livez} this fast is not taken as up. */
    static final long LIVEZ_TIMEOUT_MS = 5_000;
    /** A status tally key for a request that got no answer. */
    static final String NO_ANSWER = "io_error";

    /** The answer to one request: its status and, for a read, the ETag. */
    record Answer(int status, String etag) {
        boolean success() {
            return status >= 200 && status < 300;
        }
    }

    private final HttpClient client;
    private final List<URI> urls;
    private final String namespacePath;
    private final Duration requestTimeout;
    private final Map<String, LongAdder> statusCounts = new ConcurrentHashMap<>();
    private final LongAdder refusedConnections = new LongAdder();

    KvClient(List<URI> urls, String namespace, Duration requestTimeout) {
        this.client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
                .connectTimeout(Duration.ofMillis(CONNECT_TIMEOUT_MS)).followRedirects(HttpClient.Redirect.NEVER)
                .build();
        this.urls = List.copyOf(urls);
        this.namespacePath = "/v1/kv/" + encode(namespace) + "/";
        this.requestTimeout = requestTimeout;
    }

    /** {@code PUT} of a generated value; {@code ifMatch} is an ETag or null. */
    Answer put(int worker, String key, GeneratedValue value, String ifMatch) throws InterruptedException {
        HttpRequest.Builder request = HttpRequest.newBuilder().timeout(requestTimeout)
                .header("Content-Type", "application/octet-stream").PUT(value.publisher());
        if (ifMatch != null) {
            request.header("If-Match", ifMatch);
        }
        return send(worker, request, key, "");
    }

    /** {@code GET}, linearizable or stale; the body is read and dropped, however large. */
    Answer get(int worker, String key, boolean stale) throws InterruptedException {
        String query = stale ? "?consistency=stale" : "";
        return send(worker, HttpRequest.newBuilder().timeout(requestTimeout).GET(), key, query);
    }

    /**
     * Asks each URL's {@code /livez} in turn until one answers, with any status: before a run,
     * so that a cluster that is not there is reported once, not as an error per operation.
     * Returns the reasons the URLs asked gave, empty when one answered.
     */
    List<String> unreachable() throws InterruptedException {
        List<String> failures = new ArrayList<>();
        for (URI base : urls) {
            try {
                client.send(HttpRequest.newBuilder(base.resolve("/livez")).timeout(Duration.ofMillis(LIVEZ_TIMEOUT_MS))
                        .build(),
                        HttpResponse.BodyHandlers.discarding());
                return List.of();
            } catch (IOException e) {
                // java.net.http's ConnectException often has no message: name the kind then.
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

    /** Sends the request, without its URI, to the worker's node, or the next ones that accept a connection. */
    private Answer send(int worker, HttpRequest.Builder request, String key, String query)
            throws InterruptedException {
        for (int attempt = 0; attempt < urls.size(); attempt++) {
            URI base = urls.get(Math.floorMod(worker + attempt, urls.size()));
            request.uri(base.resolve(namespacePath + encode(key) + query));
            try {
                HttpResponse<Void> response = client.send(request.build(), HttpResponse.BodyHandlers.discarding());
                count(Integer.toString(response.statusCode()));
                return new Answer(response.statusCode(), response.headers().firstValue("ETag").orElse(null));
            } catch (ConnectException | HttpConnectTimeoutException refused) {
                refusedConnections.increment();
            } catch (IOException noAnswer) {
                count(NO_ANSWER);
                return new Answer(0, null);
            }
        }
        count(NO_ANSWER);
        return new Answer(0, null);
    }

    private void count(String status) {
        statusCounts.computeIfAbsent(status, s -> new LongAdder()).increment();
    }

    /** Percent-encodes one path segment. */
    static String encode(String text) {
        return URLEncoder.encode(text, StandardCharsets.UTF_8).replace("+", "%20");
    }
}

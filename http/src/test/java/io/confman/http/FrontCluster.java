package io.confman.http;

import io.confman.node.ConfmanNode;
import io.confman.node.NodeConfig;
import io.confman.testing.Closeables;
import io.confman.testing.Conditions;
import io.confman.testing.LoopbackMembers;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;

/**
 * Real nodes with their HTTP fronts on 127.0.0.1, real sockets and files, short timings.
 * Every wait is for a condition under a generous deadline; nothing sleeps a fixed time.
 */
final class FrontCluster implements AutoCloseable {

    static final long TICK_MS = 10;
    static final long HEARTBEAT_MS = 50;
    static final long ELECTION_TIMEOUT_MS = 500;
    static final long REQUEST_TIMEOUT_MS = 3_000;
    static final Duration WAIT = Duration.ofSeconds(30);
    static final String TOKEN = "an admin token for tests only";
    static final int INLINE_MAX_BYTES = 4096;
    /** Small, so that tests can pass it cheaply. */
    static final long VALUE_BYTES_MAX = 1024 * 1024;
    static final int HEADER_BYTES_MAX = 4096;
    static final byte[] SECRET = "a cluster secret for tests only".getBytes(StandardCharsets.UTF_8);

    final Map<String, InetSocketAddress> members;
    final Path root;
    final Map<String, ConfmanNode> nodes = new LinkedHashMap<>();
    final Map<String, ConfmanHttpServer> servers = new LinkedHashMap<>();
    private final List<AutoCloseable> toClose = new ArrayList<>();
    int pendingRequestsMax = NodeConfig.PENDING_REQUESTS_MAX_DEFAULT;
    /** The fronts' inline limit and value maximum; a test may change them before starting nodes. */
    int inlineMaxBytes = INLINE_MAX_BYTES;
    long valueBytesMax = VALUE_BYTES_MAX;
    final HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(WAIT).build();

    FrontCluster(Path root, int size) throws IOException {
        this.root = root;
        this.members = LoopbackMembers.of(size);
    }

    /** A loopback address nobody listens on now, never handed out before in this JVM. */
    static InetSocketAddress freeAddress() throws IOException {
        return LoopbackMembers.freeAddress();
    }

    static HttpConfig httpConfig(String adminToken) {
        return httpConfig(adminToken, INLINE_MAX_BYTES, VALUE_BYTES_MAX);
    }

    static HttpConfig httpConfig(String adminToken, int inlineMaxBytes, long valueBytesMax) {
        return httpConfig(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), adminToken, inlineMaxBytes,
                valueBytesMax);
    }

    static HttpConfig httpConfig(InetSocketAddress bind, String adminToken, int inlineMaxBytes, long valueBytesMax) {
        return new HttpConfig(bind, adminToken,
                REQUEST_TIMEOUT_MS, inlineMaxBytes, valueBytesMax, HEADER_BYTES_MAX,
                HttpConfig.CONNECTIONS_MAX_DEFAULT, HttpConfig.IDLE_TIMEOUT_MS_DEFAULT, 60_000);
    }

    FrontCluster startAll() throws IOException {
        for (String id : members.keySet()) {
            start(id);
        }
        return this;
    }

    ConfmanHttpServer start(String id) throws IOException {
        ConfmanNode node = ConfmanNode.start(nodeConfig(id));
        toClose.add(node);
        nodes.put(id, node);
        ConfmanHttpServer server = serve(node, httpConfig(TOKEN, inlineMaxBytes, valueBytesMax));
        servers.put(id, server);
        return server;
    }

    /**
     * Starts every node with its front on a loopback address chosen first and announced to
     * the peers (as {@code confman server} does), so each member can name the others' URLs.
     */
    FrontCluster startAllAnnounced() throws IOException {
        for (String id : members.keySet()) {
            InetSocketAddress bind = freeAddress();
            ConfmanNode node = ConfmanNode.start(nodeConfig(id), "http://127.0.0.1:" + bind.getPort());
            toClose.add(node);
            nodes.put(id, node);
            servers.put(id, serve(node, httpConfig(bind, TOKEN, inlineMaxBytes, valueBytesMax)));
        }
        return this;
    }

    private NodeConfig nodeConfig(String id) {
        return new NodeConfig(id, members, root.resolve(id), SECRET, TICK_MS, HEARTBEAT_MS, ELECTION_TIMEOUT_MS,
                REQUEST_TIMEOUT_MS, 1_000, NodeConfig.INBOX_EVENTS_MAX_DEFAULT, pendingRequestsMax,
                NodeConfig.COMMAND_BYTES_MAX_DEFAULT, NodeConfig.SNAPSHOT_LOG_BYTES_MAX_DEFAULT);
    }

    /** Another front over a running node, closed with the cluster. */
    ConfmanHttpServer serve(ConfmanNode node, HttpConfig config) {
        ConfmanHttpServer server = ConfmanHttpServer.start(node, config);
        toClose.add(0, server); // Fronts close before their nodes.
        return server;
    }

    void stopNode(String id) {
        nodes.remove(id).close();
    }

    /** The id of the node all running nodes agree leads, once they do. */
    String awaitLeader() {
        return await("a leader all running nodes agree on", () -> {
            ConfmanNode leader = Conditions.agreedLeader(nodes.values());
            return leader == null ? null : leader.id();
        });
    }

    static <T> T await(String what, Supplier<T> condition) {
        return Conditions.await(what, WAIT, Duration.ofMillis(TICK_MS), condition);
    }

    URI uri(String id, String pathAndQuery) {
        return uri(servers.get(id), pathAndQuery);
    }

    static URI uri(ConfmanHttpServer server, String pathAndQuery) {
        InetSocketAddress address = server.address();
        return URI.create("http://127.0.0.1:" + address.getPort() + pathAndQuery);
    }

    HttpRequest.Builder request(String id, String pathAndQuery) {
        return HttpRequest.newBuilder(uri(id, pathAndQuery)).timeout(WAIT);
    }

    HttpResponse<String> send(HttpRequest request) throws IOException, InterruptedException {
        return client.send(request, HttpResponse.BodyHandlers.ofString());
    }

    HttpResponse<String> get(String id, String pathAndQuery) throws IOException, InterruptedException {
        return send(request(id, pathAndQuery).GET().build());
    }

    HttpResponse<String> put(String id, String pathAndQuery, String body) throws IOException, InterruptedException {
        return send(request(id, pathAndQuery).PUT(HttpRequest.BodyPublishers.ofString(body)).build());
    }

    @Override
    public void close() throws Exception {
        Exception first = Closeables.closeAll(toClose);
        toClose.clear();
        nodes.clear();
        servers.clear();
        if (first != null) {
            throw first;
        }
    }
}

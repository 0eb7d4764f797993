package io.confman.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.confman.node.ConfmanNode;
import io.confman.node.LiveView;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.HttpURLConnection;
import java.net.URL;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code GET /v1/events} and {@code GET /ui} on a real three-node cluster over real sockets
 * (LIVEVIEW.md): the first frame names every member's URL, states follow the cluster, the
 * leader shows its followers' progress, a leadership transfer shows as events, messages are
 * sampled, and a closed stream leaves no watcher behind.
 */
class LiveHttpTest {

    /** One open event stream read by its own thread into a queue of (event, data) pairs. */
    private static final class Stream implements AutoCloseable {
        record Frame(String event, Map<String, Object> data) {
        }

        final HttpURLConnection connection;
        final BlockingQueue<Frame> frames = new LinkedBlockingQueue<>();
        final Thread reader;

        Stream(String url) throws IOException {
            connection = (HttpURLConnection) new URL(url + "/v1/events").openConnection();
            connection.setReadTimeout((int) FrontCluster.WAIT.toMillis());
            connection.connect();
            assertEquals(200, connection.getResponseCode());
            reader = new Thread(this::read, "sse-reader");
            reader.setDaemon(true);
            reader.start();
        }

        private void read() {
            try (BufferedReader in = new BufferedReader(new InputStreamReader(connection.getInputStream(),
                    StandardCharsets.UTF_8))) {
                String event = null;
                for (String line = in.readLine(); line != null; line = in.readLine()) {
                    if (line.startsWith("event: ")) {
                        event = line.substring(7);
                    } else if (line.startsWith("data: ")) {
                        frames.add(new Frame(event, JsonTree.object(line.substring(6))));
                    }
                }
            } catch (IOException closed) {
                // The test closed the stream.
            }
        }

        /** The first frame of {@code event} that {@code test} accepts, waiting up to the cluster's deadline. */
        Frame await(String event, Predicate<Map<String, Object>> test) throws InterruptedException {
            long deadline = System.nanoTime() + FrontCluster.WAIT.toNanos();
            while (System.nanoTime() < deadline) {
                Frame frame = frames.poll(100, TimeUnit.MILLISECONDS);
                if (frame != null && frame.event().equals(event) && test.test(frame.data())) {
                    return frame;
                }
            }
            throw new AssertionError("no '" + event + "' frame as expected within " + FrontCluster.WAIT);
        }

        @Override
        public void close() {
            connection.disconnect();
        }
    }

    @Test
    void streamsTheClusterAsItChanges(@TempDir Path dir) throws Exception {
        try (FrontCluster cluster = new FrontCluster(dir, 3).startAllAnnounced()) {
            String leader = cluster.awaitLeader();
            String follower = cluster.nodes.keySet().stream().filter(id -> !id.equals(leader)).findFirst().get();
            Map<String, String> urls = new java.util.TreeMap<>();
            cluster.servers.forEach((id, server) -> urls.put(id, FrontCluster.uri(server, "").toString()));
            // Peers learn each other's URL in the handshake, which may still be under way.
            FrontCluster.await("every member's URL known to " + follower,
                    () -> cluster.nodes.get(follower).memberClientUrls().equals(urls) ? true : null);

            HttpResponse<String> head = cluster.send(cluster.request(follower, "/v1/events")
                    .method("HEAD", java.net.http.HttpRequest.BodyPublishers.noBody()).build());
            assertEquals(405, head.statusCode(), "the stream is GET only");

            try (Stream followerStream = new Stream(urls.get(follower));
                 Stream leaderStream = new Stream(urls.get(leader))) {
                assertEquals("text/event-stream; charset=utf-8",
                        followerStream.connection.getHeaderField("Content-Type"));
                assertEquals("*", followerStream.connection.getHeaderField("Access-Control-Allow-Origin"));
                Map<String, Object> hello = followerStream.await("hello", data -> true).data();
                assertEquals(follower, hello.get("node"));
                assertEquals(urls, hello.get("members"), "the first frame names every member's URL");
                assertEquals(FrontCluster.ELECTION_TIMEOUT_MS, ((Number) hello.get("election_timeout_ms")).longValue());

                HttpResponse<String> put = cluster.put(leader, "/v1/kv/app/colour", "blue");
                assertEquals(201, put.statusCode(), put.body());
                // The write's entry is the last in the leader's log once the put is answered.
                long index = cluster.nodes.get(leader).status().lastIndex();

                Map<String, Object> state = followerStream.await("state", data ->
                        ((Number) data.get("applied")).longValue() >= index).data();
                assertEquals("FOLLOWER", state.get("role"));
                assertEquals(leader, state.get("leader"));
                assertTrue(((List<?>) state.get("log")).stream().anyMatch(entry ->
                                ((Number) ((List<?>) entry).get(0)).longValue() == index
                                        && "normal".equals(((List<?>) entry).get(2))),
                        "the follower's recent log shows the write's entry: " + state.get("log"));

                Map<String, Object> leaderState = leaderStream.await("state", data -> {
                    Map<?, ?> progress = (Map<?, ?>) data.get("progress");
                    return progress.size() >= 2 && progress.values().stream().allMatch(p ->
                            ((Number) ((Map<?, ?>) p).get("match")).longValue() >= index);
                }).data();
                assertEquals("LEADER", leaderState.get("role"));
                assertNotNull(((Map<?, ?>) leaderState.get("fsync_ms")).get("p99"));

                Map<String, Object> message = leaderStream.await("message", data -> true).data();
                assertEquals(leader, message.get("from"));

                HttpResponse<String> transfer = cluster.send(cluster.request(leader,
                                "/v1/admin/transfer-leader?to=" + follower)
                        .header("Authorization", "Bearer " + FrontCluster.TOKEN)
                        .POST(java.net.http.HttpRequest.BodyPublishers.noBody()).build());
                assertEquals(200, transfer.statusCode(), transfer.body());
                leaderStream.await("event", data -> "role-change".equals(data.get("kind"))
                        && "FOLLOWER".equals(data.get("role")));
                followerStream.await("event", data -> "leader-change".equals(data.get("kind"))
                        && follower.equals(data.get("leader")));
            }
            ConfmanNode watched = cluster.nodes.get(follower);
            FrontCluster.await("no watcher left once the streams closed",
                    () -> watched.liveView().watcherCount() == 0 ? true : null);
        }
    }

    @Test
    void samplesMessagesAtMostAtTheirRate(@TempDir Path dir) throws Exception {
        try (FrontCluster cluster = new FrontCluster(dir, 3).startAllAnnounced()) {
            String leader = cluster.awaitLeader();
            try (Stream stream = new Stream(FrontCluster.uri(cluster.servers.get(leader), "").toString())) {
                stream.await("hello", data -> true);
                long start = System.nanoTime();
                List<Long> times = new ArrayList<>();
                // Heartbeats alone are 2 x 20 a second at this heartbeat: more than the cap.
                while (times.size() < 3 * LiveView.MESSAGES_PER_S) {
                    times.add(((Number) stream.await("message", data -> true).data().get("t")).longValue());
                }
                double seconds = (System.nanoTime() - start) / 1e9;
                assertTrue(seconds >= 1.5, 3 * LiveView.MESSAGES_PER_S + " samples came in " + seconds
                        + " s; at most " + LiveView.MESSAGES_PER_S + " a second may");
            }
        }
    }

    @Test
    void servesThePageWithItsPolicy(@TempDir Path dir) throws Exception {
        try (FrontCluster cluster = new FrontCluster(dir, 1).startAll()) {
            String id = cluster.awaitLeader();
            HttpResponse<String> page = cluster.get(id, "/ui");
            assertEquals(200, page.statusCode(), page.body());
            assertTrue(page.headers().firstValue("Content-Type").orElse("").startsWith("text/html"));
            assertTrue(page.body().contains("/ui/app.js"), "the page loads its script from the node");
            assertTrue(page.headers().firstValue("Content-Security-Policy").orElse("").contains("script-src 'self'"));
            for (String asset : List.of("/ui/app.js", "/ui/style.css")) {
                HttpResponse<String> file = cluster.get(id, asset);
                assertEquals(200, file.statusCode(), asset);
                assertTrue(file.body().length() > 100, asset);
            }
            assertEquals(404, cluster.get(id, "/ui/other.js").statusCode());
            assertEquals(405, cluster.send(cluster.request(id, "/ui")
                    .PUT(java.net.http.HttpRequest.BodyPublishers.ofString("x")).build()).statusCode());
        }
    }
}

package io.confman.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.confman.raft.Role;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The front over three nodes: leader headers, no leader, overload and outcome unknown. */
class HttpClusterTest {

    @TempDir
    Path dir;
    private FrontCluster cluster;

    @AfterEach
    void closeAll() throws Exception {
        if (cluster != null) {
            cluster.close();
        }
    }

    @Test
    void everyNodeNamesItselfTheTermAndTheLeader() throws Exception {
        cluster = new FrontCluster(dir, 3).startAll();
        String leader = cluster.awaitLeader();
        HttpResponse<String> written = cluster.put(leader, "/v1/kv/app/k", "v");
        assertEquals(201, written.statusCode(), written.body());
        long term = cluster.nodes.get(leader).status().term();
        for (String id : List.of("n1", "n2", "n3")) {
            HttpResponse<String> status = cluster.get(id, "/v1/status");
            assertEquals(id, status.headers().firstValue("Confman-Node").orElseThrow());
            assertEquals(leader, status.headers().firstValue("Confman-Leader").orElseThrow());
            assertEquals(String.valueOf(term), status.headers().firstValue("Confman-Term").orElseThrow());
            Map<String, Object> json = JsonTree.object(status.body());
            assertEquals(List.of("n1", "n2", "n3"), json.get("members"));
            assertEquals(id.equals(leader) ? "leader" : "follower", json.get("role"));
            // A stale read on any node sees the write once it is applied there.
            FrontCluster.await("the write applied on " + id, () -> {
                try {
                    HttpResponse<String> read = cluster.get(id, "/v1/kv/app/k?consistency=stale");
                    return read.statusCode() == 200 ? read : null;
                } catch (Exception e) {
                    throw new AssertionError(e);
                }
            });
            FrontCluster.await("ready " + id, () -> {
                try {
                    return cluster.get(id, "/readyz").statusCode() == 200 ? Boolean.TRUE : null;
                } catch (Exception e) {
                    throw new AssertionError(e);
                }
            });
        }
    }

    @Test
    void withoutALeaderWritesAndReadsGet503() throws Exception {
        cluster = new FrontCluster(dir, 3);
        cluster.start("n1"); // One of three: it never wins an election.
        HttpResponse<String> write = cluster.put("n1", "/v1/kv/app/k", "v");
        assertEquals(503, write.statusCode(), write.body());
        assertEquals("no_leader", JsonTree.errorCode(write.body()));
        assertEquals("1", write.headers().firstValue("Retry-After").orElseThrow());
        assertEquals("", write.headers().firstValue("Confman-Leader").orElseThrow());
        HttpResponse<String> read = cluster.get("n1", "/v1/kv/app/k");
        assertEquals(503, read.statusCode(), read.body());
        assertTrue(read.headers().firstValue("Retry-After").isPresent());
        assertEquals(404, cluster.get("n1", "/v1/kv/app/k?consistency=stale").statusCode(),
                "a stale read is served locally");

        HttpResponse<String> ready = cluster.get("n1", "/readyz");
        assertEquals(503, ready.statusCode());
        Map<String, Object> json = JsonTree.object(ready.body());
        assertEquals(false, json.get("ready"));
        assertTrue(((String) json.get("reason")).contains("no leader"), ready.body());
        assertTrue(cluster.get("n1", "/metrics").body().contains("\nconfman_server_has_leader 0"));
        assertEquals(200, cluster.get("n1", "/livez").statusCode());
    }

    @Test
    void aWriteWithoutQuorumIsOutcomeUnknownAndAFullNodeIsOverloaded() throws Exception {
        cluster = new FrontCluster(dir, 3);
        cluster.pendingRequestsMax = 1;
        cluster.startAll();
        String leader = cluster.awaitLeader();
        assertEquals(201, cluster.put(leader, "/v1/kv/app/k", "v1").statusCode());
        for (String id : Set.copyOf(cluster.nodes.keySet())) {
            if (!id.equals(leader)) {
                cluster.stopNode(id);
            }
        }
        // Without a quorum the first write cannot commit and holds the node's only slot.
        CompletableFuture<HttpResponse<String>> first = cluster.client.sendAsync(
                cluster.request(leader, "/v1/kv/app/k").PUT(HttpRequest.BodyPublishers.ofString("v2")).build(),
                HttpResponse.BodyHandlers.ofString());
        FrontCluster.await("the first write pending, or the leader stepped down", () ->
                cluster.nodes.get(leader).status().lastIndex() >= 3
                        || cluster.nodes.get(leader).status().role() != Role.LEADER ? Boolean.TRUE : null);
        HttpResponse<String> second = cluster.put(leader, "/v1/kv/app/k", "v3");
        HttpResponse<String> firstResponse = first.get();
        if (firstResponse.statusCode() == 503) {
            // The leader stepped down (check-quorum) before the first write reached it.
            assertEquals("no_leader", JsonTree.errorCode(firstResponse.body()));
            assertEquals(503, second.statusCode());
        } else {
            assertEquals(504, firstResponse.statusCode(), firstResponse.body());
            assertEquals("outcome_unknown", JsonTree.errorCode(firstResponse.body()));
            assertTrue(second.statusCode() == 429 || second.statusCode() == 503, second.body());
            if (second.statusCode() == 429) {
                assertEquals("overloaded", JsonTree.errorCode(second.body()));
                assertEquals("1", second.headers().firstValue("Retry-After").orElseThrow());
            }
        }
    }
}

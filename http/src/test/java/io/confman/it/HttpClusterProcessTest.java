package io.confman.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.CleanupMode;
import org.junit.jupiter.api.io.TempDir;

/**
 * A three-node cluster of real processes, used only through its HTTP API: writes through a
 * follower, reads from every node, a crashed leader ({@code kill -9}) replaced and caught
 * up, and every acknowledged write surviving a crash of the whole cluster. Run
 * these alone with {@code -Dgroups=process}.
 */
@Tag("process")
class HttpClusterProcessTest {

    private static final String NS = "app";

    @TempDir(cleanup = CleanupMode.ON_SUCCESS) // A failed run keeps its node logs.
    Path root;

    private ProcessCluster cluster;

    @BeforeEach
    void startCluster() throws Exception {
        cluster = new ProcessCluster(root, 3, List.of());
        cluster.startAll();
        cluster.awaitReady();
    }

    @AfterEach
    void killCluster() {
        cluster.close();
    }

    private String follower(String leader) {
        return cluster.ids().stream().filter(id -> !id.equals(leader)).findFirst().orElseThrow();
    }

    private void assertAcknowledged(HttpResponse<String> response) {
        assertTrue(response.statusCode() == 200 || response.statusCode() == 201,
                "HTTP " + response.statusCode() + ": " + response.body());
    }

    @Test
    void aWriteThroughAFollowerIsReadFromEveryNode() throws Exception {
        String leader = cluster.awaitLeader();
        HttpResponse<String> put = cluster.put(follower(leader), NS, "greeting", "hello");
        assertEquals(201, put.statusCode(), put.body());
        assertEquals(leader, put.headers().firstValue("Confman-Leader").orElse(null));
        for (String id : cluster.ids()) {
            // Linearizable by default: a follower's read goes through the leader's ReadIndex.
            assertEquals(Optional.of("hello"), cluster.value(id, NS, "greeting", false), "linearizable read on " + id);
            cluster.await("the write applied on " + id,
                    () -> cluster.value(id, NS, "greeting", true).equals(Optional.of("hello")));
        }
    }

    @Test
    void aNewLeaderServesTheDataAndTheKilledOneCatchesUp() throws Exception {
        String oldLeader = cluster.awaitLeader();
        assertAcknowledged(cluster.put(oldLeader, NS, "before", "v1"));
        cluster.kill(oldLeader);

        String newLeader = cluster.awaitLeader();
        assertNotEquals(oldLeader, newLeader);
        assertEquals(Optional.of("v1"), cluster.value(newLeader, NS, "before", false));
        String survivingFollower = cluster.ids().stream()
                .filter(id -> !id.equals(oldLeader) && !id.equals(newLeader)).findFirst().orElseThrow();
        assertAcknowledged(cluster.put(survivingFollower, NS, "after", "v2"));

        cluster.start(oldLeader);
        cluster.awaitReady();
        cluster.await("the restarted node catching up",
                () -> cluster.value(oldLeader, NS, "after", true).equals(Optional.of("v2")));
        assertEquals(Optional.of("v1"), cluster.value(oldLeader, NS, "before", true));
    }

    @Test
    void everyAcknowledgedWriteSurvivesACrashOfTheWholeCluster() throws Exception {
        Map<String, String> acknowledged = new LinkedHashMap<>();
        for (int i = 0; i < 60; i++) {
            String id = cluster.ids().get(i % 3);
            String key = "key-" + i;
            String value = "value-" + i;
            HttpResponse<String> put = cluster.put(id, NS, key, value);
            if (put.statusCode() / 100 == 2) {
                acknowledged.put(key, value);
            }
        }
        assertEquals(60, acknowledged.size(), "a healthy cluster acknowledges every write");
        for (String id : cluster.ids()) {
            cluster.kill(id);
        }
        cluster.startAll();
        cluster.awaitReady();
        for (String id : cluster.ids()) {
            for (Map.Entry<String, String> write : acknowledged.entrySet()) {
                assertEquals(Optional.of(write.getValue()), cluster.value(id, NS, write.getKey(), false),
                        write.getKey() + " on " + id);
            }
        }
    }
}

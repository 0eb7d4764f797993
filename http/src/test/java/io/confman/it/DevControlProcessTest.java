package io.confman.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.confman.testing.Conditions;
import java.io.IOException;
import java.net.ConnectException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.CleanupMode;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code confman dev}'s controller against a real three-node cluster: the peer links go
 * through proxies, so isolating the leader makes the others elect another; a stopped node
 * refuses connections and comes back ready when restarted; a paused node accepts and never
 * answers until resumed; the token, the errors and CORS are as documented; and SIGTERM
 * leaves no process behind, a paused one included.
 */
@Tag("process")
class DevControlProcessTest {

    private static final Pattern LIVE_VIEW = Pattern.compile("live view: (http://127\\.0\\.0\\.1:\\d+)/ui");
    private static final Pattern NODE = Pattern.compile("(n\\d)  client (http://127\\.0\\.0\\.1:\\d+)");

    @TempDir(cleanup = CleanupMode.ON_SUCCESS) // A failed run keeps its node logs.
    Path dir;

    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2))
            .version(HttpClient.Version.HTTP_1_1).build();
    private String controller;
    private String token;
    private final Map<String, String> urls = new LinkedHashMap<>();

    @Test
    void controlsNodesThroughTheControllerAndLeavesNothingBehind() throws Exception {
        Path out = dir.resolve("dev.out");
        Process dev = ProcessCluster.startDev(out, "--nodes", "3", "--data", dir.toString());
        List<ProcessHandle> children = new ArrayList<>();
        try {
            Conditions.await("dev ready", ProcessCluster.READY_DEADLINE, Duration.ofMillis(ProcessCluster.POLL_MS),
                    () -> read(out).contains("ready; leader n") ? Boolean.TRUE : null);
            String printed = read(out);
            Matcher liveView = LIVE_VIEW.matcher(printed);
            assertTrue(liveView.find(), printed);
            controller = liveView.group(1);
            Matcher nodes = NODE.matcher(printed);
            while (nodes.find()) {
                urls.put(nodes.group(1), nodes.group(2));
            }
            assertEquals(List.of("n1", "n2", "n3"), List.copyOf(urls.keySet()), printed);
            token = Files.readString(dir.resolve("admin-token")).strip();
            children.addAll(dev.descendants().toList());
            nodesAreStartedForTheController(children);

            refusals();
            isolatingTheLeaderElectsAnother();
            stopRefusesConnectionsAndRestartComesBackReady();
            pauseFreezesTheNodeUntilResumed();

            // Left paused: stopping dev must still end it.
            assertEquals(200, action("n1", "pause").statusCode());
            children.clear();
            children.addAll(dev.descendants().toList());
            assertEquals(3, children.size(), "one process per node: " + children);
            dev.destroy();
            assertTrue(dev.waitFor(ProcessCluster.DEADLINE.toSeconds(), TimeUnit.SECONDS), "dev stops on SIGTERM");
            for (ProcessHandle child : children) {
                assertFalse(child.isAlive(), "node process " + child.pid() + " left behind");
            }
            String all = read(out);
            assertTrue(all.contains("stopped 3 node(s)"), all);
            assertFalse(all.contains("exited with status"), "a stop by the controller is no death: " + all);
            assertThrows(ConnectException.class, () -> get(controller + "/dev/cluster", Duration.ofSeconds(5)),
                    "the controller is closed");
        } finally {
            children.forEach(ProcessHandle::destroyForcibly);
            dev.descendants().forEach(ProcessHandle::destroyForcibly);
            dev.destroyForcibly();
            ProcessCluster.untrack(dev);
        }
    }

    /** Each node dials its peers through proxies and knows the controller's URL. */
    private void nodesAreStartedForTheController(List<ProcessHandle> children) throws IOException {
        assertEquals(3, children.size(), "one process per node: " + children);
        for (ProcessHandle child : children) {
            String environment = Files.readString(Path.of("/proc", Long.toString(child.pid()), "environ"),
                    StandardCharsets.UTF_8);
            assertTrue(environment.contains("CONFMAN_DEV_CONTROL=" + controller + "\0"), "pid " + child.pid());
            String commandLine = Files.readString(Path.of("/proc", Long.toString(child.pid()), "cmdline"),
                    StandardCharsets.UTF_8);
            assertTrue(commandLine.contains("\0--peer-dial\0"), commandLine);
        }
        String cluster = get(controller + "/dev/cluster", Duration.ofSeconds(10)).body();
        for (Map.Entry<String, String> node : urls.entrySet()) {
            assertTrue(cluster.contains("\"" + node.getKey() + "\":{\"url\":\"" + node.getValue()
                    + "\",\"state\":\"running\"}"), cluster);
        }
    }

    private void refusals() throws Exception {
        HttpResponse<String> noToken = send(HttpRequest.newBuilder(URI.create(controller + "/dev/nodes/n1/stop"))
                .POST(HttpRequest.BodyPublishers.noBody()), Duration.ofSeconds(10));
        assertEquals(401, noToken.statusCode(), noToken.body());
        HttpResponse<String> wrong = send(HttpRequest.newBuilder(URI.create(controller + "/dev/nodes/n1/stop"))
                .header("Authorization", "Bearer " + token + "0").POST(HttpRequest.BodyPublishers.noBody()),
                Duration.ofSeconds(10));
        assertEquals(403, wrong.statusCode(), wrong.body());
        assertEquals(404, action("n9", "stop").statusCode());
        assertEquals(404, action("n1", "explode").statusCode());
        HttpResponse<String> running = action("n1", "restart");
        assertEquals(400, running.statusCode());
        assertTrue(running.body().startsWith("{\"error\":{\"code\":"), running.body());
        assertEquals(405, get(controller + "/dev/nodes/n1/stop", Duration.ofSeconds(10)).statusCode());
        assertEquals("running", state("n1"), "nothing refused was done");

        HttpResponse<String> preflight = send(HttpRequest.newBuilder(URI.create(controller + "/dev/nodes/n1/stop"))
                .method("OPTIONS", HttpRequest.BodyPublishers.noBody()).header("Origin", urls.get("n2"))
                .header("Access-Control-Request-Method", "POST")
                .header("Access-Control-Request-Headers", "authorization"), Duration.ofSeconds(10));
        assertEquals(204, preflight.statusCode());
        assertEquals(Optional.of(urls.get("n2")), preflight.headers().firstValue("Access-Control-Allow-Origin"));
        assertEquals(Optional.of("GET, POST"), preflight.headers().firstValue("Access-Control-Allow-Methods"));
        assertEquals(Optional.of("Authorization"), preflight.headers().firstValue("Access-Control-Allow-Headers"));
    }

    private void isolatingTheLeaderElectsAnother() throws Exception {
        String leader = awaitAgreedLeader();
        HttpResponse<String> isolated = action(leader, "isolate");
        assertEquals(200, isolated.statusCode(), isolated.body());
        assertEquals("{\"ok\":true,\"state\":\"isolated\"}", isolated.body());
        assertEquals("isolated", state(leader));
        String[] elected = new String[1];
        Await.until("another leader than the isolated " + leader, () -> {
            for (String id : urls.keySet()) {
                Optional<String> status = status(id);
                if (!id.equals(leader) && status.isPresent() && "leader".equals(ProcessCluster.jsonString(status.get(),
                        "role"))) {
                    elected[0] = id;
                    return true;
                }
            }
            return false;
        });
        assertNotEquals(leader, elected[0]);

        assertEquals("{\"ok\":true,\"state\":\"running\"}", action(leader, "heal").body());
        assertNotNull(awaitAgreedLeader(), "the healed node rejoins");
    }

    private void stopRefusesConnectionsAndRestartComesBackReady() throws Exception {
        String victim = "n3";
        HttpResponse<String> stopped = action(victim, "stop");
        assertEquals("{\"ok\":true,\"state\":\"stopped\"}", stopped.body());
        assertEquals("stopped", state(victim));
        assertThrows(ConnectException.class, () -> get(urls.get(victim) + "/livez", Duration.ofSeconds(5)));
        assertEquals(400, action(victim, "pause").statusCode(), "a stopped node is not paused");

        assertEquals("{\"ok\":true,\"state\":\"running\"}", action(victim, "restart").body());
        Conditions.await(victim + " ready after its restart", ProcessCluster.READY_DEADLINE,
                Duration.ofMillis(ProcessCluster.POLL_MS), () -> {
                    try {
                        return get(urls.get(victim) + "/readyz", Duration.ofSeconds(2)).statusCode() == 200
                                ? Boolean.TRUE : null;
                    } catch (IOException notYet) {
                        return null;
                    }
                });
    }

    private void pauseFreezesTheNodeUntilResumed() throws Exception {
        String victim = "n2";
        assertEquals("{\"ok\":true,\"state\":\"paused\"}", action(victim, "pause").body());
        assertEquals("paused", state(victim));
        assertThrows(HttpTimeoutException.class, () -> get(urls.get(victim) + "/livez", Duration.ofSeconds(1)));
        assertEquals("{\"ok\":true,\"state\":\"running\"}", action(victim, "resume").body());
        Await.until(victim + " answers /livez after resuming", () -> {
            try {
                return get(urls.get(victim) + "/livez", Duration.ofSeconds(2)).statusCode() == 200;
            } catch (IOException notYet) {
                return false;
            }
        });
    }

    /** The leader every node names in /v1/status, once they agree. */
    private String awaitAgreedLeader() throws InterruptedException {
        String[] leader = new String[1];
        Await.until("one leader named by every node", () -> {
            String named = null;
            for (String id : urls.keySet()) {
                String one = status(id).map(body -> ProcessCluster.jsonString(body, "leader")).orElse(null);
                if (one == null || (named != null && !named.equals(one))) {
                    return false;
                }
                named = one;
            }
            leader[0] = named;
            return true;
        });
        return leader[0];
    }

    private Optional<String> status(String id) {
        try {
            HttpResponse<String> response = get(urls.get(id) + "/v1/status", Duration.ofSeconds(2));
            return response.statusCode() == 200 ? Optional.of(response.body()) : Optional.empty();
        } catch (IOException notAnswering) {
            return Optional.empty();
        }
    }

    private String state(String id) throws IOException {
        String cluster = get(controller + "/dev/cluster", Duration.ofSeconds(10)).body();
        Matcher m = Pattern.compile("\"" + id + "\":\\{\"url\":\"[^\"]*\",\"state\":\"([a-z]+)\"").matcher(cluster);
        assertTrue(m.find(), cluster);
        return m.group(1);
    }

    private HttpResponse<String> action(String id, String action) throws IOException {
        return send(HttpRequest.newBuilder(URI.create(controller + "/dev/nodes/" + id + "/" + action))
                .header("Authorization", "Bearer " + token).POST(HttpRequest.BodyPublishers.noBody()),
                Duration.ofSeconds(30));
    }

    private HttpResponse<String> get(String url, Duration timeout) throws IOException {
        return send(HttpRequest.newBuilder(URI.create(url)), timeout);
    }

    private HttpResponse<String> send(HttpRequest.Builder request, Duration timeout) throws IOException {
        try {
            return http.send(request.timeout(timeout).build(), HttpResponse.BodyHandlers.ofString());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted", e);
        }
    }

    private static String read(Path file) {
        try {
            return Files.exists(file) ? Files.readString(file) : "";
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }
}

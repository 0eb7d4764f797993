package io.confman.devctl;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.net.ConnectException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** The controller's listener on a real socket: answers, headers and bodies as the routes give them. */
class DevControllerTest {

    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    private static final Controls ONE_MEMBER = new Controls() {
        @Override
        public List<Member> members() {
            return List.of(new Member("n1", "http://127.0.0.1:20001", NodeState.RUNNING));
        }

        @Override
        public NodeState act(String id, Action action) {
            throw new IllegalStateException("a bug in an action");
        }
    };

    private HttpResponse<String> send(HttpRequest.Builder request) throws IOException, InterruptedException {
        return http.send(request.timeout(Duration.ofSeconds(10)).build(), HttpResponse.BodyHandlers.ofString());
    }

    @Test
    void servesTheRoutesAndClosesItsPort() throws Exception {
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        DevController controller = DevController.bind(0, new PrintStream(err, true));
        String url = controller.url();
        try {
            controller.serve(new ControlRoutes(ONE_MEMBER, "token", Set.of(url), name -> null));
            HttpResponse<String> cluster = send(HttpRequest.newBuilder(URI.create(url + "/dev/cluster")));
            assertEquals(200, cluster.statusCode());
            assertEquals("{\"members\":{\"n1\":{\"url\":\"http://127.0.0.1:20001\",\"state\":\"running\"}}}",
                    cluster.body());
            assertEquals(Optional.of("application/json"), cluster.headers().firstValue("Content-Type"));

            HttpResponse<String> preflight = send(HttpRequest.newBuilder(URI.create(url + "/dev/nodes/n1/stop"))
                    .method("OPTIONS", HttpRequest.BodyPublishers.noBody()).header("Origin", url)
                    .header("Access-Control-Request-Method", "POST"));
            assertEquals(204, preflight.statusCode());
            assertEquals(Optional.of(url), preflight.headers().firstValue("Access-Control-Allow-Origin"));
            assertEquals(Optional.of("Authorization"), preflight.headers().firstValue("Access-Control-Allow-Headers"));

            HttpResponse<String> page = send(HttpRequest.newBuilder(URI.create(url + "/ui")));
            assertEquals(404, page.statusCode());
            assertTrue(page.body().contains("io/confman/ui/index.html"), page.body());

            HttpResponse<String> bug = send(HttpRequest.newBuilder(URI.create(url + "/dev/nodes/n1/stop"))
                    .header("Authorization", "Bearer token").POST(HttpRequest.BodyPublishers.noBody()));
            assertEquals(500, bug.statusCode());
            assertTrue(err.toString().contains("a bug in an action"), "a bug is reported, not swallowed: " + err);
        } finally {
            controller.close();
        }
        assertThrows(ConnectException.class, () -> send(HttpRequest.newBuilder(URI.create(url + "/dev/cluster"))));
    }

    @Test
    void closesWithoutHavingServed() throws Exception {
        DevController controller = DevController.bind(0, System.err);
        String url = controller.url();
        controller.close();
        assertThrows(ConnectException.class, () -> send(HttpRequest.newBuilder(URI.create(url + "/dev/cluster"))));
    }
}

package io.confman.devctl;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** The controller's routes without sockets: the answers, the token check, CORS and the page. */
class ControlRoutesTest {

    private static final String TOKEN = "s3cret-token";
    private static final String N1 = "http://127.0.0.1:20001";
    private static final String N2 = "http://127.0.0.1:20002";
    private static final String SELF = "http://127.0.0.1:20200";

    /** Two members whose states the actions change, recording every action it was asked for. */
    private static final class FakeControls implements Controls {
        final Map<String, NodeState> states = new LinkedHashMap<>(Map.of("n1", NodeState.RUNNING));
        final List<String> acted = new ArrayList<>();

        FakeControls() {
            states.put("n2", NodeState.STOPPED);
        }

        @Override
        public List<Member> members() {
            return List.of(new Member("n1", N1, states.get("n1")), new Member("n2", N2, states.get("n2")));
        }

        @Override
        public NodeState act(String id, Action action) throws ControlException {
            acted.add(id + " " + action.wireName());
            if (action == Action.RESTART && states.get(id) != NodeState.STOPPED) {
                throw ControlException.notApplicable(id + " is running; stop it first");
            }
            NodeState after = action == Action.STOP ? NodeState.STOPPED : NodeState.RUNNING;
            states.put(id, after);
            return after;
        }
    }

    private final FakeControls controls = new FakeControls();
    private final Map<String, byte[]> page = new LinkedHashMap<>(Map.of(
            "index.html", "<html>".getBytes(StandardCharsets.UTF_8)));
    private final ControlRoutes routes = new ControlRoutes(controls, TOKEN, Set.of(N1, N2, SELF), page::get);

    private ControlRoutes.Answer call(String method, String path, String authorization, String origin)
            throws InterruptedException {
        return routes.handle(new ControlRoutes.Request(method, path, authorization, origin));
    }

    private ControlRoutes.Answer post(String path, String authorization) throws InterruptedException {
        return call("POST", path, authorization, null);
    }

    @Test
    void clusterListsEveryMemberWithItsUrlAndStateWithoutAToken() throws Exception {
        ControlRoutes.Answer answer = call("GET", "/dev/cluster", null, null);
        assertEquals(200, answer.status());
        assertEquals("application/json", answer.headers().get("Content-Type"));
        assertEquals("{\"members\":{\"n1\":{\"url\":\"" + N1 + "\",\"state\":\"running\"},\"n2\":{\"url\":\""
                + N2 + "\",\"state\":\"stopped\"}}}", answer.text());
    }

    @Test
    void anActionWithTheTokenAnswersTheNewState() throws Exception {
        ControlRoutes.Answer answer = post("/dev/nodes/n1/stop", "Bearer " + TOKEN);
        assertEquals(200, answer.status(), answer.text());
        assertEquals("{\"ok\":true,\"state\":\"stopped\"}", answer.text());
        assertEquals(List.of("n1 stop"), controls.acted);
        assertEquals(200, post("/dev/nodes/n1/restart", "bearer  " + TOKEN + " ").status(),
                "the scheme in any case, the token trimmed, as the nodes take it");
    }

    @Test
    void withoutTheTokenNothingIsDone() throws Exception {
        ControlRoutes.Answer missing = post("/dev/nodes/n1/stop", null);
        assertEquals(401, missing.status());
        assertEquals("Bearer realm=\"confman\"", missing.headers().get("WWW-Authenticate"));
        assertTrue(missing.text().startsWith("{\"error\":{\"code\":\"unauthorized\",\"message\":"), missing.text());
        assertEquals(401, post("/dev/nodes/n1/stop", "Basic " + TOKEN).status());
        assertEquals(401, post("/dev/nodes/n1/stop", "Bearer ").status());

        ControlRoutes.Answer wrong = post("/dev/nodes/n1/stop", "Bearer " + TOKEN + "x");
        assertEquals(403, wrong.status());
        assertEquals("{\"error\":{\"code\":\"forbidden\",\"message\":\"wrong admin token\"}}", wrong.text());
        assertEquals(401, post("/dev/nodes/n9/bogus", null).status(), "the token is checked first");
        assertEquals(List.of(), controls.acted);
    }

    @Test
    void unknownMembersActionsAndPathsAre404() throws Exception {
        String bearer = "Bearer " + TOKEN;
        for (String path : List.of("/dev/nodes/n9/stop", "/dev/nodes/n1/explode", "/dev/nodes/n1", "/dev/nodes/n1/stop/x",
                "/dev/nodes//stop")) {
            ControlRoutes.Answer answer = post(path, bearer);
            assertEquals(404, answer.status(), path);
            assertTrue(answer.text().contains("\"code\":\"not_found\""), answer.text());
        }
        assertEquals(404, call("GET", "/", null, null).status());
        assertEquals(404, call("GET", "/dev/cluster/", null, null).status());
        assertEquals(List.of(), controls.acted);
    }

    @Test
    void anActionThatDoesNotApplyIs400() throws Exception {
        ControlRoutes.Answer answer = post("/dev/nodes/n1/restart", "Bearer " + TOKEN);
        assertEquals(400, answer.status());
        assertEquals("{\"error\":{\"code\":\"not_applicable\",\"message\":\"n1 is running; stop it first\"}}",
                answer.text());
    }

    @Test
    void aWrongMethodIs405WithAllow() throws Exception {
        ControlRoutes.Answer get = call("GET", "/dev/nodes/n1/stop", "Bearer " + TOKEN, null);
        assertEquals(405, get.status());
        assertEquals("POST, OPTIONS", get.headers().get("Allow"));
        ControlRoutes.Answer post = call("POST", "/dev/cluster", null, null);
        assertEquals(405, post.status());
        assertEquals("GET, OPTIONS", post.headers().get("Allow"));
        assertEquals(405, call("DELETE", "/ui", null, null).status());
        assertEquals(List.of(), controls.acted);
    }

    @Test
    void corsEchoesAMembersOriginOrTheControllersOwnAndNoOther() throws Exception {
        for (String origin : List.of(N1, N2, SELF)) {
            ControlRoutes.Answer preflight = call("OPTIONS", "/dev/nodes/n1/stop", null, origin);
            assertEquals(204, preflight.status());
            assertEquals(0, preflight.body().length);
            assertEquals(origin, preflight.headers().get("Access-Control-Allow-Origin"));
            assertEquals("GET, POST", preflight.headers().get("Access-Control-Allow-Methods"));
            assertEquals("Authorization", preflight.headers().get("Access-Control-Allow-Headers"));
            assertEquals("Origin", preflight.headers().get("Vary"));
        }
        assertEquals(List.of(), controls.acted, "a preflight does nothing");
        assertEquals(N1, call("GET", "/dev/cluster", null, N1).headers().get("Access-Control-Allow-Origin"));
        assertEquals(N2, call("POST", "/dev/nodes/n1/stop", null, N2).headers().get("Access-Control-Allow-Origin"),
                "on a refusal too, so that the page can read why");

        for (String origin : List.of("http://evil.example", "http://localhost:20001", "null")) {
            ControlRoutes.Answer preflight = call("OPTIONS", "/dev/cluster", null, origin);
            assertEquals(204, preflight.status());
            assertNull(preflight.headers().get("Access-Control-Allow-Origin"), origin);
            assertNull(preflight.headers().get("Access-Control-Allow-Methods"), origin);
            assertNull(call("GET", "/dev/cluster", null, origin).headers().get("Access-Control-Allow-Origin"));
        }
        assertNull(call("GET", "/dev/cluster", null, null).headers().get("Access-Control-Allow-Origin"));
    }

    @Test
    void servesThePageAndSaysSoWhenAFileIsMissing() throws Exception {
        ControlRoutes.Answer index = call("GET", "/ui", null, null);
        assertEquals(200, index.status());
        assertEquals("text/html; charset=utf-8", index.headers().get("Content-Type"));
        assertArrayEquals("<html>".getBytes(StandardCharsets.UTF_8), index.body());

        ControlRoutes.Answer script = call("GET", "/ui/app.js", null, null);
        assertEquals(404, script.status());
        assertTrue(script.text().contains("io/confman/ui/app.js"), script.text());
        page.put("style.css", "body{}".getBytes(StandardCharsets.UTF_8));
        assertEquals("text/css; charset=utf-8", call("GET", "/ui/style.css", null, null).headers().get("Content-Type"));
        assertEquals(404, call("GET", "/ui/other.js", null, null).status());
    }

    @Test
    void quotesJsonStrings() {
        assertEquals("\"a\\\"b\\\\c\\n\\u0001\"", ControlRoutes.quote("a\"b\\c\n\u0001"));
        assertFalse(ControlRoutes.quote("n1").contains("\\"));
    }
}

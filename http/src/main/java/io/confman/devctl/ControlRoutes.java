package io.confman.devctl;

import io.confman.http.BearerToken;
import io.confman.http.LivePage;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.Function;

/**
 * The dev controller's routes (LIVEVIEW.md, "Dev controls"), as a function from a request
 * to an answer, with no sockets, so that every rule can be tested on its own:
 * <ul>
 *   <li>{@code GET /dev/cluster}: every member's client URL and state, no token needed;</li>
 *   <li>{@code POST /dev/nodes/{id}/{action}}: one {@link Action}, with
 *       {@code Authorization: Bearer <admin token>} (401 without, 403 wrong); 404 for no such
 *       member or action, 400 when the action does not apply to the node's state;</li>
 *   <li>{@code GET /ui}, {@code /ui/app.js}, {@code /ui/style.css}: the live view's page from
 *       the classpath, so that it is served from the controls' own origin too;</li>
 *   <li>CORS: a preflight ({@code OPTIONS}) is answered, and {@code Access-Control-Allow-Origin}
 *       echoes the request's {@code Origin} when it is a member's client URL or the
 *       controller's own; any other origin gets no CORS headers.</li>
 * </ul>
 * A path matched with another method answers 405 with {@code Allow}. Errors are
 * {@code {"error":{"code":"...","message":"..."}}}, as the nodes answer them.
 */
public final class ControlRoutes {

    static final String CLUSTER_PATH = "/dev/cluster";
    static final String NODES_PREFIX = "/dev/nodes/";
    private static final String JSON = "application/json";

    /** A request as the routes see it; {@code authorization} and {@code origin} are null when absent. */
    public record Request(String method, String path, String authorization, String origin) {
    }

    /** An answer: status, headers (Content-Type included when there is a body) and body. */
    public record Answer(int status, Map<String, String> headers, byte[] body) {
        String text() {
            return new String(body, StandardCharsets.UTF_8);
        }
    }

    private final Controls controls;
    private final BearerToken token;
    private final Set<String> allowedOrigins;
    private final Function<String, byte[]> resources;

    /**
     * @param adminToken     the cluster's admin token (the admin token file's content)
     * @param allowedOrigins origins the page may call from: the members' client URLs and the
     *                       controller's own, each as {@code http://HOST:PORT}
     * @param resources      a file of the page by name ({@code index.html}), or null when absent
     */
    ControlRoutes(Controls controls, String adminToken, Set<String> allowedOrigins,
                  Function<String, byte[]> resources) {
        if (adminToken == null || adminToken.isBlank()) {
            throw new IllegalArgumentException("the controller needs the admin token");
        }
        this.controls = controls;
        this.token = new BearerToken(adminToken);
        this.allowedOrigins = Set.copyOf(allowedOrigins);
        this.resources = resources;
    }

    /** Routes that serve the page from this class's class loader. */
    public static ControlRoutes withClasspathPage(Controls controls, String adminToken, Set<String> allowedOrigins) {
        return new ControlRoutes(controls, adminToken, allowedOrigins, LivePage::read);
    }

    public Answer handle(Request request) throws InterruptedException {
        Answer answer;
        try {
            answer = route(request);
        } catch (ControlException e) {
            answer = error(e.status(), e.code(), e.getMessage());
        } catch (IOException e) {
            answer = error(500, "internal", String.valueOf(e.getMessage()));
        }
        return withCors(answer, request.origin());
    }

    private Answer route(Request request) throws ControlException, IOException, InterruptedException {
        String path = request.path();
        String method = request.method();
        if (path.equals(CLUSTER_PATH)) {
            return switch (method) {
                case "GET" -> json(200, clusterJson());
                case "OPTIONS" -> preflight();
                default -> methodNotAllowed(method, "GET");
            };
        }
        if (path.startsWith(NODES_PREFIX)) {
            String[] idAndAction = path.substring(NODES_PREFIX.length()).split("/", -1);
            if (idAndAction.length != 2 || idAndAction[0].isEmpty() || idAndAction[1].isEmpty()) {
                throw ControlException.notFound("no such path " + path + "; node actions are POST "
                        + NODES_PREFIX + "{id}/{stop|restart|pause|resume|isolate|heal}");
            }
            return switch (method) {
                case "POST" -> act(request.authorization(), idAndAction[0], idAndAction[1]);
                case "OPTIONS" -> preflight();
                default -> methodNotAllowed(method, "POST");
            };
        }
        LivePage.File file = LivePage.byPath(path);
        if (file != null) {
            return method.equals("GET") ? page(file) : methodNotAllowed(method, "GET");
        }
        throw ControlException.notFound("no such path " + path + "; the live view is at /ui, the controls at "
                + CLUSTER_PATH + " and " + NODES_PREFIX + "{id}/{action}");
    }

    private Answer act(String authorization, String id, String actionName)
            throws ControlException, IOException, InterruptedException {
        Optional<Answer> refused = authorize(authorization);
        if (refused.isPresent()) {
            return refused.get();
        }
        boolean member = controls.members().stream().anyMatch(m -> m.id().equals(id));
        if (!member) {
            throw ControlException.notFound("no member " + id);
        }
        Action action = Action.parse(actionName).orElseThrow(() -> ControlException.notFound("no action '"
                + actionName + "'; the actions are stop, restart, pause, resume, isolate and heal"));
        NodeState state = controls.act(id, action);
        return json(200, "{\"ok\":true,\"state\":" + quote(state.wireName()) + "}");
    }

    /** Empty when the header carries the admin token; else the 401 or 403 answer. */
    private Optional<Answer> authorize(String header) {
        return switch (token.check(header)) {
            case OK -> Optional.empty();
            case MISSING -> Optional.of(unauthorized("node actions need Authorization: Bearer <admin token>",
                    BearerToken.CHALLENGE));
            case MALFORMED -> Optional.of(unauthorized("the Authorization header must be 'Bearer <admin token>'",
                    BearerToken.CHALLENGE_INVALID));
            // The constructor refuses a missing token, so NONE_CONFIGURED cannot happen; 403 if it did.
            case NONE_CONFIGURED, WRONG -> Optional.of(error(403, "forbidden", "wrong admin token"));
        };
    }

    private static Answer unauthorized(String message, String challenge) {
        Answer answer = error(401, "unauthorized", message);
        answer.headers().put("WWW-Authenticate", challenge);
        return answer;
    }

    private String clusterJson() {
        StringBuilder json = new StringBuilder("{\"members\":{");
        boolean first = true;
        for (Controls.Member member : controls.members()) {
            json.append(first ? "" : ",").append(quote(member.id())).append(":{\"url\":").append(quote(member.url()))
                    .append(",\"state\":").append(quote(member.state().wireName())).append('}');
            first = false;
        }
        return json.append("}}").toString();
    }

    private Answer page(LivePage.File file) throws ControlException {
        byte[] bytes = resources.apply(file.name());
        if (bytes == null) {
            throw ControlException.notFound("the live view's " + file.name() + " is not in this build (no "
                    + LivePage.RESOURCES + file.name() + " on the classpath)");
        }
        Map<String, String> headers = new LinkedHashMap<>();
        headers.put("Content-Type", file.contentType());
        headers.put("Cache-Control", "no-cache");
        headers.put("X-Content-Type-Options", "nosniff");
        if (file.page()) {
            headers.put("Content-Security-Policy", LivePage.CONTENT_SECURITY_POLICY);
        }
        return new Answer(200, headers, bytes);
    }

    private static Answer preflight() {
        return new Answer(204, new LinkedHashMap<>(), new byte[0]);
    }

    private static Answer methodNotAllowed(String method, String allow) {
        Answer answer = error(405, "method_not_allowed", "method " + method + " is not allowed here; allowed: "
                + allow);
        answer.headers().put("Allow", allow + ", OPTIONS");
        return answer;
    }

    /** CORS headers for an allowed origin; {@code Vary: Origin} always, as the answer depends on it. */
    private Answer withCors(Answer answer, String origin) {
        answer.headers().put("Vary", "Origin");
        if (origin != null && allowedOrigins.contains(origin)) {
            answer.headers().put("Access-Control-Allow-Origin", origin);
            answer.headers().put("Access-Control-Allow-Methods", "GET, POST");
            answer.headers().put("Access-Control-Allow-Headers", "Authorization");
        }
        return answer;
    }

    static Answer error(int status, String code, String message) {
        return json(status, "{\"error\":{\"code\":" + quote(code) + ",\"message\":" + quote(message) + "}}");
    }

    private static Answer json(int status, String body) {
        Map<String, String> headers = new LinkedHashMap<>();
        headers.put("Content-Type", JSON);
        return new Answer(status, headers, body.getBytes(StandardCharsets.UTF_8));
    }

    static String quote(String text) {
        return io.confman.node.JsonStrings.quote(text);
    }
}

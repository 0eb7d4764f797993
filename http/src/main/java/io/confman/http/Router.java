package io.confman.http;

import io.confman.http.NodeOutcomes.Kind;
import io.netty.handler.codec.http.HttpMethod;
import java.util.concurrent.CompletableFuture;

/**
 * The route table of CONTRACT.md: which handler serves a method and path. A known path with
 * another method is a 405 with Allow; an unknown path a 404. See HTTP.md for the table.
 */
final class Router {

    static final String KV_PREFIX = "/v1/kv/";
    static final String BLOBS_PREFIX = "/v1/blobs/";

    /** The route a request matched: its name (a metrics label), how failures map, and its handler. */
    record Routed(String name, Kind kind, Handler handler) {
    }

    private final KvApi kv;
    private final OpsApi ops;
    private final AdminApi admin;

    Router(KvApi kv, OpsApi ops, AdminApi admin) {
        this.kv = kv;
        this.ops = ops;
        this.admin = admin;
    }

    Routed route(ClientRequest request) {
        String path = request.rawPath();
        HttpMethod method = request.method();
        switch (path) {
            case "/livez":
                return only(method, HttpMethod.GET, new Routed("livez", Kind.OTHER, ops::livez));
            case "/readyz":
                return only(method, HttpMethod.GET, new Routed("readyz", Kind.OTHER, ops::readyz));
            case "/metrics":
                return only(method, HttpMethod.GET, new Routed("metrics", Kind.OTHER, ops::metrics));
            case "/v1/status":
                return only(method, HttpMethod.GET, new Routed("status", Kind.OTHER, ops::status));
            case "/v1/admin/snapshot":
                return only(method, HttpMethod.POST, new Routed("admin_snapshot", Kind.OTHER, admin::snapshot));
            case "/v1/admin/transfer-leader":
                return only(method, HttpMethod.POST, new Routed("admin_transfer_leader", Kind.OTHER,
                        admin::transferLeader));
            case "/v1/admin/migrations/inline-to-blob":
                if (method.equals(HttpMethod.GET)) {
                    return new Routed("admin_inline_to_blob_status", Kind.OTHER, admin::inlineToBlobStatus);
                }
                return only(method, HttpMethod.POST, new Routed("admin_inline_to_blob", Kind.OTHER,
                        admin::inlineToBlob));
            default:
                break;
        }
        if (path.startsWith(KV_PREFIX)) {
            return kv(method, path.substring(KV_PREFIX.length()));
        }
        if (path.startsWith(BLOBS_PREFIX)) {
            return blobs(method);
        }
        return new Routed("unknown", Kind.OTHER, refuse(ApiError.notFound("no route for " + path)));
    }

    /** {@code /v1/kv/{ns}} lists; {@code /v1/kv/{ns}/{key}} (key may hold '/') reads and writes one key. */
    private Routed kv(HttpMethod method, String rest) {
        int slash = rest.indexOf('/');
        if (slash < 0) {
            String namespace = PathCodec.decode(rest);
            return only(method, HttpMethod.GET, new Routed("kv_list", Kind.READ,
                    request -> kv.list(request, namespace)));
        }
        String namespace = PathCodec.decode(rest.substring(0, slash));
        String key = PathCodec.decode(rest.substring(slash + 1));
        if (HttpMethod.GET.equals(method)) {
            return new Routed("kv_get", Kind.READ, request -> kv.get(request, namespace, key));
        }
        if (HttpMethod.PUT.equals(method)) {
            return new Routed("kv_put", Kind.WRITE, request -> kv.put(request, namespace, key));
        }
        if (HttpMethod.DELETE.equals(method)) {
            return new Routed("kv_delete", Kind.WRITE, request -> kv.delete(request, namespace, key));
        }
        return new Routed("kv_key", Kind.OTHER, refuse(ApiError.methodNotAllowed(method.name(), "GET, PUT, DELETE")));
    }

    /** The blob store is not built yet (HTTP.md): its routes exist and say so. */
    private Routed blobs(HttpMethod method) {
        boolean known = HttpMethod.GET.equals(method) || HttpMethod.HEAD.equals(method)
                || HttpMethod.PUT.equals(method);
        ApiError error = known
                ? ApiError.notImplemented("the blob store is not built yet")
                : ApiError.methodNotAllowed(method.name(), "GET, HEAD, PUT");
        return new Routed("blobs", Kind.OTHER, refuse(error));
    }

    private static Routed only(HttpMethod method, HttpMethod allowed, Routed routed) {
        if (allowed.equals(method)) {
            return routed;
        }
        return new Routed(routed.name(), Kind.OTHER,
                refuse(ApiError.methodNotAllowed(method.name(), allowed.name())));
    }

    private static Handler refuse(ApiError error) {
        return request -> CompletableFuture.failedFuture(error);
    }
}

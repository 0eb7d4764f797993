package io.confman.http;

import io.confman.http.NodeOutcomes.Kind;
import io.confman.storage.blob.BlobDigest;
import io.netty.handler.codec.http.HttpMethod;
import java.util.concurrent.CompletableFuture;
import java.util.function.Function;

/**
 * The route table of CONTRACT.md: which handler serves a method and path. A known path with
 * another method is a 405 with Allow; an unknown path a 404. See HTTP.md for the table.
 */
final class Router {

    static final String KV_PREFIX = "/v1/kv/";
    static final String BLOBS_PREFIX = "/v1/blobs/";

    /**
     * The route a request matched: its name (a metrics label), how failures map, its handler,
     * and, for a route whose body may go to the blob store, how the body is uploaded (else null).
     */
    record Routed(String name, Kind kind, Handler handler, Upload upload) {
        Routed(String name, Kind kind, Handler handler) {
            this(name, kind, handler, null);
        }
    }

    /**
     * A body that streams into the blob store: always ({@code /v1/blobs}) or only past
     * {@code inlineMaxBytes} (a key's value). Before the body is read, {@code check} refuses
     * a request its route would refuse (throwing) and returns the digest the body must hash
     * to, or null when any digest will do.
     */
    record Upload(boolean always, Function<ClientRequest, BlobDigest> check) {
    }

    private final KvApi kv;
    private final BlobApi blobs;
    private final OpsApi ops;
    private final AdminApi admin;
    private final LiveApi live;

    Router(KvApi kv, BlobApi blobs, OpsApi ops, AdminApi admin, LiveApi live) {
        this.live = live;
        this.kv = kv;
        this.blobs = blobs;
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
            case "/v1/events":
                return only(method, HttpMethod.GET, new Routed("events", Kind.OTHER, live::events));
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
                if (method.equals(HttpMethod.POST)) {
                    return new Routed("admin_inline_to_blob", Kind.OTHER, admin::inlineToBlob);
                }
                return new Routed("admin_inline_to_blob", Kind.OTHER,
                        refuse(ApiError.methodNotAllowed(method.name(), "GET, POST")));
            default:
                break;
        }
        if (path.startsWith(KV_PREFIX)) {
            return kv(method, path.substring(KV_PREFIX.length()));
        }
        if (path.startsWith(BLOBS_PREFIX)) {
            return blobs(method, path.substring(BLOBS_PREFIX.length()));
        }
        if (LiveApi.isAssetPath(path)) {
            return only(method, HttpMethod.GET, new Routed("ui", Kind.OTHER, live::asset));
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
            return new Routed("kv_put", Kind.WRITE, request -> kv.put(request, namespace, key),
                    new Upload(false, request -> {
                        KvApi.checkBlobPut(request, namespace, key);
                        return null;
                    }));
        }
        if (HttpMethod.DELETE.equals(method)) {
            return new Routed("kv_delete", Kind.WRITE, request -> kv.delete(request, namespace, key));
        }
        return new Routed("kv_key", Kind.OTHER, refuse(ApiError.methodNotAllowed(method.name(), "GET, PUT, DELETE")));
    }

    /** {@code /v1/blobs/sha256:{hex}}: the name is checked by the handler, so a bad one is a 400. */
    private Routed blobs(HttpMethod method, String rawName) {
        String name = PathCodec.decode(rawName);
        if (HttpMethod.GET.equals(method)) {
            return new Routed("blob_get", Kind.READ, request -> blobs.get(request, name, false));
        }
        if (HttpMethod.HEAD.equals(method)) {
            return new Routed("blob_head", Kind.READ, request -> blobs.get(request, name, true));
        }
        if (HttpMethod.PUT.equals(method)) {
            return new Routed("blob_put", Kind.WRITE, blobs::put,
                    new Upload(true, request -> BlobApi.checkPut(request, name)));
        }
        return new Routed("blobs", Kind.OTHER, refuse(ApiError.methodNotAllowed(method.name(), "GET, HEAD, PUT")));
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

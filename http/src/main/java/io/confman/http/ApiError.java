package io.confman.http;

import io.netty.handler.codec.http.HttpResponseStatus;
import java.util.Map;
import java.util.Objects;

/**
 * An answer other than success, as the client sees it: a status, a stable error code and a
 * message, sent as {@code {"error":{"code":"...","message":"..."}}}. Handlers throw it (or
 * fail their future with it); the connection handler turns it into the response.
 */
final class ApiError extends RuntimeException {

    private final HttpResponseStatus status;
    private final String code;
    private final Map<String, String> headers;

    ApiError(HttpResponseStatus status, String code, String message, Map<String, String> headers) {
        super(message, null, false, false);
        this.status = Objects.requireNonNull(status, "status");
        this.code = Objects.requireNonNull(code, "code");
        this.headers = Map.copyOf(headers);
    }

    ApiError(HttpResponseStatus status, String code, String message) {
        this(status, code, message, Map.of());
    }

    HttpResponseStatus status() {
        return status;
    }

    String code() {
        return code;
    }

    /** Extra headers the error needs, e.g. Retry-After or Allow. */
    Map<String, String> headers() {
        return headers;
    }

    static ApiError badRequest(String message) {
        return new ApiError(HttpResponseStatus.BAD_REQUEST, "bad_request", message);
    }

    static ApiError notFound(String message) {
        return new ApiError(HttpResponseStatus.NOT_FOUND, "not_found", message);
    }

    static ApiError valueTooLarge(String message) {
        return new ApiError(HttpResponseStatus.REQUEST_ENTITY_TOO_LARGE, "value_too_large", message);
    }

    static ApiError notImplemented(String message) {
        return new ApiError(HttpResponseStatus.NOT_IMPLEMENTED, "not_implemented", message);
    }

    static ApiError internal(String message) {
        return new ApiError(HttpResponseStatus.INTERNAL_SERVER_ERROR, "internal", message);
    }

    static ApiError methodNotAllowed(String method, String allow) {
        return new ApiError(HttpResponseStatus.METHOD_NOT_ALLOWED, "method_not_allowed",
                "method " + method + " is not allowed here; allowed: " + allow, Map.of("Allow", allow));
    }
}

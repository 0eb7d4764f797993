package io.confman.http;

import io.confman.node.NodeException;
import io.confman.store.ValueTooLargeException;
import io.netty.handler.codec.http.HttpResponseStatus;
import java.lang.System.Logger.Level;
import java.util.Map;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * How a node call's failure reaches the client. Writes and reads differ in one way: a write
 * whose outcome is unknown (timeout, lost leadership, a stopped node) is a 504
 * {@code outcome_unknown}, never a failure, because it may still commit (CONTRACT.md).
 */
final class NodeOutcomes {

    private static final System.Logger LOG = System.getLogger(NodeOutcomes.class.getName());
    static final String RETRY_AFTER_SECONDS = "1";

    /** What kind of call failed, which decides how an uncertain outcome is reported. */
    enum Kind { READ, WRITE, OTHER }

    private NodeOutcomes() {
    }

    /**
     * {@code future}, failed with a {@link TimeoutException} if the node has not answered within
     * {@code answerWithinMs}: the HTTP layer's safety net, set a little above the node's own
     * request timeout so that the node's answer normally wins.
     */
    static <T> CompletableFuture<T> within(CompletableFuture<T> future, long answerWithinMs) {
        return future.orTimeout(answerWithinMs, TimeUnit.MILLISECONDS);
    }

    /** The error a failure of a {@code kind} call is answered with. */
    static ApiError toError(Throwable failure, Kind kind) {
        if (unwrapped(failure) instanceof CancellationException) {
            // Cancelled because the client went away (ClientRequest.cancelOnClose): nobody reads
            // this answer, and nothing is wrong with the node.
            return new ApiError(HttpResponseStatus.SERVICE_UNAVAILABLE, "cancelled",
                    "the request was cancelled: its client closed the connection");
        }
        Throwable cause = unwrap(failure);
        if (cause instanceof ApiError error) {
            return error;
        }
        if (cause instanceof NodeException nodeFailure) {
            return fromNode(nodeFailure, kind);
        }
        if (cause instanceof TimeoutException) {
            return uncertain(kind, "no answer from the node within the HTTP request timeout");
        }
        if (cause instanceof ValueTooLargeException tooLarge) {
            return ApiError.valueTooLarge(tooLarge.getMessage());
        }
        if (cause instanceof IllegalArgumentException invalid) {
            return ApiError.badRequest(invalid.getMessage());
        }
        if (cause instanceof UnsupportedOperationException unsupported) {
            return ApiError.notImplemented("not implemented by this node yet: " + unsupported.getMessage());
        }
        // A bug: answer 500 with a JSON error, and keep the stack trace in the log, not on the wire.
        LOG.log(Level.ERROR, "internal error serving a request", cause);
        return ApiError.internal("internal error: " + cause.getClass().getSimpleName());
    }

    private static ApiError fromNode(NodeException failure, Kind kind) {
        if (failure instanceof NodeException.NotLeader) {
            return new ApiError(HttpResponseStatus.SERVICE_UNAVAILABLE, "no_leader",
                    "no usable leader: " + failure.getMessage(), retryAfter());
        }
        if (failure instanceof NodeException.Overloaded) {
            return new ApiError(HttpResponseStatus.TOO_MANY_REQUESTS, "overloaded", failure.getMessage(),
                    retryAfter());
        }
        if (failure instanceof NodeException.Timeout) {
            return uncertain(kind, failure.getMessage());
        }
        boolean mayHaveApplied = failure instanceof NodeException.LeadershipLost
                || failure instanceof NodeException.Stopped;
        if (mayHaveApplied && kind != Kind.READ) {
            return uncertain(kind, failure.getMessage());
        }
        // Rejected, and a read that lost its leader or its node: nothing happened, try again.
        return new ApiError(HttpResponseStatus.SERVICE_UNAVAILABLE, "unavailable", failure.getMessage(),
                retryAfter());
    }

    /** 504: for a write the outcome is unknown; a read simply got no answer in time. */
    private static ApiError uncertain(Kind kind, String message) {
        String code = kind == Kind.READ ? "timeout" : "outcome_unknown";
        return new ApiError(HttpResponseStatus.GATEWAY_TIMEOUT, code, message);
    }

    private static Map<String, String> retryAfter() {
        return Map.of("Retry-After", RETRY_AFTER_SECONDS);
    }

    private static Throwable unwrapped(Throwable failure) {
        Throwable cause = failure;
        while ((cause instanceof CompletionException || cause instanceof ExecutionException)
                && cause.getCause() != null) {
            cause = cause.getCause();
        }
        return cause;
    }

    static Throwable unwrap(Throwable failure) {
        Throwable cause = unwrapped(failure);
        if (cause instanceof CancellationException) {
            return new IllegalStateException("a node call was cancelled", cause);
        }
        return cause;
    }
}

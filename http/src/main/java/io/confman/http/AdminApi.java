package io.confman.http;

import com.fasterxml.jackson.core.JsonGenerator;
import io.confman.node.ConfmanNode;
import io.confman.node.InlineToBlobMigration;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpResponseStatus;
import java.io.IOException;
import java.util.Map;
import java.util.concurrent.CompletableFuture;

/**
 * The admin routes, behind {@code Authorization: Bearer <admin token>}: 401 without a
 * well-formed bearer header, 403 with a wrong token, and 403 for any token when this node has
 * none configured (every admin call is refused then).
 */
final class AdminApi {

    private final ConfmanNode node;
    private final BearerToken token;
    private final long answerWithinMs;

    AdminApi(ConfmanNode node, String adminToken, long answerWithinMs) {
        this.node = node;
        this.token = new BearerToken(adminToken);
        this.answerWithinMs = answerWithinMs;
    }

    CompletableFuture<Reply> snapshot(ClientRequest request) {
        authorize(request);
        return NodeOutcomes.within(node.snapshotNow(), answerWithinMs).thenApplyAsync(taken -> {
            byte[] json = Json.write(out -> {
                out.writeStartObject();
                out.writeNumberField("index", taken.lastIncludedIndex());
                out.writeNumberField("term", taken.lastIncludedTerm());
                out.writeNumberField("size", taken.sizeBytes());
                out.writeEndObject();
            });
            return Reply.json(HttpResponseStatus.OK, json);
        }, request.executor());
    }

    CompletableFuture<Reply> transferLeader(ClientRequest request) {
        authorize(request);
        String target = request.parameter("to");
        if (target == null || target.isEmpty()) {
            throw ApiError.badRequest("transfer-leader needs ?to=ID, the member to hand leadership to");
        }
        if (!node.config().members().containsKey(target)) {
            throw ApiError.badRequest("'" + target + "' is not a member; members are "
                    + new java.util.TreeSet<>(node.config().members().keySet()));
        }
        return NodeOutcomes.within(node.transferLeadership(target), answerWithinMs).thenApplyAsync(done -> {
            byte[] json = Json.write(out -> {
                out.writeStartObject();
                out.writeStringField("leader", target);
                out.writeEndObject();
            });
            return Reply.json(HttpResponseStatus.OK, json);
        }, request.executor());
    }

    /**
     * Starts the inline-to-blob migration on this node ({@code ?min_size=BYTES}), or reports
     * the run already under way: 202 with its progress, as the status call shows it.
     */
    CompletableFuture<Reply> inlineToBlob(ClientRequest request) {
        authorize(request);
        String minSize = request.parameter("min_size");
        if (minSize == null || minSize.isEmpty() || minSize.length() > 18
                || !minSize.chars().allMatch(c -> c >= '0' && c <= '9') || Long.parseLong(minSize) < 1) {
            throw ApiError.badRequest("the migration needs ?min_size=BYTES, a whole number of at least 1; was "
                    + minSize);
        }
        InlineToBlobMigration.Progress progress = node.migration().start(Long.parseLong(minSize));
        return CompletableFuture.completedFuture(progressReply(HttpResponseStatus.ACCEPTED, progress));
    }

    /** The latest migration run's progress on this node (idle when none ran). */
    CompletableFuture<Reply> inlineToBlobStatus(ClientRequest request) {
        authorize(request);
        return CompletableFuture.completedFuture(progressReply(HttpResponseStatus.OK, node.migration().progress()));
    }

    private static Reply progressReply(HttpResponseStatus status, InlineToBlobMigration.Progress progress) {
        byte[] json = Json.write(out -> {
            out.writeStartObject();
            out.writeStringField("state", progress.state());
            out.writeNumberField("min_size", progress.minSizeBytes());
            out.writeNumberField("keys_scanned", progress.keysScanned());
            out.writeNumberField("migrated", progress.migrated());
            out.writeNumberField("changed", progress.changed());
            out.writeNumberField("bytes_moved", progress.bytesMoved());
            out.writeNumberField("failed_attempts", progress.failedAttempts());
            nullable(out, "started_at", progress.startedAt());
            nullable(out, "finished_at", progress.finishedAt());
            nullable(out, "position", progress.position());
            nullable(out, "error", progress.error());
            out.writeEndObject();
        });
        return Reply.json(status, json);
    }

    private static void nullable(JsonGenerator out, String name, String value) throws IOException {
        if (value == null) {
            out.writeNullField(name);
        } else {
            out.writeStringField(name, value);
        }
    }

    private void authorize(ClientRequest request) {
        switch (token.check(request.header(HttpHeaderNames.AUTHORIZATION))) {
            case OK -> { }
            case MISSING -> throw unauthorized("admin calls need Authorization: Bearer <admin token>",
                    BearerToken.CHALLENGE);
            case MALFORMED -> throw unauthorized("the Authorization header must be 'Bearer <admin token>'",
                    BearerToken.CHALLENGE_INVALID);
            case NONE_CONFIGURED -> throw new ApiError(HttpResponseStatus.FORBIDDEN, "forbidden",
                    "no admin token is configured on this node, so every admin call is refused");
            case WRONG -> throw new ApiError(HttpResponseStatus.FORBIDDEN, "forbidden", "wrong admin token");
        }
    }

    private static ApiError unauthorized(String message, String challenge) {
        return new ApiError(HttpResponseStatus.UNAUTHORIZED, "unauthorized", message,
                Map.of(HttpHeaderNames.WWW_AUTHENTICATE.toString(), challenge));
    }
}

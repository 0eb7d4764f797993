package io.confman.http;

import io.confman.node.ConfmanNode;
import io.confman.node.NodeStatus;
import io.netty.buffer.Unpooled;
import io.netty.handler.codec.http.HttpResponseStatus;
import java.util.ArrayList;
import java.util.List;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;

/**
 * The operations routes: status, liveness, readiness and metrics. Each reads what the node
 * published ({@code status()}, counters), never waits for the node's loop, and so answers
 * even when the loop is stuck or the node has no leader.
 */
final class OpsApi {

    private final ConfmanNode node;
    private final HttpMetrics metrics;

    OpsApi(ConfmanNode node, HttpMetrics metrics) {
        this.node = node;
        this.metrics = metrics;
    }

    CompletableFuture<Reply> livez(ClientRequest request) {
        byte[] json = Json.write(out -> {
            out.writeStartObject();
            out.writeStringField("status", "ok");
            out.writeEndObject();
        });
        return CompletableFuture.completedFuture(Reply.json(HttpResponseStatus.OK, json));
    }

    CompletableFuture<Reply> status(ClientRequest request) {
        NodeStatus status = node.status();
        List<String> members = new ArrayList<>(new TreeSet<>(node.config().members().keySet()));
        byte[] json = Json.write(out -> {
            out.writeStartObject();
            out.writeStringField("id", status.id());
            out.writeStringField("role", status.role().name().toLowerCase());
            out.writeNumberField("term", status.term());
            if (status.leaderId() == null) {
                out.writeNullField("leader");
            } else {
                out.writeStringField("leader", status.leaderId());
            }
            out.writeNumberField("commit_index", status.commitIndex());
            out.writeNumberField("applied_index", status.appliedIndex());
            out.writeNumberField("last_log_index", status.lastIndex());
            out.writeNumberField("snapshot_index", status.snapshotIndex());
            out.writeArrayFieldStart("members");
            for (String member : members) {
                out.writeString(member);
            }
            out.writeEndArray();
            out.writeEndObject();
        });
        return CompletableFuture.completedFuture(Reply.json(HttpResponseStatus.OK, json));
    }

    /** Ready: a leader is known, everything committed is applied, the node runs, its timing holds. */
    CompletableFuture<Reply> readyz(ClientRequest request) {
        List<String> reasons = notReadyReasons();
        byte[] json = Json.write(out -> {
            out.writeStartObject();
            out.writeBooleanField("ready", reasons.isEmpty());
            if (!reasons.isEmpty()) {
                out.writeStringField("reason", String.join("; ", reasons));
                out.writeArrayFieldStart("reasons");
                for (String reason : reasons) {
                    out.writeString(reason);
                }
                out.writeEndArray();
            }
            out.writeEndObject();
        });
        Reply reply = Reply.json(reasons.isEmpty() ? HttpResponseStatus.OK : HttpResponseStatus.SERVICE_UNAVAILABLE,
                json);
        if (!reasons.isEmpty()) {
            reply.header("Retry-After", NodeOutcomes.RETRY_AFTER_SECONDS);
        }
        return CompletableFuture.completedFuture(reply);
    }

    private List<String> notReadyReasons() {
        NodeStatus status = node.status();
        List<String> reasons = new ArrayList<>();
        if (node.failure() != null || status.failure() != null) {
            Throwable failure = node.failure();
            reasons.add("node failed: " + (failure != null ? failure : status.failure()));
        }
        if (status.leaderId() == null) {
            reasons.add("no leader known");
        }
        if (status.appliedIndex() < status.commitIndex()) {
            reasons.add("applied_index " + status.appliedIndex() + " is behind commit_index " + status.commitIndex());
        }
        reasons.addAll(node.timingWarnings());
        return reasons;
    }

    CompletableFuture<Reply> metrics(ClientRequest request) {
        return CompletableFuture.completedFuture(Reply.bytes(HttpResponseStatus.OK,
                Unpooled.wrappedBuffer(metrics.scrape()), metrics.contentType()));
    }
}

package io.confman.http;

import io.confman.node.ConfmanNode;
import io.confman.node.NodeBlobs;
import io.confman.store.ApplyResult;
import io.confman.store.ConfigStore;
import io.confman.store.KeyMeta;
import io.confman.store.ListPage;
import io.confman.store.StoredValue;
import io.confman.store.command.Command;
import io.confman.store.command.Names;
import io.confman.store.command.Precondition;
import io.confman.store.command.RequestId;
import io.confman.store.command.Value;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpResponseStatus;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.function.Function;

/** The key-value routes: one key's GET/PUT/DELETE and a namespace's listing. */
final class KvApi {

    static final String HEADER_VERSION = "Confman-Version";
    static final String HEADER_MOD_REVISION = "Confman-Mod-Revision";
    static final int LIST_LIMIT_DEFAULT = 100;

    /** A key read on the loop: its value (if any) and the store's revision at that moment. */
    private record KeyRead(Optional<StoredValue> stored, long revision) {
    }

    private final ConfmanNode node;
    private final HttpConfig config;
    private final BlobApi blobs;
    private final long answerWithinMs;

    KvApi(ConfmanNode node, HttpConfig config, BlobApi blobs, long answerWithinMs) {
        this.node = node;
        this.config = config;
        this.blobs = blobs;
        this.answerWithinMs = answerWithinMs;
    }

    // ---------------------------------------------------------------- GET one key

    CompletableFuture<Reply> get(ClientRequest request, String namespace, String key) {
        Names.checkNamespace(namespace);
        Names.checkKey(key);
        Function<ConfigStore, KeyRead> read = store -> new KeyRead(store.get(namespace, key), store.revision());
        CompletableFuture<KeyRead> answer;
        String index = request.parameter("index");
        if (index != null) {
            long afterRevision = nonNegative("index", index);
            long waitMs = WaitDuration.parseMs(request.parameter("wait"), config.waitMaxMs());
            // A client that goes away stops the wait, so its waiter leaves the store at once.
            answer = NodeOutcomes.within(request.cancelOnClose(node.awaitChange(namespace, key, afterRevision,
                    waitMs, read)), answerWithinMs + waitMs);
        } else {
            answer = NodeOutcomes.within(readAt(request, read), answerWithinMs);
        }
        return answer.thenComposeAsync(keyRead -> valueReply(request, keyRead), request.executor());
    }

    /** Linearizable by default (through the leader); {@code ?consistency=stale} reads the local store. */
    private <T> CompletableFuture<T> readAt(ClientRequest request, Function<ConfigStore, T> read) {
        String consistency = request.parameter("consistency");
        if (consistency == null || consistency.equals("linearizable")) {
            return node.linearizableRead(read);
        }
        if (consistency.equals("stale")) {
            return node.read(read);
        }
        throw ApiError.badRequest("consistency must be 'stale' or 'linearizable', was '" + consistency + "'");
    }

    /** Runs on the event loop: an inline value is formatted at once, a blob streams from its file. */
    private CompletableFuture<Reply> valueReply(ClientRequest request, KeyRead read) {
        if (read.stored().isEmpty()) {
            return CompletableFuture.completedFuture(Reply.error(ApiError.notFound("no such key"))
                    .header(ConfmanHttpServer.HEADER_REVISION, read.revision()));
        }
        KeyMeta meta = read.stored().get().meta();
        Value value = read.stored().get().value();
        if (value instanceof Value.BlobPointer pointer) {
            return blobs.serve(request, pointer, etag(meta.modRevision()), false,
                    reply -> withValueHeaders(reply, meta, read.revision()));
        }
        return CompletableFuture.completedFuture(inlineReply(request, meta, (Value.Inline) value, read.revision()));
    }

    private static Reply inlineReply(ClientRequest request, KeyMeta meta, Value.Inline inline, long revision) {
        String etag = etag(meta.modRevision());
        if (Conditional.matchesNoneMatch(request.header(HttpHeaderNames.IF_NONE_MATCH), etag)) {
            return withValueHeaders(Reply.empty(HttpResponseStatus.NOT_MODIFIED), meta, revision);
        }
        ByteBuf bytes = Unpooled.wrappedBuffer(inline.bytes());
        Reply reply = ranged(Conditional.rangeToServe(request, etag), bytes, meta.sizeBytes());
        return withValueHeaders(reply, meta, revision).header(HttpHeaderNames.ACCEPT_RANGES, "bytes");
    }

    private static Reply ranged(String rangeHeader, ByteBuf bytes, long sizeBytes) {
        ByteRange.Outcome outcome = ByteRange.parse(rangeHeader, sizeBytes);
        if (outcome instanceof ByteRange.Partial partial) {
            ByteRange range = partial.range();
            ByteBuf slice = bytes.slice((int) range.first(), (int) range.lengthBytes());
            return Reply.bytes(HttpResponseStatus.PARTIAL_CONTENT, slice, HttpHeaderValues.APPLICATION_OCTET_STREAM)
                    .header(HttpHeaderNames.CONTENT_RANGE, Conditional.contentRange(range, sizeBytes));
        }
        if (outcome instanceof ByteRange.Unsatisfiable) {
            bytes.release();
            return Conditional.unsatisfiable(rangeHeader, sizeBytes);
        }
        return Reply.bytes(HttpResponseStatus.OK, bytes, HttpHeaderValues.APPLICATION_OCTET_STREAM);
    }

    private static Reply withValueHeaders(Reply reply, KeyMeta meta, long revision) {
        return reply.header(HttpHeaderNames.ETAG, etag(meta.modRevision()))
                .header(HEADER_VERSION, meta.version())
                .header(HEADER_MOD_REVISION, meta.modRevision())
                .header(ConfmanHttpServer.HEADER_REVISION, revision);
    }

    static String etag(long modRevision) {
        return "\"" + modRevision + "\"";
    }

    // ---------------------------------------------------------------- PUT and DELETE

    /**
     * Checks a PUT's head before a body over {@code inlineMaxBytes} streams into the blob
     * store, so that a request the write would refuse is refused before it is stored.
     */
    static void checkBlobPut(ClientRequest request, String namespace, String key) {
        checkWritable(namespace);
        Names.checkKey(key);
        putPrecondition(request);
        BlobApi.contentType(request.headers());
    }

    /**
     * Stores the body: inline in the log when the connection buffered it, else as a pointer
     * to the blob it streamed into (the blob is replicated to a majority before the pointer
     * is proposed, NodeBlobs.putValue).
     */
    CompletableFuture<Reply> put(ClientRequest request, String namespace, String key) {
        checkWritable(namespace);
        Precondition precondition = putPrecondition(request);
        CompletableFuture<ApplyResult> written;
        if (request.blob() != null) {
            written = node.blobs().putValue(namespace, key, request.blob(), precondition);
        } else {
            byte[] body = request.body();
            BodyLimits.checkValue(body.length, config);
            written = node.write(new Command.Put(RequestId.NONE, namespace, key, Value.Inline.copyOf(body),
                    precondition));
        }
        long allowanceMs = request.blob() == null ? 0 : NodeBlobs.transferAllowanceMs(request.blob().sizeBytes());
        return NodeOutcomes.within(written, answerWithinMs + allowanceMs)
                .thenApplyAsync(KvApi::writeReply, request.executor());
    }

    /**
     * Namespaces starting with '.' belong to the node (e.g. the blob registry,
     * NodeBlobs.REGISTRY_NAMESPACE): clients read them but never write them.
     */
    private static void checkWritable(String namespace) {
        Names.checkNamespace(namespace);
        if (namespace.startsWith(".")) {
            throw new ApiError(HttpResponseStatus.BAD_REQUEST, "reserved_namespace",
                    "namespaces starting with '.' are reserved for the node; '" + namespace + "' cannot be written");
        }
    }

    CompletableFuture<Reply> delete(ClientRequest request, String namespace, String key) {
        checkWritable(namespace);
        if (request.header(HttpHeaderNames.IF_NONE_MATCH) != null) {
            throw ApiError.badRequest("a delete cannot be create-only (If-None-Match)");
        }
        Precondition precondition = ifMatch(request.header(HttpHeaderNames.IF_MATCH));
        Command command = new Command.Delete(RequestId.NONE, namespace, key, precondition);
        return NodeOutcomes.within(node.write(command), answerWithinMs)
                .thenApplyAsync(KvApi::writeReply, request.executor());
    }

    private static Precondition putPrecondition(ClientRequest request) {
        String noneMatch = request.header(HttpHeaderNames.IF_NONE_MATCH);
        String match = request.header(HttpHeaderNames.IF_MATCH);
        if (noneMatch != null && match != null) {
            throw ApiError.badRequest("give If-Match or If-None-Match, not both");
        }
        if (noneMatch != null) {
            if (!noneMatch.trim().equals("*")) {
                throw ApiError.badRequest("a write supports only If-None-Match: * (create only)");
            }
            return Precondition.CREATE_ONLY;
        }
        return ifMatch(match);
    }

    /** {@code If-Match: "R"}: the key must exist with mod_revision R. */
    private static Precondition ifMatch(String header) {
        if (header == null) {
            return Precondition.NONE;
        }
        String tag = header.trim();
        if (tag.length() < 3 || tag.charAt(0) != '"' || tag.charAt(tag.length() - 1) != '"') {
            throw ApiError.badRequest("If-Match must be one mod revision in quotes, like \"42\"; was " + header);
        }
        long modRevision = nonNegative("If-Match", tag.substring(1, tag.length() - 1));
        if (modRevision < 1) {
            throw ApiError.badRequest("If-Match must name a mod revision >= 1; was " + header);
        }
        return new Precondition.IfModRevision(modRevision);
    }

    private static Reply writeReply(ApplyResult result) {
        if (result instanceof ApplyResult.Created created) {
            return metaReply(HttpResponseStatus.CREATED, created.meta());
        }
        if (result instanceof ApplyResult.Updated updated) {
            return metaReply(HttpResponseStatus.OK, updated.meta());
        }
        if (result instanceof ApplyResult.Deleted deleted) {
            byte[] json = Json.write(out -> {
                out.writeStartObject();
                out.writeBooleanField("deleted", true);
                out.writeNumberField("revision", deleted.revision());
                out.writeEndObject();
            });
            return Reply.json(HttpResponseStatus.OK, json).header(ConfmanHttpServer.HEADER_REVISION, deleted.revision());
        }
        if (result instanceof ApplyResult.PreconditionFailed failed) {
            String current = failed.currentModRevision() == 0 ? "the key does not exist (mod_revision 0)"
                    : "the key's current mod_revision is " + failed.currentModRevision();
            return Reply.error(new ApiError(HttpResponseStatus.PRECONDITION_FAILED, "precondition_failed",
                    "precondition failed: " + current)).header(HEADER_MOD_REVISION, failed.currentModRevision());
        }
        if (result instanceof ApplyResult.NotFound) {
            return Reply.error(ApiError.notFound("no such key"));
        }
        if (result instanceof ApplyResult.StaleRequest stale) {
            // The store forgot this request's result (STORE.md, session bounds): it may have
            // been applied earlier, so its outcome is unknown, never a failure.
            return Reply.error(new ApiError(HttpResponseStatus.GATEWAY_TIMEOUT, "outcome_unknown",
                    "the write's outcome is unknown: its session no longer holds request " + stale.sequence()));
        }
        throw ApiError.internal("the store answered " + result + " to a write");
    }

    private static Reply metaReply(HttpResponseStatus status, KeyMeta meta) {
        byte[] json = Json.write(out -> {
            out.writeStartObject();
            Json.keyMetaFields(out, meta, true);
            out.writeEndObject();
        });
        return Reply.json(status, json)
                .header(HttpHeaderNames.ETAG, etag(meta.modRevision()))
                .header(HEADER_VERSION, meta.version())
                .header(HEADER_MOD_REVISION, meta.modRevision())
                .header(ConfmanHttpServer.HEADER_REVISION, meta.modRevision());
    }

    // ---------------------------------------------------------------- listing

    CompletableFuture<Reply> list(ClientRequest request, String namespace) {
        Names.checkNamespace(namespace);
        String prefix = request.parameter("prefix") == null ? "" : request.parameter("prefix");
        String after = request.parameter("after");
        String limitText = request.parameter("limit");
        long limit = limitText == null ? LIST_LIMIT_DEFAULT : nonNegative("limit", limitText);
        if (limit < 1 || limit > Integer.MAX_VALUE) {
            throw ApiError.badRequest("limit must be at least 1, was " + limitText);
        }
        CompletableFuture<ListPage> page = readAt(request, store -> store.list(namespace, prefix, after, (int) limit));
        return NodeOutcomes.within(page, answerWithinMs).thenApplyAsync(KvApi::listReply, request.executor());
    }

    private static Reply listReply(ListPage page) {
        byte[] json = Json.write(out -> {
            out.writeStartObject();
            out.writeArrayFieldStart("items");
            for (KeyMeta meta : page.items()) {
                out.writeStartObject();
                Json.keyMetaFields(out, meta, false);
                out.writeEndObject();
            }
            out.writeEndArray();
            out.writeBooleanField("more", page.more());
            if (page.nextAfter() == null) {
                out.writeNullField("next_after");
            } else {
                out.writeStringField("next_after", page.nextAfter());
            }
            out.writeNumberField("revision", page.revision());
            out.writeEndObject();
        });
        return Reply.json(HttpResponseStatus.OK, json).header(ConfmanHttpServer.HEADER_REVISION, page.revision());
    }

    private static long nonNegative(String name, String text) {
        if (text.isEmpty() || text.length() > 18 || !text.chars().allMatch(c -> c >= '0' && c <= '9')) {
            throw ApiError.badRequest(name + " must be a non-negative integer, was '" + text + "'");
        }
        return Long.parseLong(text);
    }
}

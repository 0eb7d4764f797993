package io.confman.http;

import io.confman.node.ConfmanNode;
import io.confman.node.NodeBlobs;
import io.confman.storage.blob.BlobDigest;
import io.confman.storage.blob.BlobReader;
import io.confman.store.command.Value;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpResponseStatus;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.concurrent.CompletableFuture;
import java.util.function.UnaryOperator;

/**
 * The blob routes ({@code /v1/blobs/sha256:{hex}}) and the streaming of a blob's bytes, which
 * a key whose value is a blob shares. Uploads reach {@link #put} already stored: the
 * connection streams the body into the blob store and hands over the published blob's
 * pointer (HTTP.md, "Blobs").
 */
final class BlobApi {

    static final String CONTENT_TYPE_DEFAULT = HttpHeaderValues.APPLICATION_OCTET_STREAM.toString();

    private final ConfmanNode node;
    private final long answerWithinMs;

    BlobApi(ConfmanNode node, long answerWithinMs) {
        this.node = node;
        this.answerWithinMs = answerWithinMs;
    }

    // ---------------------------------------------------------------- PUT

    /**
     * Checks an upload's head before its body is read; returns the digest the body must hash
     * to. A bad name or content type is a 400 before a byte is stored.
     */
    static BlobDigest checkPut(ClientRequest request, String name) {
        BlobDigest expected = BlobDigest.parse(name);
        contentType(request.headers());
        return expected;
    }

    /** Registers the uploaded blob: 201 when it is new, 200 when it was registered before. */
    CompletableFuture<Reply> put(ClientRequest request) {
        Value.BlobPointer pointer = request.blob();
        if (pointer == null) {
            throw ApiError.internal("a blob upload reached its route without its blob");
        }
        return NodeOutcomes.within(node.blobs().register(pointer),
                        answerWithinMs + NodeBlobs.transferAllowanceMs(pointer.sizeBytes()))
                .thenApplyAsync(created -> putReply(created, pointer), request.executor());
    }

    private static Reply putReply(boolean created, Value.BlobPointer pointer) {
        byte[] json = Json.write(out -> {
            out.writeStartObject();
            out.writeStringField("digest", pointer.digestName());
            out.writeNumberField("size", pointer.sizeBytes());
            out.writeStringField("content_type", pointer.contentType());
            out.writeBooleanField("created", created);
            out.writeEndObject();
        });
        return Reply.json(created ? HttpResponseStatus.CREATED : HttpResponseStatus.OK, json)
                .header(HttpHeaderNames.ETAG, etag(pointer.digestName()));
    }

    /**
     * The content type a stored blob keeps: the request's {@code Content-Type}, by default
     * application/octet-stream. At most 255 printable ASCII characters (the pointer's format).
     */
    static String contentType(HttpHeaders headers) {
        String given = headers.get(HttpHeaderNames.CONTENT_TYPE);
        if (given == null || given.isBlank()) {
            return CONTENT_TYPE_DEFAULT;
        }
        String type = given.trim();
        if (type.length() > Value.BlobPointer.CONTENT_TYPE_BYTES_MAX
                || !type.chars().allMatch(c -> c >= 0x20 && c <= 0x7E)) {
            throw ApiError.badRequest("Content-Type must be at most " + Value.BlobPointer.CONTENT_TYPE_BYTES_MAX
                    + " printable ASCII characters to be stored with a blob");
        }
        return type;
    }

    // ---------------------------------------------------------------- GET and HEAD

    /** A referenced blob's bytes; 404 when no key references it (only referenced blobs are served). */
    CompletableFuture<Reply> get(ClientRequest request, String name, boolean headOnly) {
        BlobDigest digest = BlobDigest.parse(name);
        String etag = etag(digest.name());
        return NodeOutcomes.within(node.blobs().lookup(digest), answerWithinMs)
                .thenComposeAsync(found -> {
                    Value.BlobPointer pointer = found.orElseThrow(() -> ApiError.notFound("no such blob: " + name));
                    return serve(request, pointer, etag, headOnly, reply -> reply.header(HttpHeaderNames.ETAG, etag));
                }, request.executor());
    }

    /**
     * A blob as the body of a reply: 304 on a matching {@code If-None-Match}, 416 for a range
     * outside it, else 200 or 206 streamed from its file once this node holds the blob
     * (fetched from a peer when it does not). The file is opened only when bytes go out, on
     * the blob executor; the reply owns it from then on. {@code withHeaders} adds the
     * route's headers (ETag and others) to every outcome and must not fail.
     *
     * <p>A HEAD is answered from the pointer alone, which has the size and the content type:
     * it neither fetches the blob (which may be gigabytes) nor opens it. It ignores
     * {@code Range}, which RFC 9110 section 14.2 defines for GET only, so it always
     * announces the whole length with 200.
     */
    CompletableFuture<Reply> serve(ClientRequest request, Value.BlobPointer pointer, String etag, boolean headOnly,
                                   UnaryOperator<Reply> withHeaders) {
        long sizeBytes = pointer.sizeBytes();
        if (Conditional.matchesNoneMatch(request.header(HttpHeaderNames.IF_NONE_MATCH), etag)) {
            return CompletableFuture.completedFuture(withHeaders.apply(Reply.empty(HttpResponseStatus.NOT_MODIFIED)));
        }
        if (headOnly) {
            Reply head = Reply.headOnly(HttpResponseStatus.OK, sizeBytes, pointer.contentType())
                    .header(HttpHeaderNames.ACCEPT_RANGES, "bytes");
            return CompletableFuture.completedFuture(withHeaders.apply(head));
        }
        String rangeHeader = Conditional.rangeToServe(request, etag);
        ByteRange.Outcome outcome = ByteRange.parse(rangeHeader, sizeBytes);
        if (outcome instanceof ByteRange.Unsatisfiable) {
            return CompletableFuture.completedFuture(withHeaders.apply(Conditional.unsatisfiable(rangeHeader,
                    sizeBytes)));
        }
        ByteRange range = outcome instanceof ByteRange.Partial partial ? partial.range() : null;
        NodeBlobs blobs = node.blobs();
        return NodeOutcomes.within(blobs.ensureLocal(pointer),
                        answerWithinMs + NodeBlobs.transferAllowanceMs(pointer.sizeBytes()))
                .thenApplyAsync(local -> withHeaders.apply(blobReply(blobs, pointer, range)), blobs.io());
    }

    /** Runs on the blob executor: opening a file may block. */
    private static Reply blobReply(NodeBlobs blobs, Value.BlobPointer pointer, ByteRange range) {
        long sizeBytes = pointer.sizeBytes();
        HttpResponseStatus status = range == null ? HttpResponseStatus.OK : HttpResponseStatus.PARTIAL_CONTENT;
        long first = range == null ? 0 : range.first();
        long lengthBytes = range == null ? sizeBytes : range.lengthBytes();
        Reply reply = Reply.file(status, new Reply.FileBody(open(blobs, pointer), first, lengthBytes),
                pointer.contentType());
        if (range != null) {
            reply.header(HttpHeaderNames.CONTENT_RANGE, Conditional.contentRange(range, sizeBytes));
        }
        return reply.header(HttpHeaderNames.ACCEPT_RANGES, "bytes");
    }

    /** Opens the blob and checks its size against the pointer's, the other side of the upload's count. */
    private static BlobReader open(NodeBlobs blobs, Value.BlobPointer pointer) {
        BlobReader reader;
        try {
            reader = blobs.store().open(pointer.digest());
        } catch (IOException e) {
            throw new UncheckedIOException("opening blob " + pointer.digestName(), e);
        }
        if (reader.size() != pointer.sizeBytes()) {
            Reply.closeQuietly(reader);
            throw new IllegalStateException("blob " + pointer.digestName() + " holds " + reader.size()
                    + " bytes, its pointer says " + pointer.sizeBytes());
        }
        return reader;
    }

    static String etag(String digestName) {
        return "\"" + digestName + "\"";
    }
}

package io.confman.http;

import io.confman.http.NodeOutcomes.Kind;
import io.confman.http.Router.Routed;
import io.confman.node.ConfmanNode;
import io.confman.node.NodeBlobs;
import io.confman.node.NodeStatus;
import io.confman.storage.blob.BlobDigest;
import io.confman.storage.blob.BlobDigestMismatchException;
import io.confman.storage.blob.BlobUpload;
import io.confman.store.command.Value;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.TooLongFrameException;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.DefaultHttpResponse;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.handler.codec.http.TooLongHttpHeaderException;
import io.netty.handler.codec.http.TooLongHttpLineException;
import io.netty.handler.timeout.IdleStateEvent;
import io.netty.util.ReferenceCountUtil;
import io.prometheus.metrics.core.datapoints.CounterDataPoint;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.System.Logger.Level;
import java.nio.ByteBuffer;
import java.util.ArrayDeque;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.RejectedExecutionException;

/**
 * One client connection: reads one request at a time (head, then the body), hands it to its
 * route, and writes the answer when the route's future completes, back on this connection's
 * event loop. A body up to {@code inlineMaxBytes} is buffered; a blob upload, and a value
 * larger than that, streams into a {@link BlobUpload} chunk by chunk and reaches its route as
 * the published blob's pointer. While a request is served (or its upload is being opened),
 * reading stops (autoRead off) and anything already decoded waits in a small queue, so
 * pipelined requests are answered in order. All state here is touched only on the channel's
 * event loop; the blocking steps of an upload run on the node's blob executor.
 */
final class HttpConnection extends ChannelInboundHandlerAdapter {

    private static final System.Logger LOG = System.getLogger(HttpConnection.class.getName());
    /** Decoded objects held while a request is served: one read's worth, bounded anyway. */
    static final int QUEUED_OBJECTS_MAX = 1024;
    /** After a refusal we read and drop the rest of the body up to this much, so the client sees the answer. */
    static final long DISCARD_BYTES_MAX = 64L * 1024 * 1024;
    private static final Set<String> KNOWN_METHODS = Set.of("GET", "HEAD", "PUT", "POST", "DELETE", "OPTIONS",
            "PATCH", "TRACE", "CONNECT");

    private enum State {
        /** Waiting for a request head. */
        HEAD,
        /** Buffering the body of {@link #head}. */
        BODY,
        /** The blob upload is being created on the blob executor; decoded objects wait in the queue. */
        OPENING,
        /** Streaming the body of {@link #head} into {@link #upload}. */
        UPLOAD,
        /** The request was refused before its body was read; dropping the body, then closing. */
        DISCARD,
        /** The request is with its route (or its upload is being published); nothing is read until it is answered. */
        SERVING,
        /** The connection is closing; everything is dropped. */
        CLOSING
    }

    private final ConfmanNode node;
    private final HttpConfig config;
    private final Router router;
    private final HttpMetrics metrics;
    private final long bufferedBytesMax;
    private final ArrayDeque<Object> queued = new ArrayDeque<>();

    private State state = State.HEAD;
    private HttpRequest head;
    private BodyBuffer body;
    /** The route of a PUT whose body may go to the blob store, from its head; else null. */
    private Routed uploadRoute;
    /** The digest the uploaded body must hash to, or null. */
    private BlobDigest expectedDigest;
    // Invariant: upload != null exactly when state == UPLOAD.
    private BlobUpload upload;
    private CounterDataPoint uploadBytes;
    private long discardedBytes;
    private long startNanos;

    HttpConnection(ConfmanNode node, HttpConfig config, Router router, HttpMetrics metrics) {
        this.node = node;
        this.config = config;
        this.router = router;
        this.metrics = metrics;
        this.bufferedBytesMax = BodyLimits.bufferedBytesMax(config);
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object message) {
        if (state == State.SERVING || state == State.OPENING) {
            if (queued.size() >= QUEUED_OBJECTS_MAX) {
                ReferenceCountUtil.release(message);
                LOG.log(Level.WARNING, "closing " + ctx.channel() + ": more than " + QUEUED_OBJECTS_MAX
                        + " pipelined HTTP objects");
                closeNow(ctx);
                return;
            }
            queued.add(message);
            return;
        }
        try {
            process(ctx, message);
        } finally {
            ReferenceCountUtil.release(message);
        }
    }

    private void process(ChannelHandlerContext ctx, Object message) {
        if (message instanceof HttpRequest request && state == State.HEAD) {
            onHead(ctx, request);
        }
        if (message instanceof HttpContent content) {
            onContent(ctx, content);
        }
    }

    // ---------------------------------------------------------------- reading a request

    private void onHead(ChannelHandlerContext ctx, HttpRequest request) {
        startNanos = System.nanoTime();
        head = request;
        if (request.decoderResult().isFailure()) {
            refuseMalformed(ctx, request.decoderResult().cause());
            return;
        }
        long declaredBytes = HttpUtil.getContentLength(request, -1L);
        boolean continueExpected = HttpUtil.is100ContinueExpected(request);
        uploadRoute = uploadRoute(ctx, request);
        long limitBytes = uploadRoute == null ? bufferedBytesMax : config.valueBytesMax();
        if (declaredBytes > limitBytes) {
            refuseTooLarge(ctx, declaredBytes, continueExpected);
            return;
        }
        boolean streams = uploadRoute != null
                && (uploadRoute.upload().always() || declaredBytes > config.inlineMaxBytes());
        if (streams && !checkUpload(ctx, continueExpected)) {
            return;
        }
        if (continueExpected) {
            ctx.writeAndFlush(new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.CONTINUE,
                    Unpooled.EMPTY_BUFFER));
        }
        if (streams) {
            beginUpload(ctx, false);
            return;
        }
        body = new BodyBuffer((int) Math.max(0, Math.min(declaredBytes, bufferedBytesMax)));
        state = State.BODY;
    }

    /**
     * The route of a PUT whose body may go to the blob store, or null. A request that does not
     * route is buffered, and fails to route again when it is dispatched, as any other.
     */
    private Routed uploadRoute(ChannelHandlerContext ctx, HttpRequest request) {
        if (!HttpMethod.PUT.equals(request.method())) {
            return null;
        }
        try {
            Routed routed = router.route(headOnly(ctx, request));
            return routed.upload() == null ? null : routed;
        } catch (RuntimeException e) {
            return null;
        }
    }

    private static ClientRequest headOnly(ChannelHandlerContext ctx, HttpRequest request) {
        return ClientRequest.head(request.method(), request.uri(), request.headers(), ctx.executor(),
                ctx.channel().closeFuture());
    }

    /** Runs the route's checks before a byte is stored; false when the request was refused. */
    private boolean checkUpload(ChannelHandlerContext ctx, boolean bodyNotSent) {
        try {
            expectedDigest = uploadRoute.upload().check().apply(headOnly(ctx, head));
            return true;
        } catch (RuntimeException e) {
            refuseBody(ctx, uploadRoute.name(), NodeOutcomes.toError(e, Kind.OTHER), bodyNotSent);
            return false;
        }
    }

    private void onContent(ChannelHandlerContext ctx, HttpContent content) {
        if (content.decoderResult().isFailure()) {
            refuseMalformedBody(ctx, content.decoderResult().cause());
            return;
        }
        ByteBuf bytes = content.content();
        boolean last = content instanceof LastHttpContent;
        if (state == State.DISCARD) {
            discardedBytes += bytes.readableBytes();
            if (last || discardedBytes > DISCARD_BYTES_MAX) {
                closeAfterFlush(ctx);
            }
            return;
        }
        if (state == State.UPLOAD) {
            onUploadContent(ctx, bytes, last);
            return;
        }
        if (state != State.BODY) {
            return;
        }
        long bufferedBytes = body.size() + (long) bytes.readableBytes();
        if (bufferedBytes > bufferedBytesMax) {
            boolean spills = uploadRoute != null && bufferedBytes <= config.valueBytesMax();
            if (!spills) {
                refuseTooLarge(ctx, bufferedBytes, false);
                closeIfLast(ctx, last);
                return;
            }
            // A body of unknown length passed inlineMaxBytes: what is buffered (at most one
            // chunk more) becomes the start of a blob upload.
            if (!checkUpload(ctx, false)) {
                closeIfLast(ctx, last);
                return;
            }
            body.writeBytes(ByteBufUtil.getBytes(bytes));
            beginUpload(ctx, last);
            return;
        }
        body.writeBytes(ByteBufUtil.getBytes(bytes));
        if (last) {
            dispatch(ctx, null);
        }
    }

    /** A request the decoder could not read: its state is lost, so answer and close. */
    private void refuseMalformed(ChannelHandlerContext ctx, Throwable cause) {
        ApiError error;
        if (cause instanceof TooLongHttpHeaderException) {
            error = new ApiError(HttpResponseStatus.REQUEST_HEADER_FIELDS_TOO_LARGE, "headers_too_large",
                    "the request headers are over " + config.headerBytesMax() + " bytes");
        } else if (cause instanceof TooLongHttpLineException || cause instanceof TooLongFrameException) {
            error = new ApiError(HttpResponseStatus.REQUEST_URI_TOO_LONG, "uri_too_long",
                    "the request line is over " + config.headerBytesMax() + " bytes");
        } else {
            error = ApiError.badRequest("malformed HTTP request: " + cause.getMessage());
        }
        state = State.CLOSING;
        respond(ctx, "malformed", Reply.error(error), false);
    }

    /**
     * A body the decoder could not read (a bad chunk-size line, a chunk not followed by CRLF,
     * trailers over the limit): the decoder ends it with an empty last chunk that carries the
     * failure, so what arrived is only a part of the body. Nothing of it is stored: the upload
     * is closed (its temporary file deleted), and the request is answered 400 and the
     * connection closed, since the decoder drops everything after.
     */
    private void refuseMalformedBody(ChannelHandlerContext ctx, Throwable cause) {
        if (state == State.DISCARD) {
            closeAfterFlush(ctx); // Already answered.
            return;
        }
        if (state != State.BODY && state != State.UPLOAD) {
            return; // Closing already: the answer is on its way.
        }
        body = null;
        abortUpload();
        refuseMalformed(ctx, cause);
    }

    /** 413 as soon as the size is known (see {@link #refuseBody}). */
    private void refuseTooLarge(ChannelHandlerContext ctx, long sizeBytes, boolean bodyNotSent) {
        ApiError error;
        try {
            BodyLimits.checkValue(sizeBytes, config);
            error = ApiError.valueTooLarge("the request body is over " + bufferedBytesMax + " bytes");
        } catch (ApiError tooLarge) {
            error = tooLarge;
        }
        refuseBody(ctx, "too_large", error, bodyNotSent);
    }

    /**
     * Answers a request before its body is read whole, dropping what was buffered or
     * uploaded. The rest of the body is read and dropped (bounded), so that a client still
     * sending sees the answer instead of a reset; then the connection closes, since nothing
     * else can be trusted to follow on it. A client told to wait (100-continue) sends no body.
     */
    private void refuseBody(ChannelHandlerContext ctx, String route, ApiError error, boolean bodyNotSent) {
        body = null;
        abortUpload();
        state = bodyNotSent ? State.CLOSING : State.DISCARD;
        respond(ctx, route, Reply.error(error), false);
    }

    private void closeIfLast(ChannelHandlerContext ctx, boolean last) {
        if (last && state == State.DISCARD) {
            closeAfterFlush(ctx);
        }
    }

    // ---------------------------------------------------------------- streaming into the blob store

    /**
     * Creates the upload on the blob executor (it creates a file, which may block) while
     * reading waits; what the decoder already produced waits in the queue.
     * {@code bodyComplete}: the buffered bytes are the whole body.
     */
    private void beginUpload(ChannelHandlerContext ctx, boolean bodyComplete) {
        state = State.OPENING;
        ctx.channel().config().setAutoRead(false);
        CompletableFuture<BlobUpload> begun;
        try {
            NodeBlobs blobs = node.blobs();
            begun = CompletableFuture.supplyAsync(() -> {
                try {
                    return blobs.store().begin();
                } catch (IOException e) {
                    throw new UncheckedIOException("starting a blob upload", e);
                }
            }, blobs.io());
        } catch (RuntimeException e) {
            begun = CompletableFuture.failedFuture(e);
        }
        begun.whenComplete((started, failure) -> onLoop(ctx,
                () -> uploadBegun(ctx, started, failure, bodyComplete),
                () -> {
                    if (started != null) {
                        closeUpload(started);
                    }
                }));
    }

    private void uploadBegun(ChannelHandlerContext ctx, BlobUpload started, Throwable failure, boolean bodyComplete) {
        if (state != State.OPENING) {
            // The connection closed meanwhile.
            if (started != null) {
                closeUpload(started);
            }
            return;
        }
        if (failure != null) {
            refuseBody(ctx, uploadRoute.name(), NodeOutcomes.toError(failure, Kind.OTHER), false);
            closeIfLast(ctx, bodyComplete);
            drainQueued(ctx);
            return;
        }
        upload = started;
        state = State.UPLOAD;
        uploadBytes = metrics.blobUploadBytes(uploadRoute.name());
        if (body != null) {
            // A chunked body that passed inlineMaxBytes: what was buffered goes first.
            BodyBuffer buffered = body;
            body = null;
            // A failure refuses the request; the rest of the body is dropped.
            boolean written = write(ctx, buffered.size(), () -> buffered.appendTo(upload));
            if (bodyComplete) {
                if (written) {
                    finishUpload(ctx);
                } else {
                    closeIfLast(ctx, true);
                }
                return;
            }
        }
        drainQueued(ctx);
    }

    private void onUploadContent(ChannelHandlerContext ctx, ByteBuf bytes, boolean last) {
        long uploadedBytes = upload.size() + bytes.readableBytes();
        if (uploadedBytes > config.valueBytesMax()) {
            refuseTooLarge(ctx, uploadedBytes, false);
            closeIfLast(ctx, last);
            return;
        }
        if (!write(ctx, bytes)) {
            closeIfLast(ctx, last);
            return;
        }
        if (last) {
            finishUpload(ctx);
        }
    }

    /**
     * Appends a chunk to the upload, on the event loop: a copy into the upload's memory
     * mapping (HTTP.md, "Threading"). False when the upload failed and the request was refused.
     */
    private boolean write(ChannelHandlerContext ctx, ByteBuf bytes) {
        return write(ctx, bytes.readableBytes(), () -> {
            for (ByteBuffer buffer : bytes.nioBuffers()) {
                upload.write(buffer);
            }
        });
    }

    /** A write of {@code count} bytes into the upload, as {@link #write(ChannelHandlerContext, ByteBuf)}. */
    private boolean write(ChannelHandlerContext ctx, int count, UploadWrite write) {
        try {
            write.run();
        } catch (IOException | RuntimeException e) {
            refuseBody(ctx, uploadRoute.name(), NodeOutcomes.toError(e, Kind.OTHER), false);
            return false;
        }
        uploadBytes.inc(count);
        return true;
    }

    /**
     * The whole body is in the upload: publish it on the blob executor (fsync and rename),
     * then hand the request to its route with the blob's pointer. From here the upload belongs
     * to that task, which closes it; a client leaving now does not stop the request, as it
     * would not stop a buffered one.
     */
    private void finishUpload(ChannelHandlerContext ctx) {
        state = State.SERVING;
        ctx.channel().config().setAutoRead(false);
        BlobUpload finishing = upload;
        upload = null;
        BlobDigest expected = expectedDigest;
        String contentType = BlobApi.contentType(head.headers());
        CompletableFuture<Value.BlobPointer> published;
        try {
            published = CompletableFuture.supplyAsync(() -> publish(finishing, expected, contentType),
                    node.blobs().io());
        } catch (RuntimeException e) {
            closeUpload(finishing);
            published = CompletableFuture.failedFuture(e);
        }
        published.whenComplete((pointer, failure) -> onLoop(ctx, () -> {
            if (failure == null) {
                dispatch(ctx, pointer);
            } else {
                answer(ctx, uploadRoute, CompletableFuture.failedFuture(uploadError(failure)),
                        HttpUtil.isKeepAlive(head));
            }
        }, () -> { }));
    }

    /** One step that writes into the upload. */
    @FunctionalInterface
    private interface UploadWrite {
        void run() throws IOException;
    }

    /** Runs on the blob executor. */
    private static Value.BlobPointer publish(BlobUpload finishing, BlobDigest expected, String contentType) {
        try (finishing) {
            long sizeBytes = finishing.size();
            BlobDigest digest = finishing.finish(expected);
            return new Value.BlobPointer(digest.bytes(), sizeBytes, contentType);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static Throwable uploadError(Throwable failure) {
        Throwable cause = NodeOutcomes.unwrap(failure);
        if (cause instanceof UncheckedIOException unchecked && unchecked.getCause() != null) {
            cause = unchecked.getCause();
        }
        if (cause instanceof BlobDigestMismatchException mismatch) {
            return new ApiError(HttpResponseStatus.BAD_REQUEST, "digest_mismatch", mismatch.getMessage());
        }
        return cause;
    }

    /** Deletes the temporary file of an upload that will not be finished. */
    private void abortUpload() {
        if (upload != null) {
            BlobUpload abandoned = upload;
            upload = null;
            closeUpload(abandoned);
        }
    }

    /**
     * Closes an unfinished upload, deleting its temporary file. A failure to delete it is
     * logged and not thrown: this runs while a connection cleans up, which must go on, and
     * the store deletes every temporary file it finds when it opens (storage/FORMAT.md 9.3).
     */
    private static void closeUpload(BlobUpload abandoned) {
        try {
            abandoned.close();
        } catch (UncheckedIOException e) {
            LOG.log(Level.WARNING, "closing " + abandoned + " left its temporary file behind", e);
        }
    }

    /**
     * Runs {@code task} on this connection's event loop; when the loop no longer takes tasks
     * (the server closed), runs {@code orElse} at once, to free what the task would have used.
     * A task that throws is a bug: it is logged and the connection closes, rather than leave
     * the client waiting for an answer that will never come.
     */
    private void onLoop(ChannelHandlerContext ctx, Runnable task, Runnable orElse) {
        try {
            ctx.executor().execute(() -> guarded(ctx, task));
        } catch (RejectedExecutionException e) {
            orElse.run();
        }
    }

    /**
     * Runs {@code task}, already on the event loop, from a task or a write listener, where
     * nothing would report what it throws (a listener's promise swallows it into a log line)
     * and the connection would stay with reading stopped, answering nothing, forever. A
     * throw is a bug: it is logged and the connection closes.
     */
    private void guarded(ChannelHandlerContext ctx, Runnable task) {
        try {
            task.run();
        } catch (RuntimeException e) {
            LOG.log(Level.ERROR, "closing " + ctx.channel() + " after an internal error", e);
            closeNow(ctx);
        }
    }

    // ---------------------------------------------------------------- serving it

    /** The body is complete: buffered, or stored as {@code blob}. Hands the request to its route. */
    private void dispatch(ChannelHandlerContext ctx, Value.BlobPointer blob) {
        state = State.SERVING;
        ctx.channel().config().setAutoRead(false);
        HttpRequest request = head;
        boolean keepAlive = HttpUtil.isKeepAlive(request);
        byte[] bytes = blob == null ? body.toByteArray() : null;
        body = null;
        ClientRequest clientRequest;
        Routed routed;
        CompletableFuture<Reply> answer;
        try {
            // Decoding the query may fail (a bad escape): a 400 like a path that does not route.
            clientRequest = blob == null
                    ? ClientRequest.of(request.method(), request.uri(), request.headers(), bytes, ctx.executor(),
                            ctx.channel().closeFuture())
                    : headOnly(ctx, request).withBlob(blob);
            routed = router.route(clientRequest);
        } catch (RuntimeException e) {
            routed = new Routed("invalid", Kind.OTHER, null);
            answer = CompletableFuture.failedFuture(e);
            answer(ctx, routed, answer, keepAlive);
            return;
        }
        try {
            answer = routed.handler().handle(clientRequest);
        } catch (RuntimeException e) {
            answer = CompletableFuture.failedFuture(e);
        }
        answer(ctx, routed, answer, keepAlive);
    }

    private void answer(ChannelHandlerContext ctx, Routed routed, CompletableFuture<Reply> answer, boolean keepAlive) {
        // The node completes futures on its own loop thread; the answer is written from ours.
        answer.whenComplete((reply, failure) -> onLoop(ctx, () -> {
            Reply done = failure == null ? reply : Reply.error(NodeOutcomes.toError(failure, routed.kind()));
            respond(ctx, routed.name(), done, keepAlive);
        }, () -> {
            if (reply != null) {
                reply.release();
            }
        }));
    }

    private void respond(ChannelHandlerContext ctx, String route, Reply reply, boolean keepAlive) {
        Reply.FileBody file = reply.file();
        HttpResponse response;
        try {
            response = response(reply, keepAlive);
            String method = head == null ? "other" : methodLabel(head.method());
            metrics.requestAnswered(route, method, reply.status().code(), System.nanoTime() - startNanos);
        } catch (RuntimeException e) {
            // Until the reply is handed to Netty it is ours to free (its buffer, its blob's file).
            reply.release();
            throw e;
        }
        if (!ctx.channel().isActive()) {
            reply.release();
            return;
        }
        if (reply.stream() != null) {
            // The connection stays SERVING for good: nothing more is read from it, the idle
            // handler leaves it open, and it ends when either side closes it.
            ctx.writeAndFlush(response);
            reply.stream().start(ctx.channel());
            return;
        }
        ChannelFuture written = file == null ? ctx.writeAndFlush(response) : writeFile(ctx, route, response, file);
        if (state == State.DISCARD) {
            return; // The connection closes once the body has been dropped.
        }
        if (!keepAlive || state == State.CLOSING) {
            written.addListener(ChannelFutureListener.CLOSE);
            return;
        }
        written.addListener(future -> guarded(ctx, () -> afterResponse(ctx, future.isSuccess())));
    }

    /**
     * The response for {@code reply}, with the node's headers. A 304 carries no
     * Content-Length: RFC 9110 section 8.6 allows one only if it is the length the 200
     * would have had, and a 0 would tell a cache the value is empty.
     */
    private HttpResponse response(Reply reply, boolean keepAlive) {
        if (reply.stream() != null) {
            HttpResponse response = new DefaultHttpResponse(HttpVersion.HTTP_1_1, reply.status());
            response.headers().set(reply.headers());
            addNodeHeaders(response.headers(), node.status());
            HttpUtil.setTransferEncodingChunked(response, true);
            return response;
        }
        HttpResponse response = reply.file() == null
                ? new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, reply.status(), reply.body())
                : new DefaultHttpResponse(HttpVersion.HTTP_1_1, reply.status());
        HttpHeaders headers = response.headers();
        headers.set(reply.headers());
        addNodeHeaders(headers, node.status());
        if (!HttpResponseStatus.NOT_MODIFIED.equals(reply.status())) {
            HttpUtil.setContentLength(response, reply.contentLengthBytes());
        }
        HttpUtil.setKeepAlive(response, keepAlive);
        return response;
    }

    /**
     * The head, the blob's bytes as a file region (zero-copy; the pipeline has no TLS), and
     * the end of the message. The region closes the blob's reader when Netty releases it:
     * written, failed, or dropped with the channel. Memory does not depend on the size.
     */
    private ChannelFuture writeFile(ChannelHandlerContext ctx, String route, HttpResponse response,
                                    Reply.FileBody file) {
        ctx.write(response);
        if (file.lengthBytes() > 0) {
            ctx.write(new BlobRegion(file));
        } else {
            Reply.closeQuietly(file.reader());
        }
        ChannelFuture written = ctx.writeAndFlush(LastHttpContent.EMPTY_LAST_CONTENT);
        written.addListener(future -> {
            if (future.isSuccess()) {
                metrics.blobDownloaded(route, file.lengthBytes());
            }
        });
        return written;
    }

    /** The response went out: take the next request, first from the queue, then from the socket. */
    private void afterResponse(ChannelHandlerContext ctx, boolean success) {
        if (!success) {
            closeNow(ctx);
            return;
        }
        state = State.HEAD;
        head = null;
        uploadRoute = null;
        expectedDigest = null;
        drainQueued(ctx);
    }

    /** Processes what waited in the queue until a request needs waiting again; then reads on, or not. */
    private void drainQueued(ChannelHandlerContext ctx) {
        while (!queued.isEmpty() && reading()) {
            Object next = queued.poll();
            try {
                process(ctx, next);
            } finally {
                ReferenceCountUtil.release(next);
            }
        }
        if (reading()) {
            ctx.channel().config().setAutoRead(true);
        }
    }

    private boolean reading() {
        return state != State.SERVING && state != State.CLOSING && state != State.OPENING;
    }

    static void addNodeHeaders(HttpHeaders headers, NodeStatus status) {
        headers.set(ConfmanHttpServer.HEADER_NODE, status.id());
        headers.set(ConfmanHttpServer.HEADER_TERM, status.term());
        headers.set(ConfmanHttpServer.HEADER_LEADER, status.leaderId() == null ? "" : status.leaderId());
    }

    /** Methods are a metrics label: only the standard ones, so that clients cannot grow the label set. */
    private static String methodLabel(HttpMethod method) {
        return KNOWN_METHODS.contains(method.name()) ? method.name() : "other";
    }

    // ---------------------------------------------------------------- closing

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object event) throws Exception {
        if (event instanceof IdleStateEvent) {
            // A request being served may wait long (a blocking read, a large download), and so
            // may an upload being opened while the blob executor is busy: the server, not the
            // client, stopped reading then. Only an idle client is closed.
            if (state != State.SERVING && state != State.OPENING) {
                closeNow(ctx);
            }
            return;
        }
        super.userEventTriggered(ctx, event);
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) throws Exception {
        // A client that leaves mid-upload leaves nothing behind: the temporary file goes.
        abortUpload();
        state = State.CLOSING;
        releaseQueued();
        super.channelInactive(ctx);
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        // A reset by the client is ordinary; anything else is a bug, logged with its stack
        // trace. Either way the connection ends.
        if (cause instanceof IOException) {
            LOG.log(Level.DEBUG, "closing " + ctx.channel() + " after " + cause);
        } else {
            LOG.log(Level.ERROR, "closing " + ctx.channel() + " after an internal error", cause);
        }
        closeNow(ctx);
    }

    private void closeAfterFlush(ChannelHandlerContext ctx) {
        state = State.CLOSING;
        ctx.writeAndFlush(Unpooled.EMPTY_BUFFER).addListener(ChannelFutureListener.CLOSE);
    }

    private void closeNow(ChannelHandlerContext ctx) {
        state = State.CLOSING;
        abortUpload();
        releaseQueued();
        ctx.close();
    }

    private void releaseQueued() {
        while (!queued.isEmpty()) {
            ReferenceCountUtil.release(queued.poll());
        }
    }

    /** A buffered body that can hand its bytes to an upload without copying them first. */
    private static final class BodyBuffer extends ByteArrayOutputStream {

        BodyBuffer(int sizeBytes) {
            super(sizeBytes);
        }

        void appendTo(BlobUpload upload) throws IOException {
            upload.write(buf, 0, count);
        }
    }
}

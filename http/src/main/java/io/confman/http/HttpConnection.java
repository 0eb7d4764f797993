package io.confman.http;

import io.confman.http.NodeOutcomes.Kind;
import io.confman.http.Router.Routed;
import io.confman.node.ConfmanNode;
import io.confman.node.NodeStatus;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.TooLongFrameException;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.handler.codec.http.TooLongHttpHeaderException;
import io.netty.handler.codec.http.TooLongHttpLineException;
import io.netty.handler.timeout.IdleStateEvent;
import io.netty.util.ReferenceCountUtil;
import java.io.ByteArrayOutputStream;
import java.lang.System.Logger.Level;
import java.util.ArrayDeque;
import java.util.Set;
import java.util.concurrent.CompletableFuture;

/**
 * One client connection: reads one request at a time (head, then a bounded body), hands it
 * to its route, and writes the answer when the route's future completes, back on this
 * connection's event loop. While a request is served, reading stops (autoRead off) and
 * anything already decoded waits in a small queue, so pipelined requests are answered in
 * order. All state here is touched only on the channel's event loop.
 */
final class HttpConnection extends ChannelInboundHandlerAdapter {

    private static final System.Logger LOG = System.getLogger(HttpConnection.class.getName());
    /** Decoded objects held while a request is served: one read's worth, bounded anyway. */
    static final int QUEUED_OBJECTS_MAX = 1024;
    /** After a 413 we read and drop the rest of the body up to this much, so the client sees the answer. */
    static final long DISCARD_BYTES_MAX = 64L * 1024 * 1024;
    private static final Set<String> KNOWN_METHODS = Set.of("GET", "HEAD", "PUT", "POST", "DELETE", "OPTIONS",
            "PATCH", "TRACE", "CONNECT");

    private enum State {
        /** Waiting for a request head. */
        HEAD,
        /** Buffering the body of {@link #head}. */
        BODY,
        /** A 413 was sent; dropping the body, then closing. */
        DISCARD,
        /** The request is with its route; nothing is read until it is answered. */
        SERVING,
        /** The connection is closing; everything is dropped. */
        CLOSING
    }

    private final ConfmanNode node;
    private final HttpConfig config;
    private final Router router;
    private final HttpMetrics metrics;
    private final long bodyBytesMax;
    private final ArrayDeque<Object> queued = new ArrayDeque<>();

    private State state = State.HEAD;
    private HttpRequest head;
    private ByteArrayOutputStream body;
    private long discardedBytes;
    private long startNanos;

    HttpConnection(ConfmanNode node, HttpConfig config, Router router, HttpMetrics metrics) {
        this.node = node;
        this.config = config;
        this.router = router;
        this.metrics = metrics;
        this.bodyBytesMax = BodyLimits.bodyBytesMax(config);
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object message) {
        if (state == State.SERVING) {
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
        if (declaredBytes > bodyBytesMax) {
            refuseTooLarge(ctx, declaredBytes, HttpUtil.is100ContinueExpected(request));
            return;
        }
        if (HttpUtil.is100ContinueExpected(request)) {
            ctx.writeAndFlush(new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.CONTINUE,
                    Unpooled.EMPTY_BUFFER));
        }
        body = new ByteArrayOutputStream((int) Math.max(0, Math.min(declaredBytes, bodyBytesMax)));
        state = State.BODY;
    }

    private void onContent(ChannelHandlerContext ctx, HttpContent content) {
        ByteBuf bytes = content.content();
        boolean last = content instanceof LastHttpContent;
        if (state == State.DISCARD) {
            discardedBytes += bytes.readableBytes();
            if (last || discardedBytes > DISCARD_BYTES_MAX) {
                closeAfterFlush(ctx);
            }
            return;
        }
        if (state != State.BODY) {
            return;
        }
        if (body.size() + (long) bytes.readableBytes() > bodyBytesMax) {
            refuseTooLarge(ctx, body.size() + (long) bytes.readableBytes(), false);
            if (last) {
                closeAfterFlush(ctx);
            }
            return;
        }
        body.writeBytes(ByteBufUtil.getBytes(bytes));
        if (last) {
            dispatch(ctx);
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
     * 413 as soon as the size is known. The rest of the body is read and dropped (bounded),
     * so that a client still sending sees the answer instead of a reset; then the connection
     * closes, since nothing else can be trusted to follow on it.
     */
    private void refuseTooLarge(ChannelHandlerContext ctx, long sizeBytes, boolean bodyNotSent) {
        ApiError error;
        try {
            BodyLimits.checkValue(sizeBytes, config);
            error = ApiError.valueTooLarge("the request body is over " + bodyBytesMax + " bytes");
        } catch (ApiError tooLarge) {
            error = tooLarge;
        }
        body = null;
        state = bodyNotSent ? State.CLOSING : State.DISCARD;
        respond(ctx, "too_large", Reply.error(error), false);
    }

    // ---------------------------------------------------------------- serving it

    private void dispatch(ChannelHandlerContext ctx) {
        state = State.SERVING;
        ctx.channel().config().setAutoRead(false);
        HttpRequest request = head;
        boolean keepAlive = HttpUtil.isKeepAlive(request);
        ClientRequest clientRequest = ClientRequest.of(request.method(), request.uri(), request.headers(),
                body.toByteArray(), ctx.executor(), ctx.channel().closeFuture());
        body = null;
        Routed routed;
        CompletableFuture<Reply> answer;
        try {
            routed = router.route(clientRequest);
        } catch (RuntimeException e) {
            routed = new Routed("invalid", Kind.OTHER, null);
            answer = CompletableFuture.failedFuture(e);
            finish(ctx, routed, answer, keepAlive);
            return;
        }
        try {
            answer = routed.handler().handle(clientRequest);
        } catch (RuntimeException e) {
            answer = CompletableFuture.failedFuture(e);
        }
        finish(ctx, routed, answer, keepAlive);
    }

    private void finish(ChannelHandlerContext ctx, Routed routed, CompletableFuture<Reply> answer, boolean keepAlive) {
        // The node completes futures on its own loop thread; the answer is written from ours.
        answer.whenCompleteAsync((reply, failure) -> {
            Reply done = failure == null ? reply : Reply.error(NodeOutcomes.toError(failure, routed.kind()));
            respond(ctx, routed.name(), done, keepAlive);
        }, ctx.executor());
    }

    private void respond(ChannelHandlerContext ctx, String route, Reply reply, boolean keepAlive) {
        FullHttpResponse response = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, reply.status(), reply.body());
        HttpHeaders headers = response.headers();
        headers.set(reply.headers());
        addNodeHeaders(headers, node.status());
        HttpUtil.setContentLength(response, reply.body().readableBytes());
        HttpUtil.setKeepAlive(response, keepAlive);
        String method = head == null ? "other" : methodLabel(head.method());
        metrics.requestAnswered(route, method, reply.status().code(), System.nanoTime() - startNanos);
        if (!ctx.channel().isActive()) {
            response.release();
            return;
        }
        ChannelFuture written = ctx.writeAndFlush(response);
        if (state == State.DISCARD) {
            return; // The connection closes once the body has been dropped.
        }
        if (!keepAlive || state == State.CLOSING) {
            written.addListener(ChannelFutureListener.CLOSE);
            return;
        }
        written.addListener(future -> afterResponse(ctx, future.isSuccess()));
    }

    /** The response went out: take the next request, first from the queue, then from the socket. */
    private void afterResponse(ChannelHandlerContext ctx, boolean success) {
        if (!success) {
            closeNow(ctx);
            return;
        }
        state = State.HEAD;
        head = null;
        while (!queued.isEmpty() && state != State.SERVING && state != State.CLOSING) {
            Object next = queued.poll();
            try {
                process(ctx, next);
            } finally {
                ReferenceCountUtil.release(next);
            }
        }
        if (state != State.SERVING && state != State.CLOSING) {
            ctx.channel().config().setAutoRead(true);
        }
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
            // A request being served may wait long (a blocking read); only an idle client is closed.
            if (state != State.SERVING) {
                closeNow(ctx);
            }
            return;
        }
        super.userEventTriggered(ctx, event);
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) throws Exception {
        releaseQueued();
        super.channelInactive(ctx);
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        // A reset by the client is ordinary; anything else is logged. Either way the connection ends.
        LOG.log(Level.DEBUG, "closing " + ctx.channel() + " after " + cause);
        closeNow(ctx);
    }

    private void closeAfterFlush(ChannelHandlerContext ctx) {
        state = State.CLOSING;
        ctx.writeAndFlush(Unpooled.EMPTY_BUFFER).addListener(ChannelFutureListener.CLOSE);
    }

    private void closeNow(ChannelHandlerContext ctx) {
        state = State.CLOSING;
        releaseQueued();
        ctx.close();
    }

    private void releaseQueued() {
        while (!queued.isEmpty()) {
            ReferenceCountUtil.release(queued.poll());
        }
    }
}

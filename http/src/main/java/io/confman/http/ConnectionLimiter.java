package io.confman.http;

import io.confman.node.ConfmanNode;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Bounds concurrent client connections at {@code connectionsMax} (STYLE 9). One more is
 * answered with a 503 JSON error and closed at once, before anything of it is read.
 */
@ChannelHandler.Sharable
final class ConnectionLimiter extends ChannelInboundHandlerAdapter {

    private final int connectionsMax;
    private final ConfmanNode node;
    private final AtomicInteger open = new AtomicInteger();

    ConnectionLimiter(int connectionsMax, ConfmanNode node) {
        this.connectionsMax = connectionsMax;
        this.node = node;
    }

    @Override
    public void channelActive(ChannelHandlerContext ctx) throws Exception {
        int now = open.incrementAndGet();
        ctx.channel().closeFuture().addListener(closed -> open.decrementAndGet());
        if (now > connectionsMax) {
            ctx.channel().config().setAutoRead(false);
            byte[] json = Json.error("too_many_connections", "this node serves at most " + connectionsMax
                    + " client connections at once");
            FullHttpResponse response = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1,
                    HttpResponseStatus.SERVICE_UNAVAILABLE, Unpooled.wrappedBuffer(json));
            response.headers().set(HttpHeaderNames.CONTENT_TYPE, HttpHeaderValues.APPLICATION_JSON);
            response.headers().set(HttpHeaderNames.RETRY_AFTER, NodeOutcomes.RETRY_AFTER_SECONDS);
            HttpConnection.addNodeHeaders(response.headers(), node.status());
            HttpUtil.setContentLength(response, json.length);
            HttpUtil.setKeepAlive(response, false);
            ctx.writeAndFlush(response).addListener(ChannelFutureListener.CLOSE);
            return;
        }
        super.channelActive(ctx);
    }

    int openConnections() {
        return open.get();
    }
}

package io.confman.http;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.handler.codec.http.DefaultHttpHeaders;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpResponseStatus;
import java.util.Map;

/** A response before the connection adds the headers every response carries. */
final class Reply {

    private final HttpResponseStatus status;
    private final HttpHeaders headers = new DefaultHttpHeaders();
    private final ByteBuf body;

    private Reply(HttpResponseStatus status, ByteBuf body, CharSequence contentType) {
        this.status = status;
        this.body = body;
        if (contentType != null) {
            headers.set(HttpHeaderNames.CONTENT_TYPE, contentType);
        }
    }

    static Reply json(HttpResponseStatus status, byte[] json) {
        return new Reply(status, Unpooled.wrappedBuffer(json), HttpHeaderValues.APPLICATION_JSON);
    }

    /** {@code body} is sent as it is; the reply owns it. */
    static Reply bytes(HttpResponseStatus status, ByteBuf body, CharSequence contentType) {
        return new Reply(status, body, contentType);
    }

    static Reply empty(HttpResponseStatus status) {
        return new Reply(status, Unpooled.EMPTY_BUFFER, null);
    }

    static Reply error(ApiError error) {
        Reply reply = json(error.status(), Json.error(error.code(), error.getMessage()));
        for (Map.Entry<String, String> header : error.headers().entrySet()) {
            reply.header(header.getKey(), header.getValue());
        }
        return reply;
    }

    Reply header(CharSequence name, Object value) {
        headers.set(name, value);
        return this;
    }

    HttpResponseStatus status() {
        return status;
    }

    HttpHeaders headers() {
        return headers;
    }

    ByteBuf body() {
        return body;
    }
}

package io.confman.http;

import io.confman.storage.blob.BlobReader;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.handler.codec.http.DefaultHttpHeaders;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpResponseStatus;
import java.io.IOException;
import java.lang.System.Logger.Level;
import java.util.Map;
import java.util.Objects;

/**
 * A response before the connection adds the headers every response carries. Its body is
 * bytes in memory, a range of a blob's file (sent zero-copy), or nothing with the length a
 * GET would send (the answer to a HEAD). A reply owns its body: whoever drops it instead of
 * sending it calls {@link #release()}.
 */
final class Reply {

    private static final System.Logger LOG = System.getLogger(Reply.class.getName());

    /** {@code lengthBytes} bytes of an open blob from {@code position}. */
    record FileBody(BlobReader reader, long position, long lengthBytes) {
        FileBody {
            Objects.requireNonNull(reader, "reader");
            if (position < 0 || lengthBytes < 0) {
                throw new IllegalArgumentException("a file body needs position >= 0 and length >= 0, was "
                        + position + " and " + lengthBytes);
            }
        }
    }

    /**
     * A body that never ends: the connection writes the head, then hands the channel over,
     * and {@code start} writes chunks on it until the client goes (server-sent events).
     */
    interface Stream {
        void start(io.netty.channel.Channel channel);
    }

    private final HttpResponseStatus status;
    private final HttpHeaders headers = new DefaultHttpHeaders();
    /** The body in memory; empty when the body is a file or absent. */
    private final ByteBuf body;
    /** Null unless the body is streamed from a blob. */
    private final FileBody file;
    /** -1 unless this answers a HEAD: then the Content-Length the GET would have. */
    private final long headLengthBytes;
    /** Null unless the body is an open-ended stream. */
    private final Stream stream;

    private Reply(HttpResponseStatus status, ByteBuf body, FileBody file, long headLengthBytes,
                  CharSequence contentType) {
        this(status, body, file, headLengthBytes, contentType, null);
    }

    private Reply(HttpResponseStatus status, ByteBuf body, FileBody file, long headLengthBytes,
                  CharSequence contentType, Stream stream) {
        this.status = status;
        this.stream = stream;
        this.body = body;
        this.file = file;
        this.headLengthBytes = headLengthBytes;
        if (contentType != null) {
            headers.set(HttpHeaderNames.CONTENT_TYPE, contentType);
        }
    }

    static Reply json(HttpResponseStatus status, byte[] json) {
        return new Reply(status, Unpooled.wrappedBuffer(json), null, -1, HttpHeaderValues.APPLICATION_JSON);
    }

    /** {@code body} is sent as it is; the reply owns it. */
    static Reply bytes(HttpResponseStatus status, ByteBuf body, CharSequence contentType) {
        return new Reply(status, body, null, -1, contentType);
    }

    /** Part of a blob, sent from its file; the reply owns {@code reader} and closes it once sent. */
    static Reply file(HttpResponseStatus status, FileBody file, CharSequence contentType) {
        return new Reply(status, Unpooled.EMPTY_BUFFER, file, -1, contentType);
    }

    /** The answer to a HEAD: no body, and the Content-Length of the body a GET would send. */
    static Reply headOnly(HttpResponseStatus status, long lengthBytes, CharSequence contentType) {
        if (lengthBytes < 0) {
            throw new IllegalArgumentException("a length must be >= 0, was " + lengthBytes);
        }
        return new Reply(status, Unpooled.EMPTY_BUFFER, null, lengthBytes, contentType);
    }

    /** An open-ended body of chunks written by {@code stream} once the head is out. */
    static Reply stream(CharSequence contentType, Stream stream) {
        return new Reply(HttpResponseStatus.OK, Unpooled.EMPTY_BUFFER, null, -1, contentType,
                Objects.requireNonNull(stream, "stream"));
    }

    static Reply empty(HttpResponseStatus status) {
        return new Reply(status, Unpooled.EMPTY_BUFFER, null, -1, null);
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

    /** The body in memory (empty for a file or HEAD reply). */
    ByteBuf body() {
        return body;
    }

    /** The open-ended body, or null. */
    Stream stream() {
        return stream;
    }

    /** The blob range to stream, or null. */
    FileBody file() {
        return file;
    }

    /** The Content-Length to announce. */
    long contentLengthBytes() {
        if (file != null) {
            return file.lengthBytes();
        }
        return headLengthBytes >= 0 ? headLengthBytes : body.readableBytes();
    }

    /** Frees the body of a reply that will not be sent: the buffer, and the blob's file. */
    void release() {
        body.release();
        if (file != null) {
            closeQuietly(file.reader());
        }
    }

    /** Closing a read-only file cannot lose data; a failure is worth a line in the log, nothing more. */
    static void closeQuietly(BlobReader reader) {
        try {
            reader.close();
        } catch (IOException e) {
            LOG.log(Level.WARNING, "closing a blob reader failed", e);
        }
    }
}

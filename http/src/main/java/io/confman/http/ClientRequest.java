package io.confman.http;

import io.confman.store.command.Value;
import io.netty.channel.ChannelFuture;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.QueryStringDecoder;
import io.netty.util.concurrent.Future;
import io.netty.util.concurrent.GenericFutureListener;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;

/**
 * One whole request as the handlers see it: the head and the body, already bounded by the
 * connection. A body that streamed into the blob store arrives as the published blob's
 * pointer instead of bytes. Immutable once built; handlers only read it.
 *
 * @param rawPath  the path as sent, still percent-encoded, so that an encoded '/' in a name
 *                 cannot change how the path splits
 * @param executor the connection's event loop: answers are formatted there, never on the
 *                 node's loop thread, which completes the node's futures
 * @param body     the body when it was buffered; empty when it went to the blob store
 * @param blob     the blob the body was stored as, or null when it was buffered
 * @param closed   completes when the client's connection closes, so that a long wait can
 *                 stop waiting for a client that went away
 */
record ClientRequest(HttpMethod method, String rawPath, Map<String, List<String>> parameters,
                     HttpHeaders headers, byte[] body, Value.BlobPointer blob, Executor executor,
                     ChannelFuture closed) {

    private static final byte[] NO_BODY = new byte[0];

    static ClientRequest of(HttpMethod method, String uri, HttpHeaders headers, byte[] body, Executor executor,
                            ChannelFuture closed) {
        QueryStringDecoder query = new QueryStringDecoder(uri);
        return new ClientRequest(method, query.rawPath(), query.parameters(), headers, body, null, executor, closed);
    }

    /** The head alone, as routes check it before its body is read. */
    static ClientRequest head(HttpMethod method, String uri, HttpHeaders headers, Executor executor,
                              ChannelFuture closed) {
        return of(method, uri, headers, NO_BODY, executor, closed);
    }

    /** This request with its body stored as {@code stored}. */
    ClientRequest withBlob(Value.BlobPointer stored) {
        return new ClientRequest(method, rawPath, parameters, headers, NO_BODY, stored, executor, closed);
    }

    /**
     * Cancels {@code waiting} if the connection closes before it completes; the listener is
     * removed once it completes, so a keep-alive connection does not collect them.
     */
    <T> CompletableFuture<T> cancelOnClose(CompletableFuture<T> waiting) {
        GenericFutureListener<Future<? super Void>> cancel = done -> waiting.cancel(false);
        closed.addListener(cancel);
        waiting.whenComplete((value, failure) -> closed.removeListener(cancel));
        return waiting;
    }

    /** The first value of a query parameter, or null. */
    String parameter(String name) {
        List<String> values = parameters.get(name);
        return values == null || values.isEmpty() ? null : values.get(0);
    }

    String header(CharSequence name) {
        return headers.get(name);
    }
}

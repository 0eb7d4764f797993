package io.confman.http;

import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.QueryStringDecoder;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Executor;

/**
 * One whole request as the handlers see it: the head and the body, already bounded by the
 * connection. Immutable once built; handlers only read it.
 *
 * @param rawPath  the path as sent, still percent-encoded, so that an encoded '/' in a name
 *                 cannot change how the path splits
 * @param executor the connection's event loop: answers are formatted there, never on the
 *                 node's loop thread, which completes the node's futures
 */
record ClientRequest(HttpMethod method, String rawPath, Map<String, List<String>> parameters,
                     HttpHeaders headers, byte[] body, Executor executor) {

    static ClientRequest of(HttpMethod method, String uri, HttpHeaders headers, byte[] body, Executor executor) {
        QueryStringDecoder query = new QueryStringDecoder(uri);
        return new ClientRequest(method, query.rawPath(), query.parameters(), headers, body, executor);
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

package io.confman.http;

import java.util.concurrent.CompletableFuture;

/**
 * Serves one route. Runs on the connection's event loop, so it must not block: it calls the
 * node's asynchronous API and returns a future the node completes. It may throw an
 * {@link ApiError} (or an IllegalArgumentException, a 400) for a request it refuses at once.
 */
@FunctionalInterface
interface Handler {
    CompletableFuture<Reply> handle(ClientRequest request);
}

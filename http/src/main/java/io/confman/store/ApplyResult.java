package io.confman.store;

import java.util.Objects;

/**
 * What applying one command did. A retried command returns the result of its first
 * application (thesis §6.3).
 */
public sealed interface ApplyResult {

    /** The key did not exist and now does (HTTP 201). */
    record Created(KeyMeta meta) implements ApplyResult {
        public Created {
            Objects.requireNonNull(meta, "meta");
        }
    }

    /** The key existed and has a new value (HTTP 200). */
    record Updated(KeyMeta meta) implements ApplyResult {
        public Updated {
            Objects.requireNonNull(meta, "meta");
        }
    }

    /** The key was removed by the write at {@code revision} (HTTP 200 {deleted,revision}). */
    /** A relocate moved the key's value into the blob store; its version and revisions are unchanged. */
    record Relocated(KeyMeta meta) implements ApplyResult {
        public Relocated {
            Objects.requireNonNull(meta, "meta");
        }
    }

    record Deleted(String namespace, String key, long revision) implements ApplyResult {
    }

    /**
     * The precondition did not hold; nothing changed and the global revision did not move
     * (HTTP 412). {@code currentModRevision} is 0 when the key does not exist.
     */
    record PreconditionFailed(String namespace, String key, long currentModRevision) implements ApplyResult {
    }

    /** A delete without precondition found no key (HTTP 404). */
    record NotFound(String namespace, String key) implements ApplyResult {
    }

    /**
     * The request's sequence number is below the first outstanding request its client has
     * declared, and its result is no longer known, so it is not applied. A client that
     * never re-sends a request it already had an answer for never sees this.
     */
    record StaleRequest(long clientId, long sequence, long firstOutstanding) implements ApplyResult {
    }
}

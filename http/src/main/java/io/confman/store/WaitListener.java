package io.confman.store;

/**
 * How the store tells the node that a blocking read may answer. The store calls it on the
 * loop thread, from {@link ConfigStore#apply} and {@link ConfigStore#expireWaiters}, after
 * the store's state is complete; the listener must not call {@code apply} itself, and must
 * not throw, because the write that fired it is already applied. A fired or expired waiter
 * is already removed when the listener runs; reading the store from the listener is fine.
 */
public interface WaitListener {

    /** The key's mod_revision now exceeds the waiter's revision ({@code modRevision} is the delete's revision for a delete). */
    void keyChanged(long waiterId, String namespace, String key, long modRevision);

    /** The waiter's deadline passed without a change; the node answers with the current value. */
    void timedOut(long waiterId);

    /** A listener for stores without blocking reads, such as one restored only to be inspected. */
    WaitListener NONE = new WaitListener() {
        @Override
        public void keyChanged(long waiterId, String namespace, String key, long modRevision) {
            throw new IllegalStateException("waiter " + waiterId + " fired, but this store has no wait listener");
        }

        @Override
        public void timedOut(long waiterId) {
            throw new IllegalStateException("waiter " + waiterId + " timed out, but this store has no wait listener");
        }
    };
}

package io.confman.store;

/** The answer to {@link ConfigStore#registerWaiter}. */
public sealed interface WaitRegistration {

    /** The key's mod_revision already exceeds the revision asked for: answer at once. */
    record Ready(long modRevision) implements WaitRegistration {
    }

    /** The waiter is registered; the listener will hear of it exactly once unless it is cancelled. */
    record Waiting(long waiterId) implements WaitRegistration {
    }

    /** {@code watchersMax} waiters already wait; the node answers 429. */
    record TooManyWaiters(int watchersMax) implements WaitRegistration {
    }
}

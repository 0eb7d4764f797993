package io.confman.node;

import io.confman.store.ConfigStore;
import io.confman.store.WaitListener;
import io.confman.store.WaitRegistration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.function.Function;

/**
 * The node's blocking reads (STORE.md, "Blocking reads"): each waits in the store's waiter
 * table until its key changes or its deadline passes, and is then answered by running its
 * function against the store, on the loop thread. Owned by the loop, like the store; the
 * store calls back through {@link WaitListener}. Bounded by the store's {@code watchersMax}.
 */
final class BlockingReads implements WaitListener {

    /** One waiting read, remembered whole so that it can be re-registered in a new store. */
    private record Waiting(String namespace, String key, long afterRevision, long deadlineMs,
                           Function<ConfigStore, Object> function, CompletableFuture<Object> future) {
    }

    /** Invariant: holds exactly the waiters of {@link #store}, by the store's waiter id. */
    private final Map<Long, Waiting> byWaiterId = new HashMap<>();
    /** The same waiters by their future (identity), so that a cancelled read can be found. */
    private final Map<CompletableFuture<Object>, Long> byFuture = new IdentityHashMap<>();
    private ConfigStore store;

    /** The store whose waiters these are; set before any read registers. */
    void attach(ConfigStore current) {
        if (!byWaiterId.isEmpty()) {
            throw new IllegalStateException(byWaiterId.size() + " blocking reads wait in the store being replaced;"
                    + " use replaceStore");
        }
        store = current;
    }

    /**
     * Registers a read: answers it at once when the key already changed, fails it with
     * {@code Overloaded} when watchersMax reads wait already, otherwise leaves it waiting.
     */
    void register(String namespace, String key, long afterRevision, long deadlineMs,
                  Function<ConfigStore, Object> function, CompletableFuture<Object> future) {
        register(new Waiting(namespace, key, afterRevision, deadlineMs, function, future));
    }

    private void register(Waiting waiting) {
        WaitRegistration registration = store.registerWaiter(waiting.namespace(), waiting.key(),
                waiting.afterRevision(), waiting.deadlineMs());
        if (registration instanceof WaitRegistration.Ready) {
            answer(waiting);
        } else if (registration instanceof WaitRegistration.Waiting registered) {
            byWaiterId.put(registered.waiterId(), waiting);
            byFuture.put(waiting.future(), registered.waiterId());
        } else if (registration instanceof WaitRegistration.TooManyWaiters full) {
            waiting.future().completeExceptionally(new NodeException.Overloaded("watchersMax "
                    + full.watchersMax() + " blocking reads are waiting"));
        } else {
            throw new IllegalStateException("unknown wait registration " + registration);
        }
    }

    /**
     * Moves every waiting read to {@code restored}, the store a snapshot install put in place
     * of the current one: those whose key changed in the snapshot are answered at once, the
     * others wait on in the new store with their old deadlines (waiters are local state and
     * not in snapshots, STORE.md).
     */
    void replaceStore(ConfigStore restored) {
        List<Long> removed = store.removeAllWaiters();
        if (removed.size() != byWaiterId.size()) {
            throw new IllegalStateException("the store held " + removed.size() + " waiters, the node "
                    + byWaiterId.size());
        }
        List<Waiting> moving = new ArrayList<>();
        for (long waiterId : removed) {
            Waiting waiting = byWaiterId.remove(waiterId);
            byFuture.remove(waiting.future());
            moving.add(waiting);
        }
        store = restored;
        moving.forEach(this::register);
    }

    @Override
    public void keyChanged(long waiterId, String namespace, String key, long modRevision) {
        answer(take(waiterId));
    }

    @Override
    public void timedOut(long waiterId) {
        answer(take(waiterId));
    }

    private Waiting take(long waiterId) {
        Waiting waiting = byWaiterId.remove(waiterId);
        if (waiting == null) {
            throw new IllegalStateException("the store fired waiter " + waiterId + ", which the node does not know");
        }
        byFuture.remove(waiting.future());
        return waiting;
    }

    /**
     * Removes the read whose future the client cancelled (it went away), so that it stops
     * holding one of the store's watchersMax places until its deadline. Nothing when the read
     * was answered meanwhile.
     */
    void cancel(CompletableFuture<?> future) {
        Long waiterId = byFuture.remove(future);
        if (waiterId == null) {
            return;
        }
        byWaiterId.remove(waiterId);
        if (!store.cancelWaiter(waiterId)) {
            throw new IllegalStateException("waiter " + waiterId + " is the node's but not the store's");
        }
    }

    /** Runs the read's function; its exception goes to the caller, never into the store's apply. */
    private void answer(Waiting waiting) {
        try {
            waiting.future().complete(waiting.function().apply(store));
        } catch (RuntimeException e) {
            waiting.future().completeExceptionally(e);
        }
    }

    /** Fails every waiting read (the node stops); the store's table is left as it is. */
    void failAll(NodeException reason) {
        byWaiterId.values().forEach(waiting -> waiting.future().completeExceptionally(reason));
        byWaiterId.clear();
        byFuture.clear();
    }

    int size() {
        return byWaiterId.size();
    }
}

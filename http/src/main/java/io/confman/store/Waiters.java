package io.confman.store;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;

/**
 * Blocking reads waiting for a key to change. Local to one node, not replicated, and not
 * in snapshots. Time is whatever monotonic milliseconds the node passes in; nothing here
 * reads a clock or starts a thread.
 */
final class Waiters {

    private record Waiter(long id, NsKey key, long afterRevision, long deadlineMs) {
    }

    private static final Comparator<Waiter> BY_DEADLINE =
            Comparator.comparingLong(Waiter::deadlineMs).thenComparingLong(Waiter::id);

    private final int watchersMax;
    private final WaitListener listener;
    private long lastWaiterId;
    /** Invariant: the three collections hold the same waiters, at most watchersMax of them. */
    private final Map<Long, Waiter> byId = new HashMap<>();
    private final Map<NsKey, List<Waiter>> byKey = new HashMap<>();
    private final TreeSet<Waiter> byDeadline = new TreeSet<>(BY_DEADLINE);

    Waiters(int watchersMax, WaitListener listener) {
        this.watchersMax = watchersMax;
        this.listener = listener;
    }

    WaitRegistration register(NsKey key, long afterRevision, long deadlineMs) {
        if (byId.size() >= watchersMax) {
            return new WaitRegistration.TooManyWaiters(watchersMax);
        }
        Waiter waiter = new Waiter(++lastWaiterId, key, afterRevision, deadlineMs);
        byId.put(waiter.id(), waiter);
        byKey.computeIfAbsent(key, k -> new ArrayList<>()).add(waiter);
        byDeadline.add(waiter);
        checkSizes();
        return new WaitRegistration.Waiting(waiter.id());
    }

    boolean cancel(long waiterId) {
        Waiter waiter = byId.get(waiterId);
        if (waiter == null) {
            return false;
        }
        remove(waiter);
        return true;
    }

    /** Fires, and removes, the waiters on {@code key} whose revision {@code modRevision} exceeds. */
    void keyChanged(NsKey key, long modRevision) {
        List<Waiter> waiting = byKey.get(key);
        if (waiting == null) {
            return;
        }
        List<Waiter> fired = new ArrayList<>();
        for (Waiter waiter : waiting) {
            if (modRevision > waiter.afterRevision()) {
                fired.add(waiter);
            }
        }
        fired.forEach(this::remove);
        for (Waiter waiter : fired) {
            listener.keyChanged(waiter.id(), key.namespace(), key.key(), modRevision);
        }
    }

    /** Removes the waiters whose deadline is at or before {@code nowMs} and tells the listener. */
    int expire(long nowMs) {
        List<Waiter> expired = new ArrayList<>();
        for (Waiter waiter : byDeadline) {
            if (waiter.deadlineMs() > nowMs) {
                break;
            }
            expired.add(waiter);
        }
        expired.forEach(this::remove);
        expired.forEach(waiter -> listener.timedOut(waiter.id()));
        return expired.size();
    }

    /** Removes every waiter and returns their ids, for a node that replaces its store. */
    List<Long> removeAll() {
        List<Long> ids = new ArrayList<>(byId.keySet());
        ids.sort(Comparator.naturalOrder());
        byId.clear();
        byKey.clear();
        byDeadline.clear();
        return ids;
    }

    int size() {
        return byId.size();
    }

    private void remove(Waiter waiter) {
        byId.remove(waiter.id());
        byDeadline.remove(waiter);
        List<Waiter> waiting = byKey.get(waiter.key());
        waiting.remove(waiter);
        if (waiting.isEmpty()) {
            byKey.remove(waiter.key());
        }
        checkSizes();
    }

    private void checkSizes() {
        if (byDeadline.size() != byId.size()) {
            throw new IllegalStateException("waiters by deadline " + byDeadline.size() + " != by id " + byId.size());
        }
        if (byId.size() > watchersMax) {
            throw new IllegalStateException("more waiters than watchersMax " + watchersMax);
        }
    }
}

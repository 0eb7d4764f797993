package io.confman.store;

import static io.confman.store.Commands.delete;
import static io.confman.store.Commands.put;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class WaitersTest {
    private final List<String> events = new ArrayList<>();
    private final WaitListener listener = new WaitListener() {
        @Override
        public void keyChanged(long waiterId, String namespace, String key, long modRevision) {
            events.add("changed " + waiterId + " " + namespace + "/" + key + "@" + modRevision);
        }

        @Override
        public void timedOut(long waiterId) {
            events.add("timed out " + waiterId);
        }
    };
    private final ConfigStore store = new ConfigStore(new StoreLimits(10, 3, 1_000, 10), listener);
    private long index;

    private void apply(byte[] command) {
        store.apply(++index, command);
    }

    private long waiting(WaitRegistration registration) {
        return ((WaitRegistration.Waiting) registration).waiterId();
    }

    @Test
    void aWaiterFiresWhenTheKeyChangesPastItsIndex() {
        apply(put("n", "k", "1"));
        long id = waiting(store.registerWaiter("n", "k", 1, 1_000));
        apply(put("n", "other", "x"));
        assertEquals(List.of(), events);
        apply(put("n", "k", "2"));
        assertEquals(List.of("changed " + id + " n/k@3"), events);
        assertEquals(0, store.waiterCount());
    }

    @Test
    void aWaiterBehindTheKeyIsReadyAtOnce() {
        apply(put("n", "k", "1"));
        apply(put("n", "k", "2"));
        assertEquals(new WaitRegistration.Ready(2), store.registerWaiter("n", "k", 1, 1_000));
        assertEquals(0, store.waiterCount());
    }

    @Test
    void aDeleteFiresTheWaiter() {
        apply(put("n", "k", "1"));
        long id = waiting(store.registerWaiter("n", "k", 1, 1_000));
        apply(delete("n", "k"));
        assertEquals(List.of("changed " + id + " n/k@2"), events);
    }

    @Test
    void aWaiterOnAMissingKeyFiresWhenItIsCreated() {
        long id = waiting(store.registerWaiter("n", "new", 0, 1_000));
        apply(put("n", "new", "1"));
        assertEquals(List.of("changed " + id + " n/new@1"), events);
    }

    @Test
    void aWaiterForAFutureRevisionWaitsForIt() {
        long id = waiting(store.registerWaiter("n", "k", 2, 1_000));
        apply(put("n", "k", "1"));
        apply(put("n", "k", "2"));
        assertEquals(List.of(), events, "mod_revision 2 does not exceed 2");
        apply(put("n", "k", "3"));
        assertEquals(List.of("changed " + id + " n/k@3"), events);
    }

    @Test
    void waitersExpireAtTheirDeadlineInDeadlineOrder() {
        long late = waiting(store.registerWaiter("n", "a", 0, 2_000));
        long early = waiting(store.registerWaiter("n", "b", 0, 1_000));
        assertEquals(0, store.expireWaiters(999));
        assertEquals(1, store.expireWaiters(1_000));
        assertEquals(1, store.expireWaiters(5_000));
        assertEquals(List.of("timed out " + early, "timed out " + late), events);
        apply(put("n", "a", "1"));
        assertEquals(2, events.size(), "an expired waiter never fires");
    }

    @Test
    void cancelledWaitersNeverFire() {
        long id = waiting(store.registerWaiter("n", "k", 0, 1_000));
        assertTrue(store.cancelWaiter(id));
        assertFalse(store.cancelWaiter(id));
        apply(put("n", "k", "1"));
        assertEquals(0, store.expireWaiters(10_000));
        assertEquals(List.of(), events);
    }

    @Test
    void theNumberOfWaitersIsBounded() {
        for (int i = 0; i < 3; i++) {
            waiting(store.registerWaiter("n", "k", 0, 1_000));
        }
        assertEquals(new WaitRegistration.TooManyWaiters(3), store.registerWaiter("n", "k", 0, 1_000));
        apply(put("n", "k", "1"));
        assertEquals(3, events.size(), "all waiters on a key fire together");
        waiting(store.registerWaiter("n", "k", 1, 1_000));
    }

    @Test
    void removeAllWaitersForAStoreReplacement() {
        long a = waiting(store.registerWaiter("n", "a", 0, 1_000));
        long b = waiting(store.registerWaiter("n", "b", 0, 1_000));
        assertEquals(List.of(a, b), store.removeAllWaiters());
        apply(put("n", "a", "1"));
        assertEquals(List.of(), events);
    }
}

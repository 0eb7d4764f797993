package io.confman.store;

import static io.confman.store.Commands.createOnly;
import static io.confman.store.Commands.delete;
import static io.confman.store.Commands.deleteIf;
import static io.confman.store.Commands.put;
import static io.confman.store.Commands.putIf;
import static io.confman.store.Commands.text;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.confman.store.command.Command;
import io.confman.store.command.CommandCodec;
import io.confman.store.command.CommandDecodingException;
import io.confman.store.command.Precondition;
import io.confman.store.command.RequestId;
import io.confman.store.command.Value;
import java.util.List;
import org.junit.jupiter.api.Test;

class ConfigStoreTest {
    private final ConfigStore store = new ConfigStore(StoreLimits.DEFAULTS, WaitListener.NONE);
    private long index;

    private ApplyResult apply(byte[] command) {
        return store.apply(++index, command);
    }

    private static KeyMeta meta(String ns, String key, long version, long create, long mod, long size) {
        return new KeyMeta(ns, key, version, create, mod, size, false);
    }

    @Test
    void versionsAndRevisions() {
        assertEquals(new ApplyResult.Created(meta("app", "a", 1, 1, 1, 2)), apply(put("app", "a", "v1")));
        assertEquals(new ApplyResult.Created(meta("app", "b", 1, 2, 2, 1)), apply(put("app", "b", "x")));
        assertEquals(new ApplyResult.Updated(meta("app", "a", 2, 1, 3, 3)), apply(put("app", "a", "v22")));
        assertEquals(new ApplyResult.Created(meta("other", "a", 1, 4, 4, 0)), apply(put("other", "a", "")));
        assertEquals(4, store.revision());
        assertEquals(4, store.appliedIndex());
        assertEquals(3, store.keyCount());
        StoredValue a = store.get("app", "a").orElseThrow();
        assertEquals("v22", text(a));
        assertEquals(meta("app", "a", 2, 1, 3, 3), a.meta());
    }

    @Test
    void createOnlySucceedsOnceAndFailsWithoutBumpingTheRevision() {
        assertEquals(new ApplyResult.Created(meta("n", "k", 1, 1, 1, 1)), apply(createOnly("n", "k", "1")));
        assertEquals(new ApplyResult.PreconditionFailed("n", "k", 1), apply(createOnly("n", "k", "2")));
        assertEquals(1, store.revision());
        assertEquals(2, store.appliedIndex());
        assertEquals("1", text(store.get("n", "k").orElseThrow()));
    }

    @Test
    void compareAndSetByModRevision() {
        apply(put("n", "k", "1"));
        apply(put("n", "other", "x"));
        assertEquals(new ApplyResult.PreconditionFailed("n", "k", 1), apply(putIf("n", "k", "2", 2)));
        assertEquals(2, store.revision(), "a failed precondition does not move the revision");
        assertEquals(new ApplyResult.Updated(meta("n", "k", 2, 1, 3, 1)), apply(putIf("n", "k", "2", 1)));
        assertEquals(new ApplyResult.PreconditionFailed("n", "k", 3), apply(putIf("n", "k", "3", 1)));
        assertEquals(new ApplyResult.PreconditionFailed("n", "absent", 0), apply(putIf("n", "absent", "3", 1)));
        assertEquals(3, store.revision());
    }

    @Test
    void deleteThenRecreateResetsTheVersion() {
        apply(put("n", "k", "1"));
        apply(put("n", "k", "2"));
        assertEquals(new ApplyResult.Deleted("n", "k", 3), apply(delete("n", "k")));
        assertTrue(store.get("n", "k").isEmpty());
        assertEquals(0, store.keyCount());
        assertEquals(new ApplyResult.NotFound("n", "k"), apply(delete("n", "k")));
        assertEquals(3, store.revision(), "deleting a missing key does not move the revision");
        assertEquals(new ApplyResult.Created(meta("n", "k", 1, 4, 4, 1)), apply(put("n", "k", "3")));
    }

    @Test
    void conditionalDelete() {
        apply(put("n", "k", "1"));
        assertEquals(new ApplyResult.PreconditionFailed("n", "k", 1), apply(deleteIf("n", "k", 7)));
        assertEquals(new ApplyResult.PreconditionFailed("n", "gone", 0), apply(deleteIf("n", "gone", 1)));
        assertEquals(1, store.revision());
        assertEquals(new ApplyResult.Deleted("n", "k", 2), apply(deleteIf("n", "k", 1)));
    }

    @Test
    void blobPointersAreStoredAndReported() {
        byte[] digest = new byte[32];
        digest[0] = 1;
        Value.BlobPointer pointer = new Value.BlobPointer(digest, 10_000_000, "application/octet-stream");
        ApplyResult result = apply(CommandCodec.encode(new Command.Put(RequestId.NONE, "n", "big", pointer,
                Precondition.NONE)));
        assertEquals(new ApplyResult.Created(new KeyMeta("n", "big", 1, 1, 1, 10_000_000, true)), result);
        assertEquals(pointer, store.get("n", "big").orElseThrow().value());
        assertTrue(store.list("n", "", null, 10).items().get(0).blob());
    }

    @Test
    void listingPagesInKeyOrder() {
        for (String key : List.of("b/2", "a", "b/1", "b/3", "c", "b/10")) {
            apply(put("n", key, key));
        }
        apply(put("m", "b/0", "other namespace"));
        ListPage first = store.list("n", "b/", null, 2);
        assertEquals(List.of("b/1", "b/10"), keys(first));
        assertTrue(first.more());
        assertEquals("b/10", first.nextAfter());
        assertEquals(7, first.revision());
        ListPage second = store.list("n", "b/", first.nextAfter(), 2);
        assertEquals(List.of("b/2", "b/3"), keys(second));
        assertFalse(second.more(), "b/3 is the last key under the prefix");
        assertEquals(null, second.nextAfter());
        assertEquals(List.of("a", "b/1", "b/10", "b/2", "b/3", "c"), keys(store.list("n", "", null, 100)));
        assertEquals(List.of("b/3", "c"), keys(store.list("n", "", "b/2", 100)));
        assertEquals(List.of("b/1", "b/10"), keys(store.list("n", "b/", "a", 2)), "an after before the prefix");
        assertEquals(List.of(), keys(store.list("n", "b/", "zzz", 2)));
        assertEquals(List.of(), keys(store.list("absent", "", null, 2)));
        assertEquals(meta("n", "a", 1, 2, 2, 1), store.list("n", "a", null, 1).items().get(0));
    }

    @Test
    void listingLimitsAndNamesAreChecked() {
        assertThrows(IllegalArgumentException.class, () -> store.list("n", "", null, 0));
        assertThrows(IllegalArgumentException.class, () -> store.list("n", "", null, 1_001));
        assertEquals("namespace must not contain '/', found at index 1",
                assertThrows(IllegalArgumentException.class, () -> store.list("a/b", "", null, 1)).getMessage());
        assertThrows(IllegalArgumentException.class, () -> store.get("", "k"));
    }

    @Test
    void aRetriedWriteIsAppliedOnceAndReturnsTheFirstResult() {
        RequestId id = new RequestId(99, 1);
        byte[] first = put(id, "n", "k", "1", Precondition.NONE);
        ApplyResult created = apply(first);
        assertEquals(new ApplyResult.Created(meta("n", "k", 1, 1, 1, 1)), created);
        apply(put("n", "k", "changed by someone else"));
        assertEquals(created, apply(first), "the retry returns the first result");
        assertEquals(2, store.revision(), "and changes nothing");
        assertEquals(3, store.appliedIndex());
        assertEquals("changed by someone else", text(store.get("n", "k").orElseThrow()));
    }

    @Test
    void aRetriedFailedPreconditionReturnsTheSameFailure() {
        apply(put("n", "k", "1"));
        byte[] cas = put(new RequestId(5, 1), "n", "k", "2", new Precondition.IfModRevision(9));
        ApplyResult failed = apply(cas);
        assertEquals(new ApplyResult.PreconditionFailed("n", "k", 1), failed);
        assertEquals(failed, apply(cas));
    }

    @Test
    void anOlderSequenceIsStaleAndNotApplied() {
        apply(put(new RequestId(5, 1), "n", "k", "1", Precondition.NONE));
        apply(put(new RequestId(5, 3), "n", "k", "3", Precondition.NONE));
        assertEquals(new ApplyResult.StaleRequest(5, 2, 3), apply(put(new RequestId(5, 2), "n", "k", "2",
                Precondition.NONE)));
        assertEquals("3", text(store.get("n", "k").orElseThrow()));
        assertEquals(2, store.revision());
    }

    @Test
    void aSessionWithManyWritesInFlightAnswersEachRetryUntilItsSenderStopsWaiting() {
        long client = 77;
        ApplyResult[] first = new ApplyResult[6];
        for (int sequence = 1; sequence <= 5; sequence++) { // five writes in flight, none answered
            first[sequence] = apply(put(new RequestId(client, sequence, 1), "n", "k" + sequence, "v", Precondition.NONE));
        }
        for (int sequence = 5; sequence >= 1; sequence--) {
            assertEquals(first[sequence], apply(put(new RequestId(client, sequence, 1), "n", "k" + sequence, "v",
                    Precondition.NONE)), "retry of " + sequence);
        }
        assertEquals(5, store.revision(), "no retry applied anything");
        // The sender now waits only for 4 and 5: 1..3 are forgotten and stale.
        apply(put(new RequestId(client, 6, 4), "n", "k6", "v", Precondition.NONE));
        assertEquals(new ApplyResult.StaleRequest(client, 3, 4),
                apply(put(new RequestId(client, 3, 1), "n", "k3", "again", Precondition.NONE)));
        assertEquals(first[4], apply(put(new RequestId(client, 4, 1), "n", "k4", "v", Precondition.NONE)));
        assertEquals("v", text(store.get("n", "k3").orElseThrow()));
        assertEquals(6, store.revision());
    }

    @Test
    void aRetryArrivingAfterMoreWritesThanTheSessionBoundIsStillAppliedOnce() {
        ConfigStore small = new ConfigStore(new StoreLimits(2, 0, 100, 10), WaitListener.NONE);
        long at = 0;
        byte[] waiting = put(new RequestId(1, 1), "n", "waiting", "x", Precondition.NONE);
        ApplyResult first = small.apply(++at, waiting);
        for (int sequence = 2; sequence <= 1_000; sequence++) { // node 1's later writes, write 1 unanswered
            small.apply(++at, put(new RequestId(1, sequence, 1), "n", "other", "v" + sequence, Precondition.NONE));
        }
        for (int sequence = 1; sequence <= 1_000; sequence++) { // node 2's writes, one at a time
            small.apply(++at, put(new RequestId(2, sequence), "n", "other", "w" + sequence, Precondition.NONE));
        }
        long revision = small.revision();
        assertEquals(first, small.apply(++at, waiting), "2,000 writes later the retry finds its first result");
        assertEquals(revision, small.revision());
    }

    @Test
    void aSessionHoldingTooManyResultsForgetsTheLowestAsStale() {
        int max = StoreLimits.RESULTS_PER_SESSION_MAX;
        for (int sequence = 1; sequence <= max + 1; sequence++) {
            apply(put(new RequestId(3, sequence, 1), "n", "k", "v", Precondition.NONE));
        }
        assertEquals(new ApplyResult.StaleRequest(3, 1, 2), apply(put(new RequestId(3, 1, 1), "n", "k", "v",
                Precondition.NONE)), "the sender broke its promise; its oldest write is never applied twice");
        assertInstanceOf(ApplyResult.Updated.class, apply(put(new RequestId(3, 2, 1), "n", "k", "v",
                Precondition.NONE)));
        assertEquals(max + 1, store.revision());
    }

    @Test
    void theLeastRecentlyAppliedSessionIsEvicted() {
        ConfigStore small = new ConfigStore(new StoreLimits(2, 0, 100, 10), WaitListener.NONE);
        byte[] clientOne = put(new RequestId(1, 1), "n", "one", "x", Precondition.NONE);
        small.apply(1, clientOne);
        small.apply(2, put(new RequestId(2, 1), "n", "two", "x", Precondition.NONE));
        small.apply(3, put(new RequestId(1, 2), "n", "one", "y", Precondition.NONE)); // client 1 is now the most recent
        small.apply(4, put(new RequestId(3, 1), "n", "three", "x", Precondition.NONE)); // evicts client 2
        assertEquals(new ApplyResult.StaleRequest(1, 1, 2), small.apply(5, clientOne), "client 1 was kept");
        byte[] clientTwoRetry = put(new RequestId(2, 1), "n", "two", "x", Precondition.NONE);
        assertEquals(new ApplyResult.Updated(new KeyMeta("n", "two", 2, 2, 5, 1, false)), small.apply(6, clientTwoRetry),
                "client 2 was forgotten, so its retry applies again: the documented cost of a bounded table");
    }

    @Test
    void noOpEntriesAdvanceOnlyTheAppliedIndex() {
        store.applyNoOp(++index);
        apply(put("n", "k", "1"));
        store.applyNoOp(++index);
        assertEquals(3, store.appliedIndex());
        assertEquals(1, store.revision());
    }

    @Test
    void entriesMustBeAppliedInOrder() {
        apply(put("n", "k", "1"));
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> store.apply(3, put("n", "k", "2")));
        assertEquals("entry 3 does not follow the applied index 1", e.getMessage());
        assertThrows(IllegalStateException.class, () -> store.applyNoOp(1));
    }

    @Test
    void aMalformedCommandChangesNothing() {
        apply(put("n", "k", "1"));
        byte[] truncated = java.util.Arrays.copyOf(put("n", "k", "2"), 20);
        assertThrows(CommandDecodingException.class, () -> store.apply(2, truncated));
        assertEquals(1, store.appliedIndex(), "the entry was not applied");
        assertEquals("1", text(store.get("n", "k").orElseThrow()));
        assertEquals(new ApplyResult.Updated(meta("n", "k", 2, 1, 2, 1)), store.apply(2, put("n", "k", "2")));
    }

    @Test
    void valueSizeIsCheckedBeforeProposing() {
        StoreLimits limits = new StoreLimits(1, 0, 1_000, 1);
        limits.checkValueSize(1_000);
        ValueTooLargeException e = assertThrows(ValueTooLargeException.class, () -> limits.checkValueSize(1_001));
        assertEquals("value of 1001 bytes is over the maximum of 1000 bytes", e.getMessage());
    }

    private static List<String> keys(ListPage page) {
        return page.items().stream().map(KeyMeta::key).toList();
    }
}

package io.confman.node;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.confman.store.ConfigStore;
import io.confman.store.StoreLimits;
import io.confman.store.command.Command;
import io.confman.store.command.CommandCodec;
import io.confman.store.command.Precondition;
import io.confman.store.command.RequestId;
import io.confman.store.command.Value;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.CompletableFuture;
import java.util.function.Function;
import org.junit.jupiter.api.Test;

/** The node's blocking reads against real stores, including the swap a snapshot install makes. */
class BlockingReadsTest {

    private static final String NS = "app";
    private static final Function<ConfigStore, Object> REVISION = ConfigStore::revision;

    private static void put(ConfigStore store, String key, String value) {
        Command command = new Command.Put(RequestId.NONE, NS, key,
                Value.Inline.copyOf(value.getBytes(StandardCharsets.UTF_8)), new Precondition.None());
        store.apply(store.appliedIndex() + 1, CommandCodec.encode(command));
    }

    @Test
    void readsFireOnAChangeAtTheirDeadlineAndAtOnceWhenAlreadyChanged() {
        BlockingReads reads = new BlockingReads();
        ConfigStore store = new ConfigStore(StoreLimits.DEFAULTS, reads);
        reads.attach(store);
        put(store, "a", "1");

        CompletableFuture<Object> already = new CompletableFuture<>();
        reads.register(NS, "a", 0, 1_000, REVISION, already);
        assertEquals(1L, already.join());

        CompletableFuture<Object> onChange = new CompletableFuture<>();
        CompletableFuture<Object> onDeadline = new CompletableFuture<>();
        reads.register(NS, "a", 1, 1_000, REVISION, onChange);
        reads.register(NS, "b", 0, 500, REVISION, onDeadline);
        assertEquals(2, reads.size());
        put(store, "a", "2");
        assertEquals(2L, onChange.join());
        assertFalse(onDeadline.isDone());
        store.expireWaiters(499);
        assertFalse(onDeadline.isDone());
        store.expireWaiters(500);
        assertEquals(2L, onDeadline.join());
        assertEquals(0, reads.size());
        assertEquals(0, store.waiterCount());
    }

    @Test
    void aStoreSwapAnswersTheReadsItsStateSatisfiesAndMovesTheOthers() {
        BlockingReads reads = new BlockingReads();
        ConfigStore old = new ConfigStore(StoreLimits.DEFAULTS, reads);
        reads.attach(old);
        put(old, "a", "1");
        CompletableFuture<Object> changedInSnapshot = new CompletableFuture<>();
        CompletableFuture<Object> stillWaiting = new CompletableFuture<>();
        reads.register(NS, "a", 1, 10_000, REVISION, changedInSnapshot);
        reads.register(NS, "b", 0, 10_000, REVISION, stillWaiting);

        // The state a snapshot brings: "a" written again, "b" never.
        ConfigStore restored = new ConfigStore(StoreLimits.DEFAULTS, reads);
        put(restored, "a", "1");
        put(restored, "a", "2");
        reads.replaceStore(restored);

        assertEquals(2L, changedInSnapshot.join(), "answered from the new store");
        assertFalse(stillWaiting.isDone());
        assertEquals(0, old.waiterCount());
        assertEquals(1, restored.waiterCount());
        assertEquals(1, reads.size());
        put(restored, "b", "x");
        assertEquals(3L, stillWaiting.join());
    }

    @Test
    void aCancelledReadLeavesTheStoreAndAnAnsweredOneIsLeftAlone() {
        BlockingReads reads = new BlockingReads();
        ConfigStore store = new ConfigStore(StoreLimits.DEFAULTS, reads);
        reads.attach(store);
        CompletableFuture<Object> cancelled = new CompletableFuture<>();
        CompletableFuture<Object> answered = new CompletableFuture<>();
        reads.register(NS, "a", 0, 10_000, REVISION, cancelled);
        reads.register(NS, "b", 0, 10_000, REVISION, answered);
        reads.cancel(cancelled);
        assertEquals(1, store.waiterCount());
        put(store, "b", "x");
        assertEquals(1L, answered.join());
        reads.cancel(answered);
        put(store, "a", "y");
        assertFalse(cancelled.isDone(), "a cancelled read is never answered");
        assertEquals(0, reads.size());
        assertEquals(0, store.waiterCount());
    }

    @Test
    void failAllAnswersEveryReadWithTheReason() {
        BlockingReads reads = new BlockingReads();
        ConfigStore store = new ConfigStore(StoreLimits.DEFAULTS, reads);
        reads.attach(store);
        CompletableFuture<Object> waiting = new CompletableFuture<>();
        reads.register(NS, "a", 0, 10_000, REVISION, waiting);
        reads.failAll(new NodeException.Stopped("closed", null));
        assertTrue(waiting.isCompletedExceptionally());
        assertInstanceOf(NodeException.Stopped.class, waiting.handle((value, e) -> e).join());
    }
}

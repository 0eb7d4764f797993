package io.confman.node;

import static io.confman.node.TestCluster.NAMESPACE;
import static io.confman.node.TestCluster.awaitTrue;
import static io.confman.node.TestCluster.failure;
import static io.confman.node.TestCluster.get;
import static io.confman.node.TestCluster.localValue;
import static io.confman.node.TestCluster.put;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.confman.raft.SnapshotMetadata;
import io.confman.store.ApplyResult;
import io.confman.store.ConfigStore;
import io.confman.store.StoreLimits;
import io.confman.store.StoredValue;
import io.confman.store.ValueTooLargeException;
import io.confman.store.command.Command;
import io.confman.store.command.Precondition;
import io.confman.store.command.RequestId;
import io.confman.store.command.Value;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.SplittableRandom;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The HTTP layer's node API on three real nodes: writes and linearizable reads through a
 * follower, exactly-once retries, blocking reads, snapshots on demand, leadership transfer.
 */
class ConfmanNodeForwardingTest {

    @TempDir
    Path dir;

    private TestCluster cluster;

    @AfterEach
    void closeEveryNode() {
        if (cluster != null) {
            cluster.close();
        }
    }

    private ConfmanNode aFollowerOf(ConfmanNode leader) {
        return cluster.nodes.values().stream().filter(node -> node != leader).findFirst().orElseThrow();
    }

    private static Command putWith(RequestId requestId, String key, String value) {
        return new Command.Put(requestId, NAMESPACE, key, Value.Inline.copyOf(value.getBytes(StandardCharsets.UTF_8)),
                new Precondition.None());
    }

    private static Optional<String> text(Optional<StoredValue> stored) {
        return stored.map(value -> new String(((Value.Inline) value.value()).copyBytes(), StandardCharsets.UTF_8));
    }

    private static Optional<String> valueIn(ConfigStore store, String key) {
        return text(store.get(NAMESPACE, key));
    }

    @Test
    void aWriteThroughAFollowerGetsTheLeadersResultAfterTheFollowerAppliedIt() throws Exception {
        cluster = new TestCluster(dir, 3, 1_000).startAll();
        ConfmanNode leader = cluster.awaitLeader();
        ConfmanNode follower = aFollowerOf(leader);

        ApplyResult.Created created = assertInstanceOf(ApplyResult.Created.class,
                get(follower.write(put("k", "v1"))));
        assertEquals("k", created.meta().key());
        // Read-your-writes on the follower: it answered only after its own store applied the entry.
        assertEquals(Optional.of("v1"), localValue(follower, "k"));
        assertEquals(Optional.of("v1"), text(get(leader.linearizableRead(store -> store.get(NAMESPACE, "k")))));

        Command tooLarge = new Command.Put(RequestId.NONE, NAMESPACE, "big", new Value.BlobPointer(new byte[32],
                StoreLimits.DEFAULTS.valueBytesMax() + 1, "application/octet-stream"), new Precondition.None());
        assertInstanceOf(ValueTooLargeException.class, failure(follower.write(tooLarge)));

        ApplyResult.Updated updated = assertInstanceOf(ApplyResult.Updated.class,
                get(follower.write(put("k", "v2"))));
        assertEquals(created.meta().modRevision() + 1, updated.meta().modRevision());
        assertInstanceOf(ApplyResult.Updated.class, get(leader.write(put("k", "v3"))), "the leader's own path");
    }

    @Test
    void aLinearizableReadOnAFollowerSeesTheWriteTheLeaderAcknowledgedJustBefore() throws Exception {
        cluster = new TestCluster(dir, 3, 1_000).startAll();
        ConfmanNode leader = cluster.awaitLeader();
        for (ConfmanNode follower : cluster.nodes.values()) {
            if (follower == leader) {
                continue;
            }
            for (int i = 0; i < 20; i++) {
                String value = follower.id() + "-" + i;
                get(leader.write(put("k", value)));
                assertEquals(Optional.of(value), get(follower.linearizableRead(store -> valueIn(store, "k"))),
                        "read " + i + " on " + follower.id());
            }
            long readIndex = get(follower.linearizableRead());
            assertTrue(readIndex >= 2, "the read index covers the no-op and the writes: " + readIndex);
        }
    }

    @Test
    void aWriteSentAgainWithTheSameRequestIdIsAppliedOnce() throws Exception {
        cluster = new TestCluster(dir, 3, 1_000).startAll();
        ConfmanNode leader = cluster.awaitLeader();
        ConfmanNode follower = aFollowerOf(leader);
        get(leader.write(put("other", "x")));
        long revisionBefore = get(leader.linearizableRead(ConfigStore::revision));

        Command once = putWith(new RequestId(new SplittableRandom().nextLong() | 1, 1), "k", "v");
        ApplyResult first = get(follower.write(once));
        ApplyResult again = get(follower.write(once)); // forwarded again, proposed again, applied once
        ApplyResult viaLeader = get(leader.write(once));
        assertInstanceOf(ApplyResult.Created.class, first);
        assertEquals(first, again);
        assertEquals(first, viaLeader);
        for (ConfmanNode node : cluster.nodes.values()) {
            assertEquals(revisionBefore + 1, (long) get(node.linearizableRead(ConfigStore::revision)), node.id());
        }
    }

    @Test
    void aWriteWithNoLeaderKnownFailsAsNotLeaderWhenItWasNeverSent() throws Exception {
        cluster = new TestCluster(dir, 3, 1_000).startAll();
        ConfmanNode leader = cluster.awaitLeader();
        ConfmanNode follower = aFollowerOf(leader);
        get(follower.write(put("k", "v1")));
        for (String id : List.copyOf(cluster.nodes.keySet())) {
            if (!id.equals(follower.id())) {
                cluster.stop(id);
            }
        }
        awaitTrue("the lone follower forgets the leader", () -> follower.status().leaderId() == null);
        Throwable failed = failure(follower.write(put("k", "v2")));
        NodeException.NotLeader notLeader = assertInstanceOf(NodeException.NotLeader.class, failed);
        assertNull(notLeader.leaderHint());
        assertEquals(Optional.of("v1"), localValue(follower, "k"));
    }

    @Test
    void aBlockingReadFiresOnAChangeOnAFollower() throws Exception {
        cluster = new TestCluster(dir, 3, 1_000).startAll();
        ConfmanNode leader = cluster.awaitLeader();
        ConfmanNode follower = aFollowerOf(leader);
        ApplyResult.Created created = assertInstanceOf(ApplyResult.Created.class, get(follower.write(put("k", "v1"))));
        long revision = created.meta().modRevision();

        CompletableFuture<Optional<String>> changed = follower.awaitChange(NAMESPACE, "k", revision, 60_000,
                store -> valueIn(store, "k"));
        CompletableFuture<Optional<String>> created2 = follower.awaitChange(NAMESPACE, "missing", 0, 60_000,
                store -> valueIn(store, "missing"));
        awaitTrue("both reads wait in the follower's store",
                () -> waiters(follower) == 2);
        assertFalse(changed.isDone());

        get(leader.write(put("k", "v2")));
        assertEquals(Optional.of("v2"), get(changed));
        get(leader.write(put("missing", "now")));
        assertEquals(Optional.of("now"), get(created2));
        assertEquals(0, waiters(follower));
    }

    private static int waiters(ConfmanNode node) {
        try {
            return get(node.read(ConfigStore::waiterCount));
        } catch (Exception e) {
            throw new AssertionError(e);
        }
    }

    @Test
    void aBlockingReadAnswersAtTheEndOfItsWaitWithoutAChange() throws Exception {
        cluster = new TestCluster(dir, 3, 1_000).startAll();
        ConfmanNode leader = cluster.awaitLeader();
        ApplyResult.Created created = assertInstanceOf(ApplyResult.Created.class, get(leader.write(put("k", "v1"))));
        long waitMs = 300;
        long start = System.nanoTime();
        Optional<String> value = get(leader.awaitChange(NAMESPACE, "k", created.meta().modRevision(), waitMs,
                store -> valueIn(store, "k")));
        long elapsedMs = (System.nanoTime() - start) / 1_000_000;
        assertEquals(Optional.of("v1"), value);
        // The store's clock is whole milliseconds, so the wait may end up to 1 ms early.
        assertTrue(elapsedMs >= waitMs - 2, "waited " + elapsedMs + " ms of " + waitMs);
    }

    @Test
    void aBlockingReadForAnAlreadyChangedKeyAnswersAtOnce() throws Exception {
        cluster = new TestCluster(dir, 3, 1_000).startAll();
        ConfmanNode leader = cluster.awaitLeader();
        ConfmanNode follower = aFollowerOf(leader);
        get(follower.write(put("k", "v1")));
        get(follower.write(put("k", "v2")));
        // The wait is far longer than the test's 30 s deadline: an answer proves it did not wait.
        assertEquals(Optional.of("v2"), get(follower.awaitChange(NAMESPACE, "k", 1, 600_000,
                store -> valueIn(store, "k"))));
        assertInstanceOf(IllegalArgumentException.class,
                failure(follower.awaitChange(NAMESPACE, "k", -1, 10, store -> null)));
    }

    @Test
    void aCancelledBlockingReadLeavesTheStore() throws Exception {
        cluster = new TestCluster(dir, 1, 1_000).startAll();
        ConfmanNode only = cluster.awaitLeader();
        CompletableFuture<Object> waiting = only.awaitChange(NAMESPACE, "k", 0, 600_000, store -> null);
        awaitTrue("the read waits", () -> waiters(only) == 1);
        assertTrue(waiting.cancel(false));
        awaitTrue("the cancelled read's waiter is gone", () -> waiters(only) == 0);
        get(only.write(put("k", "v"))); // nothing fires for it, and the loop goes on
        assertEquals(Optional.of("v"), localValue(only, "k"));
    }

    @Test
    void closingTheNodeFailsItsBlockingReadsWithStopped() throws Exception {
        cluster = new TestCluster(dir, 1, 1_000).startAll();
        ConfmanNode only = cluster.awaitLeader();
        CompletableFuture<Object> waiting = only.awaitChange(NAMESPACE, "k", 0, 600_000, store -> null);
        awaitTrue("the read waits", () -> waiters(only) == 1);
        only.close();
        assertInstanceOf(NodeException.Stopped.class, failure(waiting));
    }

    @Test
    void snapshotNowTakesASnapshotAndRepeatsTheLastWhenNothingChanged() throws Exception {
        cluster = new TestCluster(dir, 3, 1_000_000).startAll();
        ConfmanNode leader = cluster.awaitLeader();
        ConfmanNode follower = aFollowerOf(leader);
        for (int i = 0; i < 5; i++) {
            get(leader.write(put("k" + i, "v" + i)));
        }
        long applied = TestCluster.appliedOnLoop(leader);
        SnapshotMetadata taken = get(leader.snapshotNow());
        assertTrue(taken.lastIncludedIndex() >= applied, taken + " covers " + applied);
        assertEquals(taken.lastIncludedIndex(), leader.status().snapshotIndex());
        assertEquals(1, leader.snapshotDurations().count());
        assertEquals(taken, get(leader.snapshotNow()), "nothing new: the last snapshot");
        assertEquals(1, leader.snapshotDurations().count());

        awaitTrue("the follower applies everything", () -> follower.status().appliedIndex() >= applied);
        SnapshotMetadata followers = get(follower.snapshotNow());
        assertTrue(followers.lastIncludedIndex() >= applied, followers.toString());
    }

    @Test
    void transferLeadershipHandsItToTheChosenMember() throws Exception {
        cluster = new TestCluster(dir, 3, 1_000).startAll();
        ConfmanNode leader = cluster.awaitLeader();
        ConfmanNode target = aFollowerOf(leader);
        get(leader.write(put("k", "v1")));

        assertInstanceOf(IllegalArgumentException.class, failure(leader.transferLeadership("nobody")));
        NodeException.NotLeader notLeader = assertInstanceOf(NodeException.NotLeader.class,
                failure(target.transferLeadership(target.id())));
        assertEquals(leader.id(), notLeader.leaderHint());

        get(leader.transferLeadership(target.id()));
        assertEquals(target.id(), leader.status().leaderId());
        ConfmanNode newLeader = cluster.awaitLeader();
        assertEquals(target.id(), newLeader.id());
        assertNotEquals(leader.id(), newLeader.id());
        // The old leader, now a follower, forwards to the new one.
        assertInstanceOf(ApplyResult.Updated.class, get(leader.write(put("k", "v2"))));
        assertEquals(Optional.of("v2"), get(newLeader.linearizableRead(store -> valueIn(store, "k"))));
    }

    @Test
    void writesThroughAFollowerDuringALeaderChangeAreEachAppliedOnce() throws Exception {
        cluster = new TestCluster(dir, 3, 1_000).startAll();
        ConfmanNode leader = cluster.awaitLeader();
        ConfmanNode follower = aFollowerOf(leader);
        ConfmanNode next = cluster.nodes.values().stream().filter(node -> node != leader && node != follower)
                .findFirst().orElseThrow();
        get(follower.write(put("warm", "up")));
        long revisionBefore = get(follower.linearizableRead(ConfigStore::revision));

        int count = 40;
        List<CompletableFuture<ApplyResult>> writes = new java.util.ArrayList<>();
        for (int i = 0; i < count; i++) {
            writes.add(follower.write(put("during-" + i, "v" + i)));
            if (i == count / 2) {
                leader.transferLeadership(next.id()); // acknowledged copies may now be re-sent to the new leader
            }
        }
        // A copy refused by the leader under transfer waits for the new leader; copies the old
        // leader appended but did not commit are sent again to the new one, and applied once.
        java.util.Set<Long> revisions = new java.util.HashSet<>();
        for (int i = 0; i < count; i++) {
            ApplyResult.Created result = assertInstanceOf(ApplyResult.Created.class, get(writes.get(i)));
            assertEquals("during-" + i, result.meta().key());
            revisions.add(result.meta().modRevision());
        }
        assertEquals(count, revisions.size(), "every write has its own revision");
        cluster.awaitLeader(); // next, unless the core aborted the transfer (then nothing moved)
        for (ConfmanNode node : cluster.nodes.values()) {
            assertEquals(revisionBefore + count, (long) get(node.linearizableRead(ConfigStore::revision)),
                    node.id() + ": each write applied once");
        }
    }

    @Test
    void blockingReadsOnAFollowerSurviveItsSnapshotInstall() throws Exception {
        cluster = new TestCluster(dir, 3, 5).startAll();
        ConfmanNode leader = cluster.awaitLeader();
        ConfmanNode follower = aFollowerOf(leader);
        ApplyResult.Created untouched = assertInstanceOf(ApplyResult.Created.class,
                get(leader.write(put("untouched", "u1"))));
        long untouchedAt = TestCluster.appliedOnLoop(leader);
        awaitTrue("the follower has it", () -> follower.status().appliedIndex() >= untouchedAt);
        String followerId = follower.id();
        cluster.stop(followerId);
        for (int i = 0; i < 25; i++) {
            get(leader.write(put("late", "v" + i)));
        }
        awaitTrue("the leader compacted past the stopped follower", () -> leader.status().snapshotIndex() >= 20);

        ConfmanNode restarted = cluster.start(followerId);
        // Registered at once, most likely before the restarted follower catches up (by the
        // leader's snapshot, or entries): the first is answered by whichever brings "late", the
        // second must wait on across it. BlockingReadsTest checks the store swap itself.
        CompletableFuture<Optional<String>> late = restarted.awaitChange(NAMESPACE, "late", 0, 600_000,
                store -> valueIn(store, "late"));
        CompletableFuture<Optional<String>> waiting = restarted.awaitChange(NAMESPACE, "untouched",
                untouched.meta().modRevision(), 600_000, store -> valueIn(store, "untouched"));
        assertTrue(get(late).orElseThrow().startsWith("v"));
        long committed = TestCluster.appliedOnLoop(leader);
        awaitTrue("the restarted follower catches up", () -> restarted.status().appliedIndex() >= committed);
        assertEquals(1, waiters(restarted));
        assertFalse(waiting.isDone());
        get(leader.write(put("untouched", "u2")));
        assertEquals(Optional.of("u2"), get(waiting));
    }

    @Test
    void timingWarningsNameTheKindWhoseP99NearsTheElectionTimeout() throws Exception {
        cluster = new TestCluster(dir, 1, 1_000);
        NodeConfig config = cluster.config("n1", cluster.members);
        long electionTimeoutMs = config.electionTimeoutMs();
        DurationRecorder fsync = new DurationRecorder();
        DurationRecorder snapshot = new DurationRecorder();
        assertEquals(List.of(), ConfmanNode.timingWarnings(electionTimeoutMs, fsync, snapshot));

        long fast = 1_000_000; // 1 ms
        long slow = (electionTimeoutMs / 2 + 12) * 1_000_000;
        for (int i = 0; i < 1_000; i++) {
            fsync.record(fast);
        }
        for (int i = 0; i < 20; i++) {
            fsync.record(slow); // 20 of 1020: more than 1 %, so the p99 is slow
        }
        snapshot.record(electionTimeoutMs / 2 * 1_000_000 - 1); // just below half
        assertEquals(slow, fsync.p99Nanos());
        assertEquals(List.of("fsync p99 " + (electionTimeoutMs / 2 + 12) + " ms is within 2x of electionTimeoutMs "
                + electionTimeoutMs), ConfmanNode.timingWarnings(electionTimeoutMs, fsync, snapshot));

        snapshot.record(electionTimeoutMs * 1_000_000);
        assertEquals(2, ConfmanNode.timingWarnings(electionTimeoutMs, fsync, snapshot).size());

        for (int i = 0; i < DurationRecorder.WINDOW_SAMPLES; i++) {
            fsync.record(fast); // the slow ones leave the window
        }
        assertEquals(fast, fsync.p99Nanos());
        assertEquals(List.of("snapshot p99 " + electionTimeoutMs + " ms is within 2x of electionTimeoutMs "
                + electionTimeoutMs), ConfmanNode.timingWarnings(electionTimeoutMs, fsync, snapshot));
    }
}

package io.confman.node;

import static io.confman.node.TestCluster.awaitTrue;
import static io.confman.node.TestCluster.failure;
import static io.confman.node.TestCluster.get;
import static io.confman.node.TestCluster.localValue;
import static io.confman.node.TestCluster.put;
import static io.confman.node.TestCluster.write;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.confman.raft.Role;
import io.confman.storage.meta.MetadataMismatchException;
import io.confman.store.ApplyResult;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Three real nodes on 127.0.0.1: real sockets, real files, real fsync. */
class ConfmanNodeClusterTest {

    @TempDir
    Path dir;

    private TestCluster cluster;

    @AfterEach
    void closeEveryNode() {
        if (cluster != null) {
            cluster.close();
        }
    }

    @Test
    void electsALeaderAndAppliesItsWritesOnAllThree() throws Exception {
        cluster = new TestCluster(dir, 3, 1_000).startAll();
        ConfmanNode leader = cluster.awaitLeader();
        for (int i = 0; i < 10; i++) {
            assertInstanceOf(ApplyResult.Created.class, write(leader, "key-" + i, "value-" + i));
        }
        long committed = TestCluster.appliedOnLoop(leader);
        for (ConfmanNode node : cluster.nodes.values()) {
            awaitTrue(node.id() + " applies up to " + committed, () -> node.status().appliedIndex() >= committed);
            for (int i = 0; i < 10; i++) {
                assertEquals(Optional.of("value-" + i), localValue(node, "key-" + i), node.id());
            }
        }
        assertTrue(leader.persistDurations().count() > 0, "fsyncs are measured");
    }

    @Test
    void manyConcurrentWritesEachGetTheirOwnResult() throws Exception {
        cluster = new TestCluster(dir, 3, 50).startAll();
        ConfmanNode leader = cluster.awaitLeader();
        int count = 300;
        java.util.List<java.util.concurrent.CompletableFuture<ApplyResult>> futures = new java.util.ArrayList<>();
        for (int i = 0; i < count; i++) {
            futures.add(leader.propose(put("many-" + i, "x" + i)));
        }
        java.util.Set<Long> revisions = new java.util.HashSet<>();
        for (int i = 0; i < count; i++) {
            ApplyResult.Created created = assertInstanceOf(ApplyResult.Created.class, get(futures.get(i)));
            assertEquals("many-" + i, created.meta().key());
            revisions.add(created.meta().modRevision());
        }
        assertEquals(count, revisions.size(), "every write has its own revision");
        // Read on the leader's loop, after it applied every write: status() is published at the
        // end of a loop turn, so right after the last answer it may not show that turn yet.
        long applied = get(leader.read(store -> store.appliedIndex()));
        for (ConfmanNode node : cluster.nodes.values()) {
            awaitTrue(node.id() + " applies up to " + applied,
                    () -> node.read(store -> store.appliedIndex()).join() >= applied);
            assertEquals(count, (long) get(node.read(store -> store.keyCount())), node.id());
        }
    }

    @Test
    void aSingleNodeClusterCommitsAlone() throws Exception {
        cluster = new TestCluster(dir, 1, 1_000).startAll();
        ConfmanNode only = cluster.awaitLeader();
        assertInstanceOf(ApplyResult.Created.class, write(only, "k", "v"));
        assertEquals(Optional.of("v"), get(only.linearizableRead(store -> store.get(TestCluster.NAMESPACE, "k")))
                .map(value -> new String(((io.confman.store.command.Value.Inline) value.value()).copyBytes())));
    }

    @Test
    void aFollowerRefusesProposalsWithTheLeaderHint() throws Exception {
        cluster = new TestCluster(dir, 3, 1_000).startAll();
        ConfmanNode leader = cluster.awaitLeader();
        ConfmanNode follower = cluster.nodes.values().stream().filter(node -> node != leader).findFirst().orElseThrow();

        // propose is the leader-only call; write and linearizableRead forward (ConfmanNodeForwardingTest).
        Throwable refused = failure(follower.propose(put("k", "v")));
        NodeException.NotLeader notLeader = assertInstanceOf(NodeException.NotLeader.class, refused);
        assertEquals(leader.id(), notLeader.leaderHint());

        write(leader, "k", "v");
        long readIndex = get(leader.linearizableRead());
        assertTrue(readIndex >= 2, "the read index covers the no-op and the write: " + readIndex);
        assertEquals("v", get(leader.linearizableRead(store -> store.get(TestCluster.NAMESPACE, "k")))
                .map(value -> new String(((io.confman.store.command.Value.Inline) value.value()).copyBytes()))
                .orElseThrow());
    }

    @Test
    void aNewLeaderHasEveryAcknowledgedWriteAndTheStoppedNodeCatchesUpFromASnapshot() throws Exception {
        cluster = new TestCluster(dir, 3, 5).startAll();
        ConfmanNode oldLeader = cluster.awaitLeader();
        for (int i = 0; i < 10; i++) {
            write(oldLeader, "before-" + i, "v" + i);
        }
        String stoppedId = oldLeader.id();
        long stoppedSnapshotIndex = oldLeader.status().snapshotIndex();
        cluster.stop(stoppedId);

        ConfmanNode newLeader = cluster.awaitLeader();
        assertNotEquals(stoppedId, newLeader.id());
        get(newLeader.linearizableRead());
        for (int i = 0; i < 10; i++) {
            assertEquals(Optional.of("v" + i), localValue(newLeader, "before-" + i));
        }

        for (int i = 0; i < 20; i++) {
            write(newLeader, "after-" + i, "w" + i);
        }
        awaitTrue("the new leader took a snapshot", () -> newLeader.status().snapshotIndex() > 20);
        assertTrue(newLeader.snapshotDurations().count() > 0, "snapshots are measured");

        ConfmanNode restarted = cluster.start(stoppedId);
        long committed = TestCluster.appliedOnLoop(newLeader);
        awaitTrue("the restarted node applies up to " + committed, () -> restarted.status().appliedIndex() >= committed);
        assertTrue(restarted.status().snapshotIndex() > stoppedSnapshotIndex,
                "the restarted node installed a newer snapshot: " + restarted.status());
        for (int i = 0; i < 10; i++) {
            assertEquals(Optional.of("v" + i), localValue(restarted, "before-" + i));
        }
        for (int i = 0; i < 20; i++) {
            assertEquals(Optional.of("w" + i), localValue(restarted, "after-" + i));
        }
    }

    @Test
    void aNodeWithAnotherMemberListNeverJoins() throws Exception {
        cluster = new TestCluster(dir, 3, 1_000).startAll();
        ConfmanNode leader = cluster.awaitLeader();
        write(leader, "k", "v1");
        long term = leader.status().term();

        Map<String, InetSocketAddress> otherMembers = new HashMap<>(cluster.members);
        otherMembers.put("n4", TestCluster.freeAddress());
        ConfmanNode stranger = ConfmanNode.start(cluster.config("n4", otherMembers));
        try {
            // Long enough for several of the stranger's election timeouts to pass.
            long ticksToWait = 6 * TestCluster.ELECTION_TIMEOUT_MS / TestCluster.TICK_MS;
            awaitTrue("the stranger ticks through several election timeouts",
                    () -> stranger.status().ticks() >= ticksToWait);

            assertNull(stranger.status().leaderId());
            assertNotEquals(Role.LEADER, stranger.status().role());
            assertEquals(0, stranger.status().appliedIndex());
            NodeException.NotLeader refused = assertInstanceOf(NodeException.NotLeader.class,
                    failure(stranger.propose(put("k", "v2"))));
            assertNull(refused.leaderHint());

            assertEquals(leader, cluster.awaitLeader(), "the cluster kept its leader");
            assertEquals(term, leader.status().term(), "and its term");
            assertInstanceOf(ApplyResult.Updated.class, write(leader, "k", "v3"));
        } finally {
            stranger.close();
        }
    }

    @Test
    void aMemberRestartedWithAnotherMemberListIsRefusedByItsDataDirectory() throws Exception {
        cluster = new TestCluster(dir, 3, 1_000).startAll();
        ConfmanNode leader = cluster.awaitLeader();
        write(leader, "k", "v1");
        String followerId = cluster.nodes.keySet().stream().filter(id -> !id.equals(leader.id()))
                .findFirst().orElseThrow();
        cluster.stop(followerId);

        Map<String, InetSocketAddress> otherMembers = new HashMap<>(cluster.members);
        otherMembers.put("n4", TestCluster.freeAddress());
        assertThrows(MetadataMismatchException.class,
                () -> cluster.start(cluster.config(followerId, otherMembers)));

        assertInstanceOf(ApplyResult.Updated.class, write(leader, "k", "v2"));
        ConfmanNode restarted = cluster.start(followerId);
        long committed = TestCluster.appliedOnLoop(leader);
        awaitTrue("the member restarted as it was catches up", () -> restarted.status().appliedIndex() >= committed);
        assertEquals(Optional.of("v2"), localValue(restarted, "k"));
    }

    @Test
    void aWriteWithoutAQuorumFailsAsOutcomeUnknown() throws Exception {
        cluster = new TestCluster(dir, 3, 1_000).startAll();
        ConfmanNode leader = cluster.awaitLeader();
        write(leader, "k", "v1");
        for (String id : java.util.List.copyOf(cluster.nodes.keySet())) {
            if (!id.equals(leader.id())) {
                cluster.stop(id);
            }
        }
        // The leader may still take the write (then it never commits and times out) or may
        // already have stepped down by check-quorum (then it refuses it at once).
        Throwable failed = failure(leader.propose(put("k", "v2")));
        assertTrue(failed instanceof NodeException.Timeout || failed instanceof NodeException.NotLeader,
                "outcome unknown or refused: " + failed);
        assertEquals(Optional.of("v1"), localValue(leader, "k"));
    }

    @Test
    void aFullPendingRequestTableRefusesNewRequests() throws Exception {
        cluster = new TestCluster(dir, 3, 1_000);
        cluster.pendingRequestsMax = 1;
        cluster.startAll();
        ConfmanNode leader = cluster.awaitLeader();
        write(leader, "k", "v1");
        for (String id : java.util.List.copyOf(cluster.nodes.keySet())) {
            if (!id.equals(leader.id())) {
                cluster.stop(id);
            }
        }
        // Without a quorum the first write cannot commit, so it holds the only slot.
        var first = leader.propose(put("k", "v2"));
        var second = leader.propose(put("k", "v3"));
        Throwable secondFailure = failure(second);
        Throwable firstFailure = failure(first);
        if (firstFailure instanceof NodeException.NotLeader) {
            // The leader stepped down (check-quorum) before the first write reached it.
            assertInstanceOf(NodeException.NotLeader.class, secondFailure);
        } else {
            assertInstanceOf(NodeException.Timeout.class, firstFailure);
            assertInstanceOf(NodeException.Overloaded.class, secondFailure);
        }
    }

    @Test
    void closeIsIdempotentAndFailsLaterRequests() throws Exception {
        cluster = new TestCluster(dir, 3, 1_000).startAll();
        ConfmanNode leader = cluster.awaitLeader();
        leader.close();
        leader.close();
        assertInstanceOf(NodeException.Stopped.class, failure(leader.propose(put("k", "v"))));
        assertInstanceOf(NodeException.Stopped.class, failure(leader.read(store -> store.appliedIndex())));
    }
}

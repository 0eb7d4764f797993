package io.confman.raft;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** The invariants written on fields are checked always and throw, not only under -ea. */
class InvariantTest {

    private static byte[] bytes(String text) {
        return text.getBytes(StandardCharsets.UTF_8);
    }

    private static RaftLog logWith(Entry... entries) {
        MemoryLogStorage storage = new MemoryLogStorage();
        storage.append(List.of(entries));
        return new RaftLog(storage, 0);
    }

    @Test
    void commitIndexCannotPassLastIndex() {
        RaftLog log = logWith(Entry.noOp(1, 1));
        log.commitTo(1);
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> log.commitTo(2));
        assertTrue(e.getMessage().contains("past lastIndex"), e.getMessage());
    }

    @Test
    void appliedIndexCannotPassCommitIndex() {
        RaftLog log = logWith(Entry.noOp(1, 1), Entry.normal(2, 1, bytes("x")));
        log.commitTo(1);
        assertThrows(IllegalStateException.class, () -> log.appliedTo(2));
    }

    @Test
    void committedEntriesCannotBeReplaced() {
        RaftLog log = logWith(Entry.noOp(1, 1), Entry.normal(2, 1, bytes("x")));
        log.commitTo(2);
        IllegalStateException e = assertThrows(IllegalStateException.class,
                () -> log.appendFromLeader(List.of(Entry.noOp(2, 2))));
        assertTrue(e.getMessage().contains("State Machine Safety"), e.getMessage());
    }

    @Test
    void storedCommitIndexMustLieInTheStoredLog() {
        MemoryLogStorage storage = new MemoryLogStorage();
        storage.append(List.of(Entry.noOp(1, 1)));
        assertThrows(IllegalStateException.class, () -> new RaftLog(storage, 2));
    }

    @Test
    void inflightWindowIsBounded() {
        Inflights inflights = new Inflights(2, 1000);
        inflights.add(1, 10);
        inflights.add(2, 10);
        assertTrue(inflights.full());
        assertThrows(IllegalStateException.class, () -> inflights.add(3, 10));
        inflights.freeLE(1);
        assertEquals(1, inflights.count());
        assertThrows(IllegalStateException.class, () -> inflights.add(2, 10));
    }

    @Test
    void inflightWindowIsBoundedInBytes() {
        Inflights inflights = new Inflights(100, 25);
        inflights.add(1, 20);
        assertTrue(!inflights.full());
        inflights.add(2, 20);
        assertTrue(inflights.full());
        // Past the bound by one message at most: nothing more goes in.
        assertThrows(IllegalStateException.class, () -> inflights.add(3, 1));
    }

    @Test
    void progressKeepsMatchBelowNext() {
        Progress pr = new Progress(5, 4, 100);
        assertTrue(pr.maybeUpdate(7));
        assertEquals(8, pr.nextIndex);
        assertTrue(!pr.maybeUpdate(6));
    }

    @Test
    void entriesAreValidated() {
        assertThrows(IllegalArgumentException.class, () -> Entry.normal(0, 1, bytes("x")));
        assertThrows(IllegalArgumentException.class, () -> Entry.normal(1, 0, bytes("x")));
        assertThrows(IllegalArgumentException.class, () -> new Entry(1, 1, Entry.Type.NO_OP, bytes("x")));
    }

    @Test
    void appendEntriesMustBeContiguous() {
        ClusterIdentity id = ClusterIdentity.of(List.of("a", "b"));
        assertThrows(IllegalArgumentException.class, () -> new Message.AppendEntries(id, "a", "b", 1, 1, 1,
                List.of(Entry.noOp(3, 1)), 0));
    }

    @Test
    void advanceChecksThatStorageHoldsWhatItAcknowledges() {
        RaftNode node = singleNode();
        node.campaign();
        Ready ready = node.ready(); // The runtime "forgets" to persist the entries.
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> node.advance(ready));
        assertTrue(e.getMessage().contains("storage does not hold"), e.getMessage());
    }

    @Test
    void readyMustBeAdvancedBeforeTheNextOne() {
        MemoryLogStorage storage = new MemoryLogStorage();
        RaftNode node = singleNode(storage);
        node.campaign();
        Ready ready = node.ready();
        storage.persist(ready);
        assertThrows(IllegalStateException.class, node::ready);
        assertThrows(IllegalArgumentException.class, () -> node.advance(new Ready(null, List.of(), List.of(),
                List.of(), List.of(), List.of(), null, List.of(), List.of(), List.of())));
        node.advance(ready);
    }

    @Test
    void aSingleNodeCommitsOnlyWhatItPersisted() {
        MemoryLogStorage storage = new MemoryLogStorage();
        RaftNode node = singleNode(storage);
        node.campaign();
        assertEquals(Role.LEADER, node.status().role());
        Ready first = node.ready();
        assertEquals(1, first.entries().size());
        assertTrue(first.committedEntries().isEmpty(), "nothing is committed before it is durable");
        storage.persist(first);
        node.advance(first);
        assertEquals(1, node.status().commitIndex());
        Ready second = node.ready();
        assertEquals(1, second.committedEntries().size());
        storage.persist(second); // its hard state carries the new commit index
        node.advance(second);
        assertEquals(1, node.status().appliedIndex());
    }

    @Test
    void aSecondLeaderInTheSameTermStopsTheNode() {
        RaftConfig config = RaftConfig.defaults("a", List.of("a", "b", "c"));
        RaftNode node = new RaftNode(config, new MemoryLogStorage(), SnapshotSource.NONE, new SplittableRandom(1));
        node.campaign(); // pre-candidate at term 0
        node.step(new Message.PreVoteResponse(config.clusterIdentity(), "b", "a", 1, true));
        node.step(new Message.RequestVoteResponse(config.clusterIdentity(), "b", "a", 1, true));
        assertEquals(Role.LEADER, node.status().role());
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> node.step(
                new Message.Heartbeat(config.clusterIdentity(), "c", "a", 1, 0, 0)));
        assertTrue(e.getMessage().contains("Election Safety"), e.getMessage());
    }

    @Test
    void messagesOfAnotherClusterAreRefusedAndCounted() {
        RaftNode node = singleNode();
        ClusterIdentity other = ClusterIdentity.of(List.of("a", "z"));
        node.step(new Message.RequestVote(other, "z", "a", 5, 10, 5, false));
        assertEquals(0, node.status().term());
        assertEquals(1, node.status().rejectedMessageCount());
        assertEquals(1, node.ready().rejectedMessages().size());
    }

    private static RaftNode singleNode() {
        return singleNode(new MemoryLogStorage());
    }

    private static RaftNode singleNode(MemoryLogStorage storage) {
        RaftConfig config = RaftConfig.defaults("a", List.of("a"));
        return new RaftNode(config, storage, SnapshotSource.NONE, new SplittableRandom(7));
    }

    @Test
    void aLeaderRefusesProposalsPastItsUncommittedBound() {
        RaftConfig config = RaftConfig.defaults("a", List.of("a", "b", "c")).withUncommittedBytesMax(100);
        RaftNode node = new RaftNode(config, new MemoryLogStorage(), SnapshotSource.NONE, new SplittableRandom(1));
        node.campaign();
        node.step(new Message.PreVoteResponse(config.clusterIdentity(), "b", "a", 1, true));
        node.step(new Message.RequestVoteResponse(config.clusterIdentity(), "b", "a", 1, true));
        assertEquals(Role.LEADER, node.status().role());
        byte[] command = new byte[40]; // 57 bytes with the entry header
        assertTrue(node.propose(command) instanceof ProposeResult.Accepted);
        ProposeResult refused = node.propose(command);
        assertTrue(refused instanceof ProposeResult.Rejected r && r.reason().contains("uncommittedBytesMax"),
                refused.toString());
    }

    /** Breaks a private field the way a bug would, so that the next mutator's check can fire. */
    private static void corrupt(Object target, String field, Object value) {
        try {
            java.lang.reflect.Field f = target.getClass().getDeclaredField(field);
            f.setAccessible(true);
            f.set(target, value);
        } catch (ReflectiveOperationException e) {
            throw new AssertionError(e);
        }
    }

    private static Object field(Object target, String field) {
        try {
            java.lang.reflect.Field f = target.getClass().getDeclaredField(field);
            f.setAccessible(true);
            return f.get(target);
        } catch (ReflectiveOperationException e) {
            throw new AssertionError(e);
        }
    }

    @Test
    void progressChecksItsInvariantsAfterEveryMutator() {
        Progress snapshotWithoutSnapshot = new Progress(5, 4, 100);
        snapshotWithoutSnapshot.state = Progress.State.SNAPSHOT;
        assertThrows(IllegalStateException.class, () -> snapshotWithoutSnapshot.maybeUpdate(6));
        Progress matchPastNext = new Progress(5, 4, 100);
        matchPastNext.matchIndex = 9;
        assertThrows(IllegalStateException.class,
                () -> matchPastNext.becomeSnapshot(new SnapshotMetadata(3, 1, 10)));
    }

    @Test
    void unstableEntriesMustFollowTheOffset() {
        UnstableLog unstable = new UnstableLog(1);
        assertThrows(IllegalStateException.class,
                () -> unstable.truncateAndAppend(List.of(Entry.noOp(1, 1), Entry.noOp(3, 1))));
        UnstableLog gap = new UnstableLog(1);
        assertThrows(IllegalStateException.class, () -> gap.truncateAndAppend(List.of(Entry.noOp(3, 1))));
    }

    @Test
    void inflightBytesAreTheSumOfTheirSizes() {
        Inflights inflights = new Inflights(4, 1000);
        inflights.add(1, 10);
        corrupt(inflights, "bytes", 7L);
        assertThrows(IllegalStateException.class, () -> inflights.freeLE(0));
    }

    @Test
    void uncommittedBytesStayWithinTheirBound() {
        UncommittedBytes uncommitted = new UncommittedBytes(100);
        uncommitted.add(1, 60);
        // The caller skipped admits(): the bound would break.
        assertThrows(IllegalStateException.class, () -> uncommitted.add(2, 60));
        UncommittedBytes empty = new UncommittedBytes(100);
        assertThrows(IllegalStateException.class, () -> empty.add(1, 0));
    }

    @Test
    void pendingReadsStayWithinTheirBound() {
        ReadIndexQueue reads = new ReadIndexQueue("a", List.of("a", "b", "c"), 1);
        reads.add(bytes("r1"), 0);
        // The caller skipped isFull().
        assertThrows(IllegalStateException.class, () -> reads.add(bytes("r2"), 0));
    }

    @Test
    void aLeaderKeepsItsUncommittedBytes() {
        RaftNode node = singleNode();
        node.campaign();
        corrupt(node, "uncommitted", null);
        assertThrows(IllegalStateException.class, node::tick);
    }

    @Test
    void commitIndexNeverDecreases() {
        MemoryLogStorage storage = new MemoryLogStorage();
        RaftNode node = singleNode(storage);
        node.campaign();
        Ready ready = node.ready();
        storage.persist(ready);
        node.advance(ready);
        assertEquals(1, node.status().commitIndex());
        corrupt(field(node, "log"), "commitIndex", 0L);
        assertThrows(IllegalStateException.class, node::tick);
    }

    /** Asking the log about what it does not hold is a bug in the core: a panic, not bad input. */
    @Test
    void theLogRefusesIndexesItDoesNotHoldAsImpossibleStates() {
        RaftLog log = logWith(Entry.noOp(1, 1));
        assertThrows(IllegalStateException.class, () -> log.term(5));
        assertThrows(IllegalStateException.class, () -> log.entries(1, 5, Long.MAX_VALUE));
    }
}

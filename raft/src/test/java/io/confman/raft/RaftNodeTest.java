package io.confman.raft;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** Single-node checks of rules that a scenario script shows less directly. */
class RaftNodeTest {

    private static final List<String> MEMBERS = List.of("a", "b", "c");
    private static final ClusterIdentity CLUSTER = ClusterIdentity.of(MEMBERS);

    private static RaftNode node(String id, MemoryLogStorage storage) {
        RaftConfig config = RaftConfig.defaults(id, MEMBERS);
        return new RaftNode(config, storage, SnapshotSource.NONE, new SplittableRandom(1));
    }

    /** Handles every Ready as a runtime would, with storage as the disk; returns what it sent. */
    private static List<Message> process(RaftNode node, MemoryLogStorage storage) {
        List<Message> sent = new ArrayList<>();
        while (node.hasReady()) {
            Ready ready = node.ready();
            storage.persist(ready);
            sent.addAll(ready.messages());
            sent.addAll(ready.messagesAfterPersist());
            node.advance(ready);
        }
        return sent;
    }

    /** A follower "b" at term 1 holding [1/1 no-op], led by "a". */
    private static RaftNode followerWithOneEntry(MemoryLogStorage storage) {
        RaftNode b = node("b", storage);
        b.step(new Message.AppendEntries(CLUSTER, "a", "b", 1, 0, 0, List.of(Entry.noOp(1, 1)), 0));
        process(b, storage);
        assertEquals(Role.FOLLOWER, b.status().role());
        assertEquals(1, b.status().lastIndex());
        return b;
    }

    @Test
    void timeoutNowStartsAnElectionOnlyWhenTheLogsEndAtTheSameEntry() {
        MemoryLogStorage storage = new MemoryLogStorage();
        RaftNode b = followerWithOneEntry(storage);
        // The leader had appended 1/2 since: a copy from an aborted transfer.
        b.step(new Message.TimeoutNow(CLUSTER, "a", "b", 1, 2, 1));
        assertEquals(Role.FOLLOWER, b.status().role());
        // Without a position the target cannot tell the message is current.
        b.step(new Message.TimeoutNow(CLUSTER, "a", "b", 1));
        assertEquals(Role.FOLLOWER, b.status().role());
        b.step(new Message.TimeoutNow(CLUSTER, "a", "b", 1, 1, 1));
        assertEquals(Role.CANDIDATE, b.status().role());
        assertEquals(2, b.status().term());
    }

    @Test
    void aPreVoteGrantOfAnEarlierRoundIsNotCounted() {
        MemoryLogStorage storage = new MemoryLogStorage();
        RaftNode a = node("a", storage);
        a.campaign(); // pre-candidate at term 0, asking about term 1
        a.step(new Message.PreVoteResponse(CLUSTER, "b", "a", 1, true));
        assertEquals(Role.CANDIDATE, a.status().role());
        a.step(new Message.RequestVoteResponse(CLUSTER, "b", "a", 1, false));
        a.step(new Message.RequestVoteResponse(CLUSTER, "c", "a", 1, false));
        assertEquals(Role.FOLLOWER, a.status().role());
        process(a, storage);
        a.campaign(); // pre-candidate at term 1, asking about term 2
        assertEquals(Role.PRE_CANDIDATE, a.status().role());
        // c's grant from the first round, about term 1, arrives late.
        a.step(new Message.PreVoteResponse(CLUSTER, "c", "a", 1, true));
        assertEquals(Role.PRE_CANDIDATE, a.status().role());
        assertEquals(1, a.status().term());
        a.step(new Message.PreVoteResponse(CLUSTER, "c", "a", 2, true));
        assertEquals(Role.CANDIDATE, a.status().role());
        assertEquals(2, a.status().term());
    }

    /** "a" wins the election at term 1 with b's votes; returns it as leader. */
    private static RaftNode leader(MemoryLogStorage storage) {
        RaftNode a = node("a", storage);
        a.campaign();
        a.step(new Message.PreVoteResponse(CLUSTER, "b", "a", 1, true));
        a.step(new Message.RequestVoteResponse(CLUSTER, "b", "a", 1, true));
        assertEquals(Role.LEADER, a.status().role());
        process(a, storage);
        return a;
    }

    @Test
    void transfersDoNotKeepACutOffLeaderFromSteppingDown() {
        MemoryLogStorage storage = new MemoryLogStorage();
        RaftNode a = leader(storage);
        int electionTimeoutTicks = a.config().electionTimeoutTicks();
        // Nobody answers; a transfer request arrives every few ticks, to b and c in turn.
        for (int tick = 1; tick <= 2 * electionTimeoutTicks; tick++) {
            if (tick % 3 == 0) {
                a.transferLeadership(tick % 2 == 0 ? "b" : "c");
            }
            a.tick();
            process(a, storage);
        }
        assertEquals(Role.FOLLOWER, a.status().role(), "check-quorum steps down within two election timeouts");
    }

    private static long snapshotOffsetAnswered(List<Message> sent) {
        assertEquals(1, sent.size(), sent.toString());
        return ((Message.InstallSnapshotResponse) sent.get(0)).nextOffset();
    }

    @Test
    void aDuplicatedFirstChunkDoesNotRestartTheSnapshotTransfer() {
        MemoryLogStorage storage = new MemoryLogStorage();
        RaftNode b = followerWithOneEntry(storage);
        SnapshotMetadata snapshot = new SnapshotMetadata(5, 1, 6);
        b.step(new Message.InstallSnapshot(CLUSTER, "a", "b", 1, snapshot, 0, new byte[2], false));
        assertEquals(2, snapshotOffsetAnswered(process(b, storage)));
        b.step(new Message.InstallSnapshot(CLUSTER, "a", "b", 1, snapshot, 2, new byte[2], false));
        assertEquals(4, snapshotOffsetAnswered(process(b, storage)));
        // The first chunk again, duplicated by the network: the transfer goes on from 4.
        b.step(new Message.InstallSnapshot(CLUSTER, "a", "b", 1, snapshot, 0, new byte[2], false));
        assertEquals(4, snapshotOffsetAnswered(process(b, storage)));
        // A stale chunk of a snapshot we already hold does not end the transfer either.
        b.step(new Message.InstallSnapshot(CLUSTER, "a", "b", 1, new SnapshotMetadata(1, 1, 3), 0, new byte[3], true));
        process(b, storage);
        b.step(new Message.InstallSnapshot(CLUSTER, "a", "b", 1, snapshot, 4, new byte[2], true));
        List<Message> sent = process(b, storage);
        assertEquals(6, snapshotOffsetAnswered(sent));
        assertEquals(snapshot, storage.snapshot());
        assertEquals(5, b.status().commitIndex());
    }

    /** A disk that reports another term at one index than the one written there. */
    private static final class MisreadingStorage implements LogStorage {
        final MemoryLogStorage disk = new MemoryLogStorage();
        long misreadIndex = -1;

        @Override
        public HardState hardState() {
            return disk.hardState();
        }

        @Override
        public SnapshotMetadata snapshot() {
            return disk.snapshot();
        }

        @Override
        public long firstIndex() {
            return disk.firstIndex();
        }

        @Override
        public long lastIndex() {
            return disk.lastIndex();
        }

        @Override
        public long term(long index) {
            return index == misreadIndex ? disk.term(index) + 1 : disk.term(index);
        }

        @Override
        public List<Entry> entries(long lo, long hi, long maxBytes) {
            return disk.entries(lo, hi, maxBytes);
        }
    }

    private static void assertAdvanceRefuses(RaftNode node, Ready ready) {
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> node.advance(ready));
        assertTrue(e.getMessage().contains("storage does not hold"), e.getMessage());
    }

    @Test
    void advanceRefusesAHardStateThatStorageDoesNotHold() {
        MemoryLogStorage storage = new MemoryLogStorage();
        RaftNode b = node("b", storage);
        b.step(new Message.RequestVote(CLUSTER, "a", "b", 1, 0, 0, false));
        Ready ready = b.ready();
        assertEquals("a", ready.hardState().votedFor());
        storage.persist(ready);
        storage.setHardState(new HardState(1, null, 0)); // the disk lost the vote
        assertAdvanceRefuses(b, ready);
    }

    @Test
    void advanceChecksTheFirstEntryOfTheReadyToo() {
        MisreadingStorage storage = new MisreadingStorage();
        RaftConfig config = RaftConfig.defaults("b", MEMBERS);
        RaftNode b = new RaftNode(config, storage, SnapshotSource.NONE, new SplittableRandom(1));
        b.step(new Message.AppendEntries(CLUSTER, "a", "b", 1, 0, 0,
                List.of(Entry.noOp(1, 1), Entry.normal(2, 1, new byte[1]), Entry.normal(3, 1, new byte[1])), 0));
        Ready ready = b.ready();
        assertEquals(3, ready.entries().size());
        storage.disk.persist(ready);
        storage.misreadIndex = 1;
        assertAdvanceRefuses(b, ready);
    }

    @Test
    void advanceRefusesAnotherSnapshotThanTheOneInstalled() {
        MemoryLogStorage storage = new MemoryLogStorage();
        RaftNode b = followerWithOneEntry(storage);
        SnapshotMetadata snapshot = new SnapshotMetadata(5, 1, 2);
        b.step(new Message.InstallSnapshot(CLUSTER, "a", "b", 1, snapshot, 0, new byte[2], true));
        Ready ready = b.ready();
        assertEquals(snapshot, ready.snapshotToInstall());
        storage.persist(ready);
        storage.installSnapshot(new SnapshotMetadata(6, 1, 2));
        assertAdvanceRefuses(b, ready);
    }

    @Test
    void aLeaderDisagreeingAboutACommittedPrevLogTermStopsTheFollower() {
        MemoryLogStorage storage = new MemoryLogStorage();
        RaftNode b = node("b", storage);
        b.step(new Message.AppendEntries(CLUSTER, "a", "b", 1, 0, 0,
                List.of(Entry.noOp(1, 1), Entry.normal(2, 1, new byte[1])), 2));
        process(b, storage);
        assertEquals(2, b.status().commitIndex());
        for (long prevLogIndex : new long[] {1, 2}) {
            IllegalStateException e = assertThrows(IllegalStateException.class, () -> b.step(
                    new Message.AppendEntries(CLUSTER, "c", "b", 2, prevLogIndex, 2, List.of(), 2)));
            assertTrue(e.getMessage().contains("State Machine Safety"), e.getMessage());
        }
    }

    @Test
    void preVoteIsRefusedWithinTheElectionTimeoutOfHearingFromALeaderEvenWithoutCheckQuorum() {
        MemoryLogStorage storage = new MemoryLogStorage();
        RaftConfig config = RaftConfig.defaults("b", MEMBERS).withElectionOptions(true, false);
        RaftNode b = new RaftNode(config, storage, SnapshotSource.NONE, new SplittableRandom(1));
        b.step(new Message.Heartbeat(CLUSTER, "a", "b", 1, 0, 0));
        process(b, storage);
        b.step(new Message.PreVote(CLUSTER, "c", "b", 2, 0, 0));
        List<Message> sent = process(b, storage);
        assertTrue(sent.stream().noneMatch(m -> m instanceof Message.PreVoteResponse r && r.voteGranted()),
                sent.toString());
        assertEquals(1, b.status().term());
    }

    @Test
    void aLeaderWaitingOnASlowDiskKeepsOneHeartbeatPerPeer() {
        MemoryLogStorage storage = new MemoryLogStorage();
        RaftNode a = leader(storage);
        a.propose(new byte[1]);
        Ready slow = a.ready(); // its fsync takes a long time
        for (int tick = 0; tick < 3 * a.config().heartbeatIntervalTicks() + 5; tick++) {
            a.tick();
        }
        storage.persist(slow);
        a.advance(slow);
        List<Message> heartbeats = a.ready().messages().stream()
                .filter(m -> m instanceof Message.Heartbeat).toList();
        assertEquals(List.of("b", "c"), heartbeats.stream().map(Message::to).toList());
    }

    @Test
    void aReadKeepsItsOwnCopyOfTheContext() {
        MemoryLogStorage storage = new MemoryLogStorage();
        RaftNode single = new RaftNode(RaftConfig.defaults("a", List.of("a")), storage,
                SnapshotSource.NONE, new SplittableRandom(1));
        single.campaign();
        process(single, storage);
        byte[] context = {'r'};
        single.readIndex(context);
        context[0] = 'x'; // the caller reuses its buffer
        Ready ready = single.ready();
        assertEquals('r', ready.readStates().get(0).context()[0]);
    }

    @Test
    void theLogViewShowsTheSnapshotAndTheNewestEntriesDurableOrNot() {
        MemoryLogStorage storage = new MemoryLogStorage();
        storage.installSnapshot(new SnapshotMetadata(5, 1, 2));
        storage.setHardState(new HardState(1, null, 5));
        RaftNode b = node("b", storage);
        List<Entry> entries = List.of(Entry.noOp(6, 2), Entry.normal(7, 2, new byte[1]),
                Entry.normal(8, 2, new byte[1]), Entry.normal(9, 2, new byte[1]));
        b.step(new Message.AppendEntries(CLUSTER, "a", "b", 2, 5, 1, entries, 5));
        Ready ready = b.ready();
        storage.persist(ready);
        b.advance(ready);
        b.step(new Message.AppendEntries(CLUSTER, "a", "b", 2, 9, 2, List.of(Entry.normal(10, 2, new byte[1])), 5));
        // 10 is not durable yet: the view shows the log as the node holds it.
        LogView view = b.logView(3);
        assertEquals(new LogPosition(5, 1), view.snapshot());
        assertEquals(new LogPosition(10, 2), view.last());
        assertEquals(List.of(8L, 9L, 10L), view.tail().stream().map(Entry::index).toList());
        assertEquals(entries, b.logView(16).tail().subList(0, 4));
        assertEquals(List.of(), b.logView(0).tail());
        assertThrows(IllegalArgumentException.class, () -> b.logView(-1));
    }

    /** Ticks after an answer from b (the last a majority gives) until a steps down. */
    private static int ticksUntilSteppingDown(int ticksBeforeAnswer) {
        MemoryLogStorage storage = new MemoryLogStorage();
        RaftNode a = leader(storage);
        a.step(new Message.HeartbeatResponse(CLUSTER, "b", "a", 1, 0)); // the first check passes
        for (int tick = 0; tick < ticksBeforeAnswer; tick++) {
            a.tick();
        }
        a.step(new Message.HeartbeatResponse(CLUSTER, "b", "a", 1, 0));
        int ticks = 0;
        while (a.status().role() == Role.LEADER) {
            a.tick();
            ticks++;
        }
        return ticks;
    }

    /** PROTOCOL.md: more than one and at most two election timeouts (E + 1 to 2E ticks). */
    @Test
    void checkQuorumStepsDownBetweenOneAndTwoElectionTimeoutsAfterTheLastMajority() {
        int electionTimeoutTicks = RaftConfig.defaults("a", MEMBERS).electionTimeoutTicks();
        assertEquals(electionTimeoutTicks + 1, ticksUntilSteppingDown(electionTimeoutTicks - 1));
        assertEquals(2 * electionTimeoutTicks, ticksUntilSteppingDown(electionTimeoutTicks));
    }
}

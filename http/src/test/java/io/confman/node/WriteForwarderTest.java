package io.confman.node;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.confman.raft.ClusterIdentity;
import io.confman.raft.ProposeResult;
import io.confman.store.ApplyResult;
import io.confman.store.KeyMeta;
import io.confman.store.StoreLimits;
import io.confman.store.command.Command;
import io.confman.store.command.CommandCodec;
import io.confman.store.command.Precondition;
import io.confman.store.command.RequestId;
import io.confman.store.command.Value;
import io.confman.transport.NodeMessage;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import org.junit.jupiter.api.Test;

/**
 * The forwarding rules of NODE.md, one by one, against a scripted leader: no threads, no
 * clock, so every case is exact.
 */
class WriteForwarderTest {
    private static final long ELECTION = 1_000;
    private static final long RETRY = 1_000;
    private static final long TIMEOUT = 10_000;
    private static final long CLIENT = 42;
    private static final ClusterIdentity CLUSTER = ClusterIdentity.of(List.of("n1", "n2", "n3"));
    private static final RuntimeException TIMED_OUT = new NodeException.Timeout(TIMEOUT);

    /** The scripted core: who leads, in which term, what a proposal answers, what was sent. */
    private static final class ScriptedLeadership implements WriteForwarder.Leadership {
        String leader;
        long term = 1;
        ProposeResult proposeAnswer = new ProposeResult.Accepted(1, 1);
        final List<byte[]> proposed = new ArrayList<>();
        final List<String> forwardedTo = new ArrayList<>();
        final List<byte[]> forwarded = new ArrayList<>();

        @Override
        public String leaderId() {
            return leader;
        }

        @Override
        public long term() {
            return term;
        }

        @Override
        public ProposeResult propose(byte[] command) {
            proposed.add(command);
            return proposeAnswer;
        }

        @Override
        public void forward(String leader, long term, byte[] command) {
            forwardedTo.add(leader + "@" + term);
            forwarded.add(command);
        }
    }

    private final ScriptedLeadership leadership = new ScriptedLeadership();
    private final WriteForwarder writes = new WriteForwarder("n1", leadership, ELECTION, RETRY, CLIENT);

    private static Command put(String key) {
        return new Command.Put(RequestId.NONE, "app", key, Value.Inline.copyOf("v".getBytes(StandardCharsets.UTF_8)),
                Precondition.NONE);
    }

    private CompletableFuture<ApplyResult> add(Command command, long now) {
        CompletableFuture<ApplyResult> future = new CompletableFuture<>();
        writes.add(new WriteForwarder.PendingWrite(command, future, now, now + TIMEOUT), now);
        writes.checkInvariantsFully();
        return future;
    }

    private static RequestId idOf(byte[] command) {
        return CommandCodec.decode(command).requestId();
    }

    private static ApplyResult created(String key) {
        return new ApplyResult.Created(new KeyMeta("app", key, 1, 1, 1, 1, false));
    }

    private NodeMessage.ForwardWriteResponse answer(String from, long term, byte[] command,
                                                    NodeMessage.Outcome outcome) {
        RequestId id = idOf(command);
        return new NodeMessage.ForwardWriteResponse(CLUSTER, from, "n1", term, id.clientId(), id.sequence(), outcome,
                0, "");
    }

    private static Throwable failure(CompletableFuture<?> future) {
        assertTrue(future.isCompletedExceptionally(), "failed");
        try {
            future.join();
            throw new AssertionError("not failed");
        } catch (CompletionException e) {
            return e.getCause();
        }
    }

    @Test
    void ownWritesCarryTheLowestSequenceStillPendingAsFirstOutstanding() {
        leadership.leader = "n1";
        CompletableFuture<ApplyResult> first = add(put("a"), 0);
        CompletableFuture<ApplyResult> second = add(put("b"), 0);
        add(put("c"), 0);
        assertEquals(List.of(new RequestId(CLIENT, 1, 1), new RequestId(CLIENT, 2, 1), new RequestId(CLIENT, 3, 1)),
                leadership.proposed.stream().map(WriteForwarderTest::idOf).toList());

        writes.applied(leadership.proposed.get(1), created("b"));
        assertEquals(created("b"), second.join());
        add(put("d"), 0);
        assertEquals(new RequestId(CLIENT, 4, 1), idOf(leadership.proposed.get(3)), "write 1 still waits");

        writes.applied(leadership.proposed.get(0), created("a"));
        assertEquals(created("a"), first.join());
        add(put("e"), 0);
        assertEquals(new RequestId(CLIENT, 5, 3), idOf(leadership.proposed.get(4)), "3 is the lowest pending");
        writes.checkInvariantsFully();
    }

    @Test
    void aTimedOutWriteNoLongerHoldsFirstOutstandingBack() {
        leadership.leader = "n1";
        CompletableFuture<ApplyResult> early = new CompletableFuture<>();
        writes.add(new WriteForwarder.PendingWrite(put("a"), early, 0, 100), 0);
        add(put("b"), 0);
        assertFalse(writes.anyExpired(100), "the deadline itself is not past");
        assertTrue(writes.anyExpired(101), "the node's loop expires only when this says so");
        writes.expire(101, TIMED_OUT);
        assertFalse(writes.anyExpired(101), "b's deadline is later");
        assertEquals(TIMED_OUT, failure(early), "a copy was proposed, so the outcome is unknown");
        assertEquals(2, writes.firstOutstanding());
        writes.checkInvariantsFully();
    }

    @Test
    void aWriteThatWouldPutTheOldestPendingOneBeyondTheSessionBoundWaits() {
        leadership.leader = "n1";
        CompletableFuture<ApplyResult> oldest = add(put("stalled"), 0);
        for (int i = 1; i < StoreLimits.RESULTS_PER_SESSION_MAX; i++) {
            CompletableFuture<ApplyResult> write = new CompletableFuture<>();
            writes.add(new WriteForwarder.PendingWrite(put("k"), write, 0, TIMEOUT), 0);
            writes.applied(leadership.proposed.get(leadership.proposed.size() - 1), created("k"));
            assertTrue(write.isDone() && !write.isCompletedExceptionally(), "write " + (i + 1) + " was accepted");
        }
        assertEquals(1, writes.size(), "only the stalled write waits");
        assertEquals(new RequestId(CLIENT, StoreLimits.RESULTS_PER_SESSION_MAX, 1),
                idOf(leadership.proposed.get(leadership.proposed.size() - 1)), "the last one the bound allows");
        Throwable refused = failure(add(put("one-too-many"), 0));
        assertInstanceOf(NodeException.Overloaded.class, refused);
        assertFalse(oldest.isDone());
        writes.applied(leadership.proposed.get(0), created("stalled"));
        assertEquals(created("stalled"), oldest.join());
        assertFalse(add(put("now-fine"), 0).isDone(), "accepted once the oldest was answered");
    }

    @Test
    void expiringAWriteOfAnotherSessionKeepsThisNodesFirstOutstanding() {
        leadership.leader = "n1";
        CompletableFuture<ApplyResult> callers = new CompletableFuture<>();
        Command withSession = new Command.Put(new RequestId(7, 1), "app", "x", Value.Inline.copyOf(new byte[1]),
                Precondition.NONE);
        writes.add(new WriteForwarder.PendingWrite(withSession, callers, 0, 100), 0);
        add(put("own"), 0); // sequence 1 of this node's session, like the caller's
        writes.expire(101, TIMED_OUT);
        assertTrue(callers.isCompletedExceptionally());
        assertEquals(1, writes.firstOutstanding(), "this node's write 1 still waits");
        writes.checkInvariantsFully();
    }

    @Test
    void aSecondWriteUnderAPendingCallerRequestIdIsRefused() {
        leadership.leader = "n1";
        Command withSession = new Command.Put(new RequestId(7, 1), "app", "x", Value.Inline.copyOf(new byte[1]),
                Precondition.NONE);
        add(withSession, 0);
        assertInstanceOf(NodeException.Rejected.class, failure(add(withSession, 0)));
        assertEquals(1, writes.size());
    }

    @Test
    void anAnswerToAnOlderCopyDoesNotStopTheRetries() {
        leadership.leader = "n2";
        leadership.term = 5;
        CompletableFuture<ApplyResult> write = add(put("k"), 0);
        leadership.term = 6; // n2 won again, in a later term: its term-5 entry may be truncated
        writes.retry(10);
        assertEquals(List.of("n2@5", "n2@6"), leadership.forwardedTo);

        writes.onResponse(answer("n2", 5, leadership.forwarded.get(0), NodeMessage.Outcome.OK));
        writes.retry(10 + RETRY + 1);
        assertEquals(List.of("n2@5", "n2@6", "n2@6"), leadership.forwardedTo,
                "the term-5 answer did not acknowledge the term-6 copy, so it was sent again");

        writes.onResponse(answer("n2", 6, leadership.forwarded.get(2), NodeMessage.Outcome.OK));
        writes.retry(10 + 3 * RETRY);
        assertEquals(3, leadership.forwardedTo.size(), "acknowledged: only a leader change sends it again");
        assertFalse(write.isDone());
    }

    @Test
    void anInvalidAnswerFailsTheWriteAtOnceOnlyWhenNoCopyIsLeft() {
        leadership.leader = "n2";
        CompletableFuture<ApplyResult> alone = add(put("a"), 0);
        writes.onResponse(answer("n2", 1, leadership.forwarded.get(0), NodeMessage.Outcome.INVALID));
        assertInstanceOf(IllegalArgumentException.class, failure(alone));

        CompletableFuture<ApplyResult> twice = add(put("b"), 0);
        leadership.leader = "n3";
        leadership.term = 2;
        writes.retry(1);
        assertEquals(List.of("n2@1", "n2@1", "n3@2"), leadership.forwardedTo);
        writes.onResponse(answer("n3", 2, leadership.forwarded.get(2), NodeMessage.Outcome.INVALID));
        assertFalse(twice.isDone(), "the copy n2 accepted may still commit");
        writes.expire(TIMEOUT + 1, TIMED_OUT);
        assertEquals(TIMED_OUT, failure(twice), "so its deadline answers outcome unknown");
    }

    @Test
    void aWriteNeverSentFailsAsNotLeaderOnceAnElectionTimeoutPassedWithoutALeader() {
        CompletableFuture<ApplyResult> write = add(put("k"), 0);
        writes.retry(ELECTION / 2);
        assertFalse(write.isDone());
        writes.retry(ELECTION + 1);
        assertInstanceOf(NodeException.NotLeader.class, failure(write));
        assertEquals(0, writes.size());
    }

    @Test
    void aWriteSentOnceWaitsForItsDeadlineWhenTheLeaderIsLost() {
        leadership.leader = "n2";
        CompletableFuture<ApplyResult> write = add(put("k"), 0);
        leadership.leader = null;
        writes.retry(ELECTION + 1);
        assertFalse(write.isDone(), "the copy n2 holds may commit");
        writes.expire(TIMEOUT + 1, TIMED_OUT);
        assertEquals(TIMED_OUT, failure(write));
    }

    @Test
    void aWriteWhoseOnlyCopyWasRefusedFailsWithTheRefusalAtItsDeadline() {
        leadership.leader = "n1";
        leadership.proposeAnswer = new ProposeResult.Rejected("a leadership transfer is under way", null);
        CompletableFuture<ApplyResult> write = add(put("k"), 0);
        writes.expire(TIMEOUT + 1, TIMED_OUT);
        NodeException.Rejected rejected = assertInstanceOf(NodeException.Rejected.class, failure(write));
        assertTrue(rejected.getMessage().contains("transfer"), rejected.getMessage());
    }

    @Test
    void aSnapshotInstallSendsAgainOnlyTheWritesWithACopyThatMayHaveCommitted() {
        leadership.leader = "n2";
        add(put("refused"), 0);
        writes.onResponse(answer("n2", 1, leadership.forwarded.get(0), NodeMessage.Outcome.REJECTED));
        add(put("accepted"), 0);
        writes.onResponse(answer("n2", 1, leadership.forwarded.get(1), NodeMessage.Outcome.OK));
        writes.snapshotInstalled();
        writes.retry(1);
        assertEquals(List.of(new RequestId(CLIENT, 1, 1), new RequestId(CLIENT, 2, 1), new RequestId(CLIENT, 2, 1)),
                leadership.forwarded.stream().map(WriteForwarderTest::idOf).toList(),
                "the accepted write is sent again with its request id; the refused one, in no log, waits for its"
                        + " retry time");
        writes.retry(1 + RETRY + 1);
        assertEquals(new RequestId(CLIENT, 1, 1), idOf(leadership.forwarded.get(3)), "then it is sent again too");
    }

    @Test
    void peekRequestIdReadsTheEncodedIdAndRefusesWhatIsNotACommand() {
        byte[] command = CommandCodec.encode(new Command.Delete(new RequestId(9, 5, 3), "app", "k", Precondition.NONE));
        assertEquals(new RequestId(9, 5, 3), WriteForwarder.peekRequestId(command));
        assertEquals(RequestId.NONE, WriteForwarder.peekRequestId(new byte[10]));
        assertEquals(RequestId.NONE, WriteForwarder.peekRequestId(new byte[40]), "version 0: zero bytes");
        byte[] older = command.clone();
        older[0] = 1;
        assertEquals(RequestId.NONE, WriteForwarder.peekRequestId(older), "another format version");
    }
}

package io.confman.raft.sim;

import io.confman.raft.Message;
import io.confman.raft.Message.AppendEntries;
import io.confman.raft.Message.AppendEntriesResponse;
import io.confman.raft.Message.Heartbeat;
import io.confman.raft.Message.HeartbeatResponse;
import io.confman.raft.Message.InstallSnapshot;
import io.confman.raft.Message.InstallSnapshotResponse;
import io.confman.raft.Message.PreVote;
import io.confman.raft.Message.PreVoteResponse;
import io.confman.raft.Message.RequestVote;
import io.confman.raft.Message.RequestVoteResponse;

/** Short readable forms of messages for the trace (records print their cluster identity and bytes). */
final class Messages {

    private Messages() {
    }

    /**
     * Records what happened to a message ({@code deliver}, {@code drop}, {@code duplicate}):
     * sender, receiver, the reason when there is one, the readable form, and for a replay its
     * type and term as JSON fields.
     */
    static void trace(SimTrace trace, long tick, String kind, Message m, String reason) {
        SimTrace.Event event = trace.begin(tick, kind).text("from", m.from()).text("to", m.to());
        if (reason != null) {
            event.text("reason", reason);
        }
        event.text("message", describe(m))
                .jsonString("type", m.getClass().getSimpleName())
                .jsonNumber("term", m.term())
                .write();
    }

    static String describe(Message m) {
        String head = m.getClass().getSimpleName() + " term=" + m.term();
        if (m instanceof AppendEntries a) {
            return head + " prev=" + a.prevLogTerm() + "/" + a.prevLogIndex() + " entries=" + a.entries()
                    + " commit=" + a.leaderCommit();
        } else if (m instanceof AppendEntriesResponse r) {
            return head + (r.success() ? " ok match=" + r.matchIndex()
                    : " reject at=" + r.rejectedIndex() + " hint=" + r.conflictTerm() + "/" + r.conflictIndex());
        } else if (m instanceof Heartbeat h) {
            return head + " commit=" + h.leaderCommit() + " round=" + h.readRound();
        } else if (m instanceof HeartbeatResponse h) {
            return head + " round=" + h.readRound();
        } else if (m instanceof PreVote v) {
            return head + " last=" + v.lastLogTerm() + "/" + v.lastLogIndex();
        } else if (m instanceof RequestVote v) {
            return head + " last=" + v.lastLogTerm() + "/" + v.lastLogIndex() + (v.leadershipTransfer() ? " transfer" : "");
        } else if (m instanceof PreVoteResponse v) {
            return head + (v.voteGranted() ? " granted" : " refused");
        } else if (m instanceof RequestVoteResponse v) {
            return head + (v.voteGranted() ? " granted" : " refused");
        } else if (m instanceof InstallSnapshot s) {
            return head + " snapshot=" + s.snapshot().lastIncludedTerm() + "/" + s.snapshot().lastIncludedIndex()
                    + " offset=" + s.offset() + " bytes=" + s.data().length + (s.done() ? " done" : "");
        } else if (m instanceof InstallSnapshotResponse s) {
            return head + " snapshot=" + s.snapshot().lastIncludedTerm() + "/" + s.snapshot().lastIncludedIndex()
                    + " next=" + s.nextOffset() + (s.done() ? " done" : "");
        }
        return head;
    }
}

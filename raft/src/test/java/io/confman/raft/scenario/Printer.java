package io.confman.raft.scenario;

import io.confman.raft.Entry;
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
import io.confman.raft.Message.TimeoutNow;
import io.confman.raft.SnapshotMetadata;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.stream.Collectors;

/** Renders messages and entries the way the scenario files show them. */
final class Printer {

    private Printer() {
    }

    static String entry(Entry entry) {
        return entry.term() + "/" + entry.index() + (entry.type() == Entry.Type.NO_OP
                ? " no-op" : " " + new String(entry.data(), StandardCharsets.UTF_8));
    }

    static String entries(List<Entry> entries) {
        return entries.stream().map(Printer::entry).collect(Collectors.joining(", ", "[", "]"));
    }

    static String snapshot(SnapshotMetadata snapshot) {
        return snapshot.lastIncludedTerm() + "/" + snapshot.lastIncludedIndex() + " (" + snapshot.sizeBytes() + "B)";
    }

    static String message(Message m) {
        String head = m.from() + "->" + m.to() + " " + m.getClass().getSimpleName() + " term=" + m.term();
        return head + body(m);
    }

    private static String body(Message m) {
        if (m instanceof PreVote v) {
            return " last=" + v.lastLogTerm() + "/" + v.lastLogIndex();
        } else if (m instanceof PreVoteResponse r) {
            return r.voteGranted() ? " granted" : " rejected";
        } else if (m instanceof RequestVote v) {
            return " last=" + v.lastLogTerm() + "/" + v.lastLogIndex() + (v.leadershipTransfer() ? " transfer" : "");
        } else if (m instanceof RequestVoteResponse r) {
            return r.voteGranted() ? " granted" : " rejected";
        } else if (m instanceof AppendEntries a) {
            return " prev=" + a.prevLogTerm() + "/" + a.prevLogIndex() + " commit=" + a.leaderCommit()
                    + (a.entries().isEmpty() ? "" : " entries=" + entries(a.entries()));
        } else if (m instanceof AppendEntriesResponse r) {
            return r.success() ? " ok match=" + r.matchIndex()
                    : " reject index=" + r.rejectedIndex() + " hint=" + r.conflictTerm() + "/" + r.conflictIndex();
        } else if (m instanceof Heartbeat h) {
            return " commit=" + h.leaderCommit() + " round=" + h.readRound();
        } else if (m instanceof HeartbeatResponse r) {
            return " round=" + r.readRound();
        } else if (m instanceof InstallSnapshot s) {
            return " snapshot=" + snapshot(s.snapshot()) + " offset=" + s.offset() + " bytes=" + s.data().length
                    + (s.done() ? " done" : "");
        } else if (m instanceof InstallSnapshotResponse r) {
            return " snapshot=" + snapshot(r.snapshot()) + " next=" + r.nextOffset() + (r.done() ? " done" : "");
        } else if (m instanceof TimeoutNow t) {
            return " last=" + t.lastLogTerm() + "/" + t.lastLogIndex();
        }
        throw new IllegalArgumentException("unknown message " + m);
    }
}

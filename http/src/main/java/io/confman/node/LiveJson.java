package io.confman.node;

import static io.confman.node.JsonStrings.quote;

import io.confman.raft.Entry;
import io.confman.raft.Message;
import io.confman.raft.Status;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * The JSON of the live view's frames (LIVEVIEW.md section 2), written by hand: a few small
 * objects a second, on the loop thread, with no library on the node's hot path. Keys and
 * values never carry data of the store: entries appear as index, term and type.
 */
final class LiveJson {

    private LiveJson() {
    }

    /** One recent entry of the log, for the side-by-side drawing. */
    record LogEntry(long index, long term, Entry.Type type) {
    }

    /** Durations of one kind over the node's recent window, in milliseconds. */
    record Timing(double p50Ms, double p99Ms, double maxMs, long count) {
    }

    /** Everything a {@code state} frame shows. */
    record State(Status core, long lastIndex, long lastTerm, long appliedIndex, long snapshotIndex,
                 long snapshotTerm, List<LogEntry> log, Timing fsync, Timing snapshot, long elections,
                 long leaderChanges) {
    }

    static String state(String node, long timeMs, State state) {
        Status core = state.core();
        Builder out = new Builder(node, timeMs);
        out.field("role", core.role().name()).field("term", core.term()).field("vote", core.votedFor())
                .field("leader", core.leaderId()).field("last_index", state.lastIndex())
                .field("last_term", state.lastTerm()).field("commit", core.commitIndex())
                .field("applied", state.appliedIndex()).field("snapshot_index", state.snapshotIndex())
                .field("snapshot_term", state.snapshotTerm());
        StringBuilder log = new StringBuilder("[");
        for (LogEntry entry : state.log()) {
            if (log.length() > 1) {
                log.append(',');
            }
            log.append('[').append(entry.index()).append(',').append(entry.term()).append(",\"")
                    .append(typeName(entry.type())).append("\"]");
        }
        out.raw("log", log.append(']').toString());
        StringBuilder progress = new StringBuilder("{");
        for (Map.Entry<String, Status.PeerProgress> peer : new TreeMap<>(core.progress()).entrySet()) {
            if (progress.length() > 1) {
                progress.append(',');
            }
            Status.PeerProgress p = peer.getValue();
            progress.append(quote(peer.getKey())).append(":{\"match\":").append(p.matchIndex())
                    .append(",\"next\":").append(p.nextIndex()).append(",\"state\":")
                    .append(quote(p.state().toLowerCase(java.util.Locale.ROOT))).append(",\"inflight\":")
                    .append(p.inflightMessages()).append('}');
        }
        out.raw("progress", progress.append('}').toString());
        out.raw("fsync_ms", timing(state.fsync())).raw("snapshot_ms", timing(state.snapshot()));
        out.field("elections", state.elections()).field("leader_changes", state.leaderChanges());
        return out.end();
    }

    static String message(String node, long timeMs, Message message, long skipped) {
        Builder out = new Builder(node, timeMs);
        out.field("from", message.from()).field("to", message.to())
                .field("type", message.getClass().getSimpleName()).field("term", message.term());
        if (message instanceof Message.AppendEntries a) {
            out.field("index", a.prevLogIndex()).field("log_term", a.prevLogTerm())
                    .field("entries", a.entries().size()).field("commit", a.leaderCommit());
        } else if (message instanceof Message.AppendEntriesResponse r) {
            out.field("index", r.success() ? r.matchIndex() : r.rejectedIndex()).field("reject", !r.success());
        } else if (message instanceof Message.Heartbeat h) {
            out.field("commit", h.leaderCommit());
        } else if (message instanceof Message.PreVote v) {
            out.field("index", v.lastLogIndex()).field("log_term", v.lastLogTerm());
        } else if (message instanceof Message.RequestVote v) {
            out.field("index", v.lastLogIndex()).field("log_term", v.lastLogTerm());
        } else if (message instanceof Message.PreVoteResponse v) {
            out.field("reject", !v.voteGranted());
        } else if (message instanceof Message.RequestVoteResponse v) {
            out.field("reject", !v.voteGranted());
        } else if (message instanceof Message.InstallSnapshot s) {
            out.field("index", s.snapshot().lastIncludedIndex()).field("log_term", s.snapshot().lastIncludedTerm());
        } else if (message instanceof Message.InstallSnapshotResponse s) {
            out.field("index", s.snapshot().lastIncludedIndex());
        }
        out.field("skipped", skipped);
        return out.end();
    }

    static String event(String node, long timeMs, String kind, long skipped, Object... fields) {
        if (fields.length % 2 != 0) {
            throw new IllegalArgumentException("fields come in name/value pairs, got " + fields.length);
        }
        Builder out = new Builder(node, timeMs);
        out.field("kind", kind);
        for (int i = 0; i < fields.length; i += 2) {
            Object value = fields[i + 1];
            if (value instanceof Number number) {
                out.raw((String) fields[i], number.toString());
            } else {
                out.field((String) fields[i], value == null ? null : value.toString());
            }
        }
        out.field("skipped", skipped);
        return out.end();
    }

    private static String typeName(Entry.Type type) {
        return switch (type) {
            case NORMAL -> "normal";
            case NO_OP -> "noop";
        };
    }

    private static String timing(Timing timing) {
        return String.format(java.util.Locale.ROOT, "{\"p50\":%.3f,\"p99\":%.3f,\"max\":%.3f,\"count\":%d}",
                timing.p50Ms(), timing.p99Ms(), timing.maxMs(), timing.count());
    }

    /** An object that starts with the sender and the time, as every frame does. */
    private static final class Builder {
        private final StringBuilder out = new StringBuilder(256);

        Builder(String node, long timeMs) {
            out.append("{\"node\":").append(quote(node)).append(",\"t\":").append(timeMs);
        }

        Builder field(String name, String value) {
            return raw(name, quote(value));
        }

        Builder field(String name, long value) {
            return raw(name, Long.toString(value));
        }

        Builder field(String name, boolean value) {
            return raw(name, Boolean.toString(value));
        }

        Builder raw(String name, String json) {
            out.append(',').append(quote(name)).append(':').append(json);
            return this;
        }

        String end() {
            return out.append('}').toString();
        }
    }
}

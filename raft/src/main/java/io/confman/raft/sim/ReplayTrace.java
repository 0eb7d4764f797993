package io.confman.raft.sim;

import io.confman.raft.Entry;
import io.confman.raft.HardState;
import io.confman.raft.LogView;
import io.confman.raft.Role;
import io.confman.raft.SnapshotMetadata;
import io.confman.raft.Status;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * What a replay of the trace needs at the end of each tick, beyond the events of the tick: the
 * state of every node whose state changed (of every node at the first tick), with the fields of
 * the live view's {@code state} event, and the properties the checkers checked during the tick.
 * These events go to the JSON lines only, and are built only when those are written
 * ({@link SimTrace#replayEnabled()}).
 */
final class ReplayTrace {

    /** Log entries a state shows: the newest above the snapshot. */
    static final int LOG_ENTRIES_MAX = 16;

    /** The properties in the order a {@code checks} event lists them. */
    private static final List<String> NAMES = List.of(ElectionSafetyChecker.NAME,
            LeaderAppendOnlyChecker.NAME, LogMatchingChecker.NAME, LeaderCompletenessChecker.NAME,
            StateMachineSafetyChecker.NAME, LinearizableReadChecker.NAME);

    private final SimTrace trace;
    private final List<SimNode> nodes;
    private final SimRuntime runtime;
    /** The JSON fields of the state last written for each node, by node number; null before the first. */
    private final String[] lastStates;
    /** Each checker's count of checks at the end of the previous tick, in the order of {@link #NAMES}. */
    private final long[] checksBefore;
    /**
     * {@link SimTrace#happenings()} at the end of the previous tick. It starts at 0 even when
     * earlier seeds wrote to the same trace: tick 0 writes every node's state anyway.
     */
    private long happeningsBefore;

    ReplayTrace(SimTrace trace, List<SimNode> nodes, SimRuntime runtime) {
        this.trace = trace;
        this.nodes = nodes;
        this.runtime = runtime;
        this.lastStates = new String[nodes.size()];
        this.checksBefore = new long[NAMES.size()];
    }

    /**
     * Ends {@code tick}: writes the state of each node that changed since its last state, then,
     * if something happened (a check ran or an event was written), one {@code checks} event.
     * {@code ok} is false when a violation ends the tick; {@code withStates} is false when the
     * core threw, since its state may then be half changed.
     */
    void endTick(long tick, boolean ok, boolean withStates) {
        if (withStates) {
            for (SimNode node : nodes) {
                SimTrace.Event state = stateOf(tick, node);
                String fields = state.jsonFields();
                int number = SimNode.number(node.id);
                if (!fields.equals(lastStates[number])) {
                    lastStates[number] = fields;
                    state.write();
                }
            }
        }
        long[] checks = checkCounts();
        StringBuilder properties = new StringBuilder("[");
        for (int i = 0; i < checks.length; i++) {
            if (checks[i] != checksBefore[i]) {
                properties.append(properties.length() > 1 ? "," : "").append(SimTrace.quote(NAMES.get(i)));
            }
        }
        properties.append(']');
        if (!ok || properties.length() > 2 || trace.happenings() != happeningsBefore) {
            trace.beginReplayOnly(tick, "checks")
                    .jsonValue("properties", properties.toString())
                    .jsonBoolean("ok", ok)
                    .write();
        }
        System.arraycopy(checks, 0, checksBefore, 0, checks.length);
        happeningsBefore = trace.happenings();
    }

    /** Each checker's count of checks so far, in the order of {@link #NAMES}. */
    private long[] checkCounts() {
        return new long[] {runtime.electionSafety.checks(), runtime.leaderAppendOnly.checks(),
                runtime.logMatching.checks(), runtime.leaderCompleteness.checks(),
                runtime.stateMachineSafety.checks(), runtime.reads.checks()};
    }

    /** A running node's state as its core reports it. */
    private SimTrace.Event stateOf(long tick, SimNode node) {
        SimTrace.Event event = trace.beginReplayOnly(tick, "state").jsonString("node", node.id);
        if (!node.isUp()) {
            return crashedStateOf(event, node);
        }
        Status status = node.raft.status();
        LogView log = node.raft.logView(LOG_ENTRIES_MAX);
        return event.jsonBoolean("up", true)
                .jsonString("role", status.role().name())
                .jsonNumber("term", status.term())
                .jsonString("vote", status.votedFor())
                .jsonString("leader", status.leaderId())
                .jsonNumber("last_index", log.last().index())
                .jsonNumber("last_term", log.last().term())
                .jsonNumber("commit", status.commitIndex())
                .jsonNumber("applied", status.appliedIndex())
                .jsonNumber("snapshot_index", log.snapshot().index())
                .jsonNumber("snapshot_term", log.snapshot().term())
                .jsonValue("log", entries(log.tail()))
                .jsonValue("progress", progress(status.progress()));
    }

    /**
     * A crashed node's state is what its disk holds, which is all it restarts from: the durable
     * term, vote and commit index, the durable log and snapshot. It leads nothing, knows no
     * leader, and its state machine is gone; a restart restores it from the snapshot, so
     * {@code applied} is the snapshot's index.
     */
    private static SimTrace.Event crashedStateOf(SimTrace.Event event, SimNode node) {
        HardState hardState = node.disk.hardState();
        SnapshotMetadata snapshot = node.disk.snapshot();
        long lastIndex = node.disk.lastIndex();
        long from = Math.max(node.disk.firstIndex(), lastIndex - LOG_ENTRIES_MAX + 1);
        List<Entry> tail = from > lastIndex ? List.of() : node.disk.entries(from, lastIndex + 1, Long.MAX_VALUE);
        return event.jsonBoolean("up", false)
                .jsonString("role", Role.FOLLOWER.name())
                .jsonNumber("term", hardState.term())
                .jsonString("vote", hardState.votedFor())
                .jsonString("leader", null)
                .jsonNumber("last_index", lastIndex)
                .jsonNumber("last_term", node.disk.term(lastIndex))
                .jsonNumber("commit", hardState.commitIndex())
                .jsonNumber("applied", snapshot.lastIncludedIndex())
                .jsonNumber("snapshot_index", snapshot.lastIncludedIndex())
                .jsonNumber("snapshot_term", snapshot.lastIncludedTerm())
                .jsonValue("log", entries(tail))
                .jsonValue("progress", "{}");
    }

    /** {@code [[index, term, type], ...]}, oldest first. */
    private static String entries(List<Entry> entries) {
        StringBuilder out = new StringBuilder(16 * entries.size() + 2).append('[');
        for (Entry entry : entries) {
            out.append(out.length() > 1 ? "," : "").append('[').append(entry.index()).append(',')
                    .append(entry.term()).append(',').append(SimTrace.quote(typeOf(entry))).append(']');
        }
        return out.append(']').toString();
    }

    /** The live view's names: {@code normal}, {@code noop} (and {@code config}, which this core has not). */
    private static String typeOf(Entry entry) {
        return switch (entry.type()) {
            case NORMAL -> "normal";
            case NO_OP -> "noop";
        };
    }

    /** The leader's view of every member, itself included; {@code {}} when not leader. */
    private static String progress(Map<String, Status.PeerProgress> progress) {
        StringBuilder out = new StringBuilder("{");
        for (Map.Entry<String, Status.PeerProgress> member : progress.entrySet()) {
            Status.PeerProgress peer = member.getValue();
            out.append(out.length() > 1 ? "," : "").append(SimTrace.quote(member.getKey()))
                    .append(":{\"match\":").append(peer.matchIndex())
                    .append(",\"next\":").append(peer.nextIndex())
                    .append(",\"state\":").append(SimTrace.quote(peer.state().toLowerCase(Locale.ROOT)))
                    .append(",\"inflight\":").append(peer.inflightMessages()).append('}');
        }
        return out.append('}').toString();
    }
}

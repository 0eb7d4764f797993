package io.confman.raft.sim;

import io.confman.raft.Entry;
import io.confman.raft.FailedRead;
import io.confman.raft.Message;
import io.confman.raft.Ready;
import io.confman.raft.ReadState;
import io.confman.raft.Role;
import io.confman.raft.SnapshotChunk;
import io.confman.raft.SnapshotMetadata;
import io.confman.raft.Status;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.Iterator;
import java.util.Locale;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * The simulated node runtime: what a real server's loop does with the core, following the
 * {@link Ready} contract to the letter, and the checkers that watch it. After every input it
 * looks at the node's status and takes Readies until none is left or one waits for its fsync;
 * it writes to the {@link SimDisk} only when a simulated fsync completes, sends
 * {@code messagesAfterPersist} only then, applies, answers reads, and calls {@code advance}.
 * It also restarts nodes from their disk and takes snapshots for them.
 */
final class SimRuntime {

    private final SimOptions options;
    private final NodeFactory factory;
    private final SimNetwork network;
    private final SplittableRandom fsyncs;
    private final SimTrace trace;

    final ElectionSafetyChecker electionSafety = new ElectionSafetyChecker();
    final LeaderAppendOnlyChecker leaderAppendOnly = new LeaderAppendOnlyChecker();
    final LogMatchingChecker logMatching = new LogMatchingChecker();
    final LeaderCompletenessChecker leaderCompleteness = new LeaderCompletenessChecker();
    final StateMachineSafetyChecker stateMachineSafety = new StateMachineSafetyChecker();
    final LinearizableReadChecker reads = new LinearizableReadChecker();
    /** The prefix hash of every snapshot any node took, by its metadata. */
    private final Map<SnapshotMetadata, Long> snapshotChains = new HashMap<>();

    /** The current tick, set by the simulator at the start of each step. */
    private long tick;

    SimRuntime(SimOptions options, NodeFactory factory, SimNetwork network, SplittableRandom fsyncs,
               SimTrace trace) {
        this.options = options;
        this.factory = factory;
        this.network = network;
        this.fsyncs = fsyncs;
        this.trace = trace;
    }

    void setTick(long tick) {
        this.tick = tick;
    }

    /** Rebuilds a node from what its disk and snapshot store hold, as a real restart would. */
    void restart(SimNode node) {
        node.raft = factory.create(node.config, node.disk, node.snapshots, node.random().split());
        SnapshotMetadata snapshot = node.disk.snapshot();
        long baseChain = Hashes.EMPTY_CHAIN;
        node.resetStateMachine();
        if (snapshot.lastIncludedIndex() > 0) {
            node.restoreSnapshot(snapshot, node.snapshots.get(snapshot));
            baseChain = node.appliedChain;
            stateMachineSafety.onRestore(node.id, snapshot.lastIncludedIndex(), baseChain, tick);
        }
        node.shadow.reset(snapshot.lastIncludedIndex(), snapshot.lastIncludedTerm(), baseChain);
        for (Entry entry : node.disk.allEntries()) {
            long chain = node.shadow.put(entry);
            logMatching.observe(node.id, entry.index(), entry.term(), chain, tick);
        }
        if (trace.enabled()) {
            trace.event(tick, "restart", "node", node.id, "durable", node.disk.hardState()
                    + " log=" + node.disk.firstIndex() + ".." + node.disk.lastIndex());
        }
        afterInput(node);
    }

    /**
     * Snapshots the state machine at the applied index and compacts the log (thesis §5.1), as
     * a real runtime does from time to time; {@code random} pads the snapshot so that it takes
     * a varying number of InstallSnapshot chunks.
     */
    void takeSnapshot(SimNode node, SplittableRandom random) {
        if (!node.isUp() || node.pending != null
                || node.appliedIndex <= node.disk.snapshot().lastIncludedIndex()
                || node.appliedIndex > node.disk.lastIndex()) {
            return;
        }
        stateMachineSafety.onSnapshot(node.id, node.appliedIndex, node.appliedChain,
                node.shadow.chainAt(node.appliedIndex), tick);
        byte[] data = node.encodeSnapshot(random.nextInt(3 * options.snapshotChunkBytesMax()));
        SnapshotMetadata snapshot = new SnapshotMetadata(node.appliedIndex,
                node.disk.term(node.appliedIndex), data.length);
        registerSnapshot(node, snapshot, node.appliedChain);
        node.snapshots.put(snapshot, data);
        node.disk.compact(snapshot);
        node.shadow.compact(node.appliedIndex);
        if (trace.enabled()) {
            trace.event(tick, "snapshot", "node", node.id, "at", snapshot.lastIncludedTerm() + "/"
                    + snapshot.lastIncludedIndex(), "bytes", Long.toString(snapshot.sizeBytes()));
        }
    }

    private void registerSnapshot(SimNode node, SnapshotMetadata snapshot, long chain) {
        Long earlier = snapshotChains.putIfAbsent(snapshot, chain);
        if (earlier != null && earlier != chain) {
            throw new SafetyViolation(StateMachineSafetyChecker.PROPERTY, node.id + " took snapshot "
                    + snapshot + " of a state different from an earlier snapshot with the same metadata");
        }
    }

    void send(Message message) {
        SimNetwork.Fate fate = network.send(message, tick);
        if (trace.enabled() && fate != SimNetwork.Fate.SENT) {
            Messages.trace(trace, tick, fate == SimNetwork.Fate.DUPLICATED ? "duplicate" : "drop", message,
                    fate.name().toLowerCase(Locale.ROOT));
        }
    }

    /** After every input to a node: look at its role, then hand out its Readies. */
    void afterInput(SimNode node) {
        observe(node);
        pump(node);
    }

    private void observe(SimNode node) {
        Status status = node.raft.status();
        node.role = status.role();
        node.term = status.term();
        if (node.role == Role.LEADER && electionSafety.observeLeader(node.id, node.term, tick)
                && trace.enabled()) {
            trace.event(tick, "elected", "node", node.id, "term", Long.toString(node.term),
                    "last", Long.toString(status.lastIndex()));
        }
        if (node.role != Role.LEADER || node.term != node.leaderTerm) {
            node.leaderSinceReady = false;
        }
    }

    /**
     * Takes Readies until the node has none or one waits for its fsync. The messages that need
     * no durable write go out at once; the rest waits for {@link #finish}.
     */
    void pump(SimNode node) {
        while (node.isUp() && node.pending == null && node.raft.hasReady()) {
            Ready ready = node.raft.ready();
            handOut(node, ready);
            int fsyncTicks = options.fsyncTicksMax() == 0 ? 0 : fsyncs.nextInt(options.fsyncTicksMax() + 1);
            if (ready.mustSync() && fsyncTicks > 0) {
                node.pending = ready;
                node.fsyncTick = tick + fsyncTicks;
                return;
            }
            finish(node, ready);
        }
    }

    /** A Ready was handed out: update the node's shadow log and run the log checkers. */
    private void handOut(SimNode node, Ready ready) {
        if (ready.snapshotToInstall() != null) {
            SnapshotMetadata snapshot = ready.snapshotToInstall();
            Long chain = snapshotChains.get(snapshot);
            if (chain == null) {
                throw new IllegalStateException(node.id + " installs " + snapshot + ", which no node took");
            }
            node.shadow.reset(snapshot.lastIncludedIndex(), snapshot.lastIncludedTerm(), chain);
            logMatching.observe(node.id, snapshot.lastIncludedIndex(), snapshot.lastIncludedTerm(), chain, tick);
        }
        if (node.leaderSinceReady) {
            leaderAppendOnly.check(node.id, node.leaderTerm, node.shadow.lastIndex(), ready.entries(), tick);
        }
        for (Entry entry : ready.entries()) {
            long chain = node.shadow.put(entry);
            logMatching.observe(node.id, entry.index(), entry.term(), chain, tick);
        }
        if (ready.hardState() != null) {
            noteCommit(node, ready.hardState().term(), ready.hardState().commitIndex());
        }
        if (node.isLeader()) {
            leaderCompleteness.onLeaderLog(node.id, node.term, node.shadow, tick);
        }
        node.leaderSinceReady = node.isLeader();
        node.leaderTerm = node.term;
        for (Message message : ready.messages()) {
            send(message);
        }
        if (!ready.rejectedMessages().isEmpty()) {
            throw new IllegalStateException(node.id + " rejected " + ready.rejectedMessages()
                    + ": the simulator only sends well-addressed messages of one cluster");
        }
    }

    private void noteCommit(SimNode node, long term, long commitIndex) {
        long before = leaderCompleteness.committedMax();
        leaderCompleteness.onCommitKnown(node.id, term, commitIndex, node.shadow, tick);
        if (trace.enabled() && commitIndex > before) {
            trace.event(tick, "commit", "node", node.id, "term", Long.toString(term),
                    "index", (before + 1) + ".." + commitIndex);
        }
    }

    /** The fsync of a Ready completed: it is durable; reply, apply, answer reads, advance. */
    void finish(SimNode node, Ready ready) {
        persist(node, ready);
        for (Message message : ready.messagesAfterPersist()) {
            send(message);
        }
        for (Entry entry : ready.committedEntries()) {
            long chain = node.apply(entry);
            stateMachineSafety.onApply(node.id, entry.index(), entry.term(), chain, tick);
        }
        for (ReadState readState : ready.readStates()) {
            String context = new String(readState.context(), StandardCharsets.UTF_8);
            reads.onReadIndex(node.id, context, readState.readIndex(), tick);
            node.readsWaitingApply.add(readState);
        }
        serveReads(node);
        for (FailedRead failed : ready.failedReads()) {
            reads.onFailed(new String(failed.context(), StandardCharsets.UTF_8));
            if (trace.enabled()) {
                trace.event(tick, "read-fail", "node", node.id, "read", failed.toString());
            }
        }
        node.pending = null;
        node.raft.advance(ready);
        observe(node);
    }

    private void persist(SimNode node, Ready ready) {
        for (SnapshotChunk chunk : ready.snapshotChunks()) {
            node.snapshots.write(chunk);
        }
        SnapshotMetadata snapshot = ready.snapshotToInstall();
        if (snapshot != null) {
            byte[] data = node.snapshots.finishReceiving(snapshot);
            node.disk.installSnapshot(snapshot);
            node.restoreSnapshot(snapshot, data);
            stateMachineSafety.onRestore(node.id, snapshot.lastIncludedIndex(), node.appliedChain, tick);
            if (trace.enabled()) {
                trace.event(tick, "install", "node", node.id, "snapshot", snapshot.lastIncludedTerm()
                        + "/" + snapshot.lastIncludedIndex());
            }
        }
        node.disk.writeEntries(ready.entries());
        if (ready.hardState() != null) {
            node.disk.writeHardState(ready.hardState());
        }
    }

    private void serveReads(SimNode node) {
        for (Iterator<ReadState> it = node.readsWaitingApply.iterator(); it.hasNext(); ) {
            ReadState readState = it.next();
            if (readState.readIndex() <= node.appliedIndex) {
                String context = new String(readState.context(), StandardCharsets.UTF_8);
                reads.onServe(node.id, context, readState.readIndex(), node.appliedIndex, tick);
                if (trace.enabled()) {
                    trace.event(tick, "read-ok", "node", node.id, "context", context,
                            "index", Long.toString(readState.readIndex()), "applied", Long.toString(node.appliedIndex));
                }
                it.remove();
            }
        }
    }
}

package io.confman.raft.sim;

import io.confman.raft.Message;
import io.confman.raft.ProposeResult;
import io.confman.raft.RaftConfig;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.function.Supplier;

/**
 * Runs one seed: seed → fault options → safety phase (faults on, every property checked after
 * every step) → liveness phase (faults healed, a fresh proposal must commit everywhere within a
 * bound). A step is one tick of simulated time: faults and client requests are injected, the
 * messages due are delivered, the fsyncs due complete, and every running node ticks; after each
 * input to a node its Readies are handled and the checkers run.
 *
 * <p>Everything random comes from one {@link SplittableRandom} split per consumer, and all
 * collections that are iterated are lists or queues with a total order, so a seed always gives
 * the same run, byte for byte.
 */
public final class Simulator {

    /** The outcome of one seed. {@code violation} is null when every property held. */
    public record Result(long seed, SimOptions options, long ticks, long delivered, int elections,
                         long commits, SafetyViolation violation, long violationTick) {
        public boolean ok() {
            return violation == null;
        }
    }

    private final long seed;
    private final SimOptions options;
    private final int safetyTicks;
    private final SimTrace trace;
    private final SplittableRandom faults;
    private final SplittableRandom fsyncs;
    private final SimNetwork network;
    private final List<SimNode> nodes = new ArrayList<>();

    private final SimRuntime runtime;
    private final ReplayTrace replay;

    private long tick;
    private long delivered;
    private long requestSequence;

    public Simulator(long seed, int nodeCount, int safetyTicks, NodeFactory factory,
                     Supplier<SimDisk> disks, SimTrace trace) {
        this(seed, SimOptions.random(new SplittableRandom(seed).split(), nodeCount), safetyTicks,
                factory, disks, trace);
    }

    /** Runs {@code seed} under fixed options instead of those the seed would draw. */
    public Simulator(long seed, SimOptions options, int safetyTicks, NodeFactory factory,
                     Supplier<SimDisk> disks, SimTrace trace) {
        SplittableRandom root = new SplittableRandom(seed);
        root.split(); // The options' stream, drawn or not, so that the other streams stay the same.
        this.seed = seed;
        this.options = options;
        this.safetyTicks = safetyTicks;
        this.trace = trace;
        this.faults = root.split();
        this.fsyncs = root.split();
        this.network = new SimNetwork(root.split(), options);
        this.runtime = new SimRuntime(options, factory, network, fsyncs, trace);
        List<String> members = new ArrayList<>();
        for (int i = 0; i < options.nodeCount(); i++) {
            members.add(SimNode.idOf(i));
        }
        for (String id : members) {
            nodes.add(new SimNode(configFor(id, members), disks.get(), root.split()));
        }
        this.replay = new ReplayTrace(trace, nodes, runtime);
    }

    public SimOptions options() {
        return options;
    }

    /** The simulated servers, as the run left them. */
    List<SimNode> nodes() {
        return List.copyOf(nodes);
    }

    public Result run() {
        trace.startSeed(seed);
        if (trace.enabled()) {
            trace.event(0, "options", "options", options.describe());
        }
        try {
            for (SimNode node : nodes) {
                runtime.restart(node);
            }
            safetyPhase();
            livenessPhase();
            endTick(true, true);
            return result(null);
        } catch (SafetyViolation violation) {
            endTick(false, true);
            traceViolation(violation);
            return result(violation);
        } catch (RuntimeException coreAssertion) {
            // The core (or the runtime contract it checks) threw on an impossible state: that is
            // a failure of the run, reported with the seed like any violated property.
            SafetyViolation violation = new SafetyViolation("Core assertion", coreAssertion
                    + " at " + coreAssertion.getStackTrace()[0]);
            violation.initCause(coreAssertion);
            endTick(false, false);
            traceViolation(violation);
            return result(violation);
        }
    }

    private RaftConfig configFor(String id, List<String> members) {
        return RaftConfig.defaults(id, members)
                .withTiming(options.heartbeatIntervalTicks(), options.electionTimeoutTicks(),
                        3 * options.electionTimeoutTicks(), options.electionTimeoutTicks() / 2)
                .withElectionOptions(options.preVote(), options.checkQuorum())
                .withFlowControl(options.inflightMessagesMax(), 4096, options.appendEntriesBytesMax(),
                        options.snapshotChunkBytesMax());
    }

    private Result result(SafetyViolation violation) {
        return new Result(seed, options, tick, delivered, runtime.electionSafety.elections(),
                runtime.leaderCompleteness.committedMax(), violation, tick);
    }

    private void traceViolation(SafetyViolation violation) {
        if (trace.enabled()) {
            trace.event(tick, "violation", "property", violation.property(), "evidence", violation.getMessage());
        }
    }

    // ---------------------------------------------------------------- phases

    private void safetyPhase() {
        for (int i = 0; i < safetyTicks; i++) {
            step(true);
        }
        if (trace.enabled()) {
            trace.event(tick, "check", "property", "safety", "result", "Election Safety, Leader Append-Only,"
                    + " Log Matching, Leader Completeness, State Machine Safety and linearizable reads"
                    + " held after every step of " + safetyTicks + " ticks");
        }
    }

    private void livenessPhase() {
        network.healAndCalm();
        if (trace.enabled()) {
            trace.event(tick, "heal", "detail", "links restored, no loss, every node restarted");
        }
        for (SimNode node : nodes) {
            if (!node.isUp()) {
                runtime.restart(node);
            }
        }
        long boundTicks = LivenessChecker.boundTicks(options, lagEntries());
        LivenessChecker liveness = new LivenessChecker(("live-" + seed).getBytes(StandardCharsets.UTF_8));
        for (long i = 0; i < boundTicks; i++) {
            step(false);
            if (liveness.done(nodes, runtime.stateMachineSafety)) {
                if (trace.enabled()) {
                    trace.event(tick, "check", "property", LivenessChecker.PROPERTY, "result",
                            "held after " + (i + 1) + " of " + boundTicks + " ticks");
                }
                return;
            }
            proposeForLiveness(liveness);
        }
        throw new SafetyViolation(LivenessChecker.PROPERTY, liveness.evidence(nodes, boundTicks));
    }

    /** How far the most lagging node's state machine is behind the longest log. */
    private long lagEntries() {
        long longest = 0;
        long leastApplied = Long.MAX_VALUE;
        for (SimNode node : nodes) {
            longest = Math.max(longest, node.shadow.lastIndex());
            leastApplied = Math.min(leastApplied, node.appliedIndex);
        }
        return longest - leastApplied;
    }

    private void proposeForLiveness(LivenessChecker liveness) {
        if (liveness.hasProposal()) {
            return;
        }
        for (SimNode node : nodes) {
            if (node.isLeader()) {
                ProposeResult result = node.raft.propose(liveness.command());
                if (result instanceof ProposeResult.Accepted accepted) {
                    liveness.proposed(accepted.index(), accepted.term());
                }
                runtime.afterInput(node);
                return;
            }
        }
    }

    private void step(boolean withFaults) {
        endTick(true, true);
        tick++;
        runtime.setTick(tick);
        if (withFaults) {
            injectFaults();
        }
        restartDue();
        if (withFaults) {
            clientRequests();
        }
        deliverDue();
        completeFsyncsDue();
        for (SimNode node : nodes) {
            if (node.isUp()) {
                node.raft.tick();
                runtime.afterInput(node);
            }
        }
        if (trace.enabled()) {
            trace.event(tick, "tick", "nodes", roles());
        }
    }

    /**
     * Writes the node states and the checks of the tick ending now, for a replay. Called when the
     * next step begins rather than at the end of this one, because the liveness phase restarts
     * the crashed nodes in the tick the safety phase ended, and a replay shows them there.
     */
    private void endTick(boolean ok, boolean withStates) {
        if (trace.replayEnabled()) {
            replay.endTick(tick, ok, withStates);
        }
    }

    /** "n1=L3 n2=F3 n3=down": each node's role initial and term, for the trace. */
    private String roles() {
        StringBuilder text = new StringBuilder();
        for (SimNode node : nodes) {
            text.append(text.isEmpty() ? "" : " ").append(node.id).append('=');
            if (node.isUp()) {
                text.append(node.role.name().charAt(0)).append(node.term).append("@").append(node.appliedIndex);
            } else {
                text.append("down");
            }
        }
        return text.toString();
    }

    // ---------------------------------------------------------------- faults

    private boolean chance(int perMille) {
        return perMille > 0 && faults.nextInt(1000) < perMille;
    }

    private void injectFaults() {
        if (chance(options.partitionPerMille())) {
            changeLinks();
        }
        if (chance(options.crashPerMille())) {
            crashOne();
        }
        for (SimNode node : nodes) {
            if (chance(options.snapshotPerMille())) {
                runtime.takeSnapshot(node, faults);
            }
        }
    }

    private void changeLinks() {
        int n = nodes.size();
        switch (faults.nextInt(4)) {
            case 0 -> {
                network.heal();
                traceLinks("heal");
            }
            case 1 -> {
                boolean[] side = new boolean[n];
                for (int i = 0; i < n; i++) {
                    side[i] = faults.nextBoolean();
                }
                network.partition(side);
                traceLinks("partition " + sides(side));
            }
            case 2 -> {
                SimNode victim = pickVictim();
                boolean[] side = new boolean[n];
                side[victim != null ? SimNode.number(victim.id) : faults.nextInt(n)] = true;
                network.partition(side);
                traceLinks("isolate " + sides(side));
            }
            default -> {
                int from = faults.nextInt(n);
                int to = (from + 1 + faults.nextInt(n - 1)) % n;
                network.cutOneWay(from, to);
                traceLinks("cut " + SimNode.idOf(from) + "->" + SimNode.idOf(to));
            }
        }
    }

    /** "n1,n3 | n2": the two sides of a partition, for the trace. */
    private static String sides(boolean[] side) {
        List<String> a = new ArrayList<>();
        List<String> b = new ArrayList<>();
        for (int i = 0; i < side.length; i++) {
            (side[i] ? a : b).add(SimNode.idOf(i));
        }
        return String.join(",", a) + " | " + String.join(",", b);
    }

    private void traceLinks(String detail) {
        if (trace.enabled()) {
            trace.event(tick, "links", "detail", detail);
        }
    }

    /**
     * Half the faults aim at a leader: leader changes are where Raft's subtle cases live
     * (Figure 8 needs a leader to fail right after replicating to a majority).
     */
    private SimNode pickVictim() {
        List<SimNode> up = upNodes();
        if (up.isEmpty()) {
            return null;
        }
        if (faults.nextBoolean()) {
            for (SimNode node : up) {
                if (node.isLeader()) {
                    return node;
                }
            }
        }
        return up.get(faults.nextInt(up.size()));
    }

    private void crashOne() {
        SimNode node = pickVictim();
        if (node == null) {
            return;
        }
        node.crash();
        node.restartTick = tick + 1 + faults.nextInt(options.downTicksMax());
        if (trace.enabled()) {
            trace.event(tick, "crash", "node", node.id, "restart", Long.toString(node.restartTick),
                    "durable", node.disk.hardState() + " log=" + node.disk.firstIndex() + ".." + node.disk.lastIndex());
        }
    }

    private void restartDue() {
        for (SimNode node : nodes) {
            if (!node.isUp() && node.restartTick <= tick) {
                runtime.restart(node);
            }
        }
    }

    // ---------------------------------------------------------------- clients

    private void clientRequests() {
        if (chance(options.proposalPerMille())) {
            propose();
        }
        if (chance(options.readPerMille())) {
            read();
        }
        if (chance(options.transferPerMille())) {
            transfer();
        }
    }

    /** A client usually finds the leader, and sometimes asks another node. */
    private SimNode pickTarget() {
        List<SimNode> up = upNodes();
        if (up.isEmpty()) {
            return null;
        }
        List<SimNode> leaders = new ArrayList<>();
        for (SimNode node : up) {
            if (node.isLeader()) {
                leaders.add(node);
            }
        }
        if (!leaders.isEmpty() && faults.nextInt(10) < 8) {
            return leaders.get(faults.nextInt(leaders.size()));
        }
        return up.get(faults.nextInt(up.size()));
    }

    private void propose() {
        SimNode node = pickTarget();
        if (node == null) {
            return;
        }
        String command = "c" + (++requestSequence);
        ProposeResult result = node.raft.propose(command.getBytes(StandardCharsets.UTF_8));
        if (trace.enabled() && result instanceof ProposeResult.Accepted accepted) {
            trace.event(tick, "propose", "node", node.id, "command", command,
                    "at", accepted.term() + "/" + accepted.index());
        }
        runtime.afterInput(node);
    }

    private void read() {
        SimNode node = pickTarget();
        if (node == null) {
            return;
        }
        String context = "r" + (++requestSequence);
        runtime.reads.onIssue(context, runtime.leaderCompleteness.committedMax());
        if (trace.enabled()) {
            trace.event(tick, "read", "node", node.id, "context", context,
                    "committed", Long.toString(runtime.leaderCompleteness.committedMax()));
        }
        node.raft.readIndex(context.getBytes(StandardCharsets.UTF_8));
        runtime.afterInput(node);
    }

    private void transfer() {
        SimNode node = pickTarget();
        if (node == null || !node.isLeader()) {
            return;
        }
        String target = SimNode.idOf(faults.nextInt(nodes.size()));
        if (trace.enabled()) {
            trace.event(tick, "transfer", "node", node.id, "to", target);
        }
        node.raft.transferLeadership(target);
        runtime.afterInput(node);
    }

    // ---------------------------------------------------------------- network and disk

    private void deliverDue() {
        for (SimNetwork.InFlight inFlight : network.takeDue(tick)) {
            Message message = inFlight.message();
            SimNode to = nodes.get(SimNode.number(message.to()));
            if (!to.isUp() || network.isBlocked(message)) {
                if (trace.enabled()) {
                    Messages.trace(trace, tick, "drop", message, to.isUp() ? "link cut" : "receiver down");
                }
                continue;
            }
            delivered++;
            if (trace.enabled()) {
                Messages.trace(trace, tick, "deliver", message, null);
            }
            to.raft.step(message);
            runtime.afterInput(to);
        }
    }

    private void completeFsyncsDue() {
        for (SimNode node : nodes) {
            if (node.isUp() && node.pending != null && node.fsyncTick <= tick) {
                runtime.finish(node, node.pending);
                runtime.pump(node);
            }
        }
    }

    private List<SimNode> upNodes() {
        List<SimNode> up = new ArrayList<>();
        for (SimNode node : nodes) {
            if (node.isUp()) {
                up.add(node);
            }
        }
        return up;
    }
}

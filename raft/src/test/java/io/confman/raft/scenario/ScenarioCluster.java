package io.confman.raft.scenario;

import io.confman.raft.Entry;
import io.confman.raft.Message;
import io.confman.raft.ProposeResult;
import io.confman.raft.RaftConfig;
import io.confman.raft.RaftNode;
import io.confman.raft.Ready;
import io.confman.raft.SnapshotChunk;
import io.confman.raft.SnapshotMetadata;
import io.confman.raft.Status;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.Function;
import java.util.stream.Collectors;

/**
 * The world of a scenario: nodes, a network that holds messages until the script delivers
 * them, partitions and crashes. Each command of the script has one handler here.
 */
final class ScenarioCluster {

    private final Map<String, ScenarioNode> nodes = new TreeMap<>();
    private final List<Message> network = new ArrayList<>();
    /** Node id to partition group; nodes in different groups cannot talk. Empty when healed. */
    private final Map<String, Integer> groups = new HashMap<>();
    private StringBuilder out = new StringBuilder();

    String run(String commandLine) {
        out = new StringBuilder();
        List<String> words = Arrays.asList(commandLine.split("\\s+"));
        try {
            dispatch(words.get(0), words.subList(1, words.size()));
        } catch (RuntimeException e) {
            // Shown in the output, so that a script can expect a refusal, and an unexpected
            // failure shows up in the diff with everything printed before it.
            out.append("error: ").append(e.getMessage()).append("\n");
        }
        String text = out.toString().stripTrailing();
        return text.isEmpty() ? "ok" : text;
    }

    private void dispatch(String command, List<String> args) {
        switch (command) {
            case "add-nodes" -> addNodes(args);
            case "add-stranger" -> addStranger(args);
            case "campaign" -> node(args.get(0)).campaign();
            case "tick" -> tick(args);
            case "jitter" -> nodes.get(args.get(0)).jitter.extraTicks = Integer.parseInt(args.get(1));
            case "propose" -> propose(args);
            case "read" -> node(args.get(0)).readIndex(args.get(1).getBytes(StandardCharsets.UTF_8));
            case "transfer" -> node(args.get(0)).transferLeadership(args.get(1));
            case "process" -> args.forEach(this::process);
            case "deliver" -> deliver(args);
            case "drop" -> drop(args);
            case "partition" -> partition(args);
            case "heal" -> groups.clear();
            case "crash" -> crash(args.get(0));
            case "restart" -> nodes.get(args.get(0)).start();
            case "compact" -> compact(args.get(0));
            case "stabilize" -> stabilize();
            case "status" -> args.forEach(this::status);
            case "log" -> args.forEach(this::printLog);
            default -> throw new IllegalArgumentException("unknown command: " + command);
        }
    }

    // ---------------------------------------------------------------- commands

    /** add-nodes N [prevote=B] [checkquorum=B] [election=T] [heartbeat=T] [append-bytes=N] [chunk=N] [bug=NAME] */
    private void addNodes(List<String> args) {
        int count = Integer.parseInt(args.get(0));
        Map<String, String> options = options(args.subList(1, args.size()));
        List<String> members = new ArrayList<>();
        for (int i = 1; i <= count; i++) {
            members.add("s" + i);
        }
        for (String id : members) {
            RaftConfig config = configure(RaftConfig.defaults(id, members), options);
            nodes.put(id, new ScenarioNode(config, factory(options.getOrDefault("bug", "none"))));
        }
    }

    /** add-stranger ID members=A,B,C: a node started with another member list. */
    private void addStranger(List<String> args) {
        Map<String, String> options = options(args.subList(1, args.size()));
        List<String> members = List.of(options.get("members").split(","));
        RaftConfig config = RaftConfig.defaults(args.get(0), members);
        nodes.put(args.get(0), new ScenarioNode(config, factory("none")));
    }

    private static RaftConfig configure(RaftConfig config, Map<String, String> options) {
        RaftConfig c = config.withElectionOptions(
                Boolean.parseBoolean(options.getOrDefault("prevote", "true")),
                Boolean.parseBoolean(options.getOrDefault("checkquorum", "true")));
        int election = Integer.parseInt(options.getOrDefault("election", "10"));
        c = c.withTiming(Integer.parseInt(options.getOrDefault("heartbeat", "1")), election,
                3 * election, Math.max(1, election / 2));
        return c.withFlowControl(Integer.parseInt(options.getOrDefault("inflight", "256")), 8L << 20,
                Long.parseLong(options.getOrDefault("append-bytes", String.valueOf(1 << 20))),
                Integer.parseInt(options.getOrDefault("chunk", String.valueOf(64 << 10))));
    }

    private static Function<ScenarioNode, RaftNode> factory(String bug) {
        return switch (bug) {
            case "none" -> n -> new RaftNode(n.config, n.storage, n.snapshots, n.jitter);
            case "commit-old-term" -> n -> new PlantedBugs.CommitsOldTerms(n.config, n.storage, n.snapshots, n.jitter);
            default -> throw new IllegalArgumentException("unknown bug " + bug);
        };
    }

    /** tick ID [N] | tick all [N] */
    private void tick(List<String> args) {
        int count = args.size() > 1 ? Integer.parseInt(args.get(1)) : 1;
        List<String> targets = args.get(0).equals("all") ? upNodes() : List.of(args.get(0));
        for (int i = 0; i < count; i++) {
            for (String id : targets) {
                observe(id, () -> node(id).tick());
            }
        }
    }

    private void propose(List<String> args) {
        ProposeResult result = node(args.get(0)).propose(args.get(1).getBytes(StandardCharsets.UTF_8));
        if (result instanceof ProposeResult.Accepted accepted) {
            out.append("accepted at ").append(accepted.term()).append("/").append(accepted.index()).append("\n");
        } else if (result instanceof ProposeResult.Rejected rejected) {
            out.append("rejected: ").append(rejected.reason()).append(" (leader hint ")
                    .append(rejected.leaderHint()).append(")\n");
        }
    }

    private void crash(String id) {
        nodes.get(id).crash();
    }

    /** compact ID: the node snapshots its state machine at its applied index and compacts its log. */
    private void compact(String id) {
        ScenarioNode n = nodes.get(id);
        long index = n.raft.status().appliedIndex();
        byte[] data = n.encode();
        SnapshotMetadata snapshot = new SnapshotMetadata(index, n.storage.term(index), data.length);
        n.snapshots.put(snapshot, data);
        n.storage.compact(snapshot);
        out.append(id).append(" compacted through ").append(Printer.snapshot(snapshot)).append("\n");
    }

    /** partition A B | C D E: messages between groups are dropped on delivery. */
    private void partition(List<String> args) {
        groups.clear();
        int group = 0;
        for (String word : args) {
            if (word.equals("|")) {
                group++;
            } else {
                groups.put(word, group);
            }
        }
    }

    /** drop [from=ID] [to=ID] [type=Name]: removes matching messages from the network. */
    private void drop(List<String> args) {
        Map<String, String> options = options(args);
        for (Iterator<Message> it = network.iterator(); it.hasNext(); ) {
            Message m = it.next();
            if (matches(m, options)) {
                out.append("dropped ").append(Printer.message(m)).append("\n");
                it.remove();
            }
        }
    }

    private static boolean matches(Message m, Map<String, String> options) {
        return options.getOrDefault("from", m.from()).equals(m.from())
                && options.getOrDefault("to", m.to()).equals(m.to())
                && options.getOrDefault("type", m.getClass().getSimpleName()).equals(m.getClass().getSimpleName());
    }

    // ---------------------------------------------------------------- the machinery

    private void stabilize() {
        for (int round = 0; round < 200; round++) {
            boolean progressed = false;
            for (String id : upNodes()) {
                if (nodes.get(id).raft.hasReady()) {
                    process(id);
                    progressed = true;
                }
            }
            if (!network.isEmpty()) {
                deliver(List.of());
                progressed = true;
            }
            if (!progressed) {
                return;
            }
        }
        throw new IllegalStateException("stabilize did not settle in 200 rounds");
    }

    /** Handles one Ready as a runtime would: persist, send, apply, advance. */
    private void process(String id) {
        ScenarioNode n = nodes.get(id);
        if (!n.isUp() || !n.raft.hasReady()) {
            return;
        }
        Ready ready = n.raft.ready();
        out.append("> ").append(id).append(" ready\n");
        for (SnapshotChunk chunk : ready.snapshotChunks()) {
            n.snapshots.write(chunk);
            line("write chunk offset=" + chunk.offset() + " bytes=" + chunk.data().length + (chunk.last() ? " last" : ""));
        }
        if (ready.snapshotToInstall() != null) {
            n.applied = ScenarioNode.decode(n.snapshots.finishReceiving(ready.snapshotToInstall()));
            line("install snapshot " + Printer.snapshot(ready.snapshotToInstall()) + " state=" + n.applied);
        }
        if (ready.hardState() != null) {
            line("persist term=" + ready.hardState().term() + " vote=" + ready.hardState().votedFor()
                    + " commit=" + ready.hardState().commitIndex());
        }
        if (!ready.entries().isEmpty()) {
            line("persist entries " + Printer.entries(ready.entries()));
        }
        n.storage.persist(ready);
        ready.messages().forEach(m -> sendFrom("send ", m));
        ready.messagesAfterPersist().forEach(m -> sendFrom("send after persist ", m));
        for (Entry entry : ready.committedEntries()) {
            n.apply(entry);
            line("apply " + Printer.entry(entry));
        }
        ready.readStates().forEach(r -> line("read " + new String(r.context(), StandardCharsets.UTF_8)
                + " safe at index " + r.readIndex()));
        ready.failedReads().forEach(r -> line("read " + new String(r.context(), StandardCharsets.UTF_8)
                + " failed: " + r.reason()));
        ready.rejectedMessages().forEach(r -> line("rejected " + Printer.message(r.message()) + ": " + r.reason()));
        n.raft.advance(ready);
    }

    private void sendFrom(String label, Message m) {
        line(label + Printer.message(m));
        network.add(m);
    }

    /** deliver [ID...]: delivers every message now in the network (to those nodes only, if named). */
    private void deliver(List<String> targets) {
        List<Message> batch = new ArrayList<>();
        for (Iterator<Message> it = network.iterator(); it.hasNext(); ) {
            Message m = it.next();
            if (targets.isEmpty() || targets.contains(m.to())) {
                batch.add(m);
                it.remove();
            }
        }
        if (!batch.isEmpty()) {
            out.append("> deliver\n");
        }
        for (Message m : batch) {
            String why = undeliverable(m);
            if (why != null) {
                line("drop " + Printer.message(m) + " (" + why + ")");
                continue;
            }
            long receiverTerm = node(m.to()).status().term();
            line(Printer.message(m) + (m.term() < receiverTerm ? " (stale: " + m.to() + " is at term "
                    + receiverTerm + ")" : ""));
            observe(m.to(), () -> node(m.to()).step(m));
        }
    }

    private String undeliverable(Message m) {
        ScenarioNode to = nodes.get(m.to());
        if (to == null || !to.isUp()) {
            return m.to() + " is down";
        }
        if (!groups.isEmpty() && !groups.getOrDefault(m.from(), -1).equals(groups.getOrDefault(m.to(), -2))) {
            return "partitioned";
        }
        return null;
    }

    /** Runs an input and prints the node's role change, if any. */
    private void observe(String id, Runnable input) {
        Status before = node(id).status();
        try {
            input.run();
        } catch (IllegalStateException violated) {
            // The core crashes loudly on an impossible state; the scenario shows it and the
            // node stays down, as a runtime would stop the process.
            line("  " + id + " PANIC: " + violated.getMessage());
            nodes.get(id).crash();
            return;
        }
        Status after = node(id).status();
        if (before.role() != after.role() || before.term() != after.term()
                || !java.util.Objects.equals(before.leaderId(), after.leaderId())) {
            line("  " + id + " is " + after.role() + " at term " + after.term()
                    + (after.leaderId() == null ? "" : ", leader " + after.leaderId()));
        }
    }

    private void status(String id) {
        ScenarioNode n = nodes.get(id);
        if (!n.isUp()) {
            out.append(id).append(" is down\n");
            return;
        }
        Status s = n.raft.status();
        out.append(id).append(" ").append(s.role()).append(" term=").append(s.term())
                .append(" vote=").append(s.votedFor()).append(" leader=").append(s.leaderId())
                .append(" commit=").append(s.commitIndex()).append(" applied=").append(s.appliedIndex())
                .append(" last=").append(s.lastIndex())
                .append(s.rejectedMessageCount() > 0 ? " rejected=" + s.rejectedMessageCount() : "")
                .append(s.transferee() != null ? " transferee=" + s.transferee() : "").append("\n");
        s.progress().forEach((peer, p) -> line(peer + " match=" + p.matchIndex() + " next=" + p.nextIndex()
                + " " + p.state() + (p.inflightMessages() > 0 ? " inflight=" + p.inflightMessages() : "")));
    }

    /** log ID: the durable log (entries not yet handed to storage are not shown) and the state machine. */
    private void printLog(String id) {
        ScenarioNode n = nodes.get(id);
        long first = n.storage.firstIndex();
        long last = n.storage.lastIndex();
        List<Entry> entries = last >= first ? n.storage.entries(first, last + 1, Long.MAX_VALUE) : List.of();
        String snapshot = n.storage.snapshot().lastIncludedIndex() == 0 ? ""
                : "snapshot " + Printer.snapshot(n.storage.snapshot()) + " ";
        out.append(id).append(" log: ").append(snapshot).append(Printer.entries(entries))
                .append(" commit=").append(n.storage.hardState().commitIndex())
                .append(n.isUp() ? " state=" + n.applied : " (down)").append("\n");
    }

    // ---------------------------------------------------------------- helpers

    private RaftNode node(String id) {
        ScenarioNode n = nodes.get(id);
        if (n == null || !n.isUp()) {
            throw new IllegalArgumentException(id + " is not running");
        }
        return n.raft;
    }

    private List<String> upNodes() {
        return nodes.values().stream().filter(ScenarioNode::isUp).map(n -> n.id).collect(Collectors.toList());
    }

    private void line(String text) {
        out.append("  ").append(text).append("\n");
    }

    private static Map<String, String> options(List<String> args) {
        Map<String, String> options = new HashMap<>();
        for (String arg : args) {
            int eq = arg.indexOf('=');
            if (eq < 0) {
                throw new IllegalArgumentException("expected key=value, got " + arg);
            }
            options.put(arg.substring(0, eq), arg.substring(eq + 1));
        }
        return options;
    }
}

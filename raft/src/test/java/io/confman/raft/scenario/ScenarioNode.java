package io.confman.raft.scenario;

import io.confman.raft.Entry;
import io.confman.raft.MemoryLogStorage;
import io.confman.raft.MemorySnapshotStore;
import io.confman.raft.RaftConfig;
import io.confman.raft.RaftNode;
import io.confman.raft.SnapshotMetadata;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.function.Function;
import java.util.random.RandomGenerator;

/**
 * One node of a scenario: its durable storage (which outlives a crash), its state machine
 * (a list of applied commands) and, while it runs, its {@link RaftNode}.
 */
final class ScenarioNode {

    /** The election-timeout randomness, set by the script so that timeouts are readable. */
    static final class ScriptedJitter implements RandomGenerator {
        int extraTicks;

        @Override
        public long nextLong() {
            return 0;
        }

        @Override
        public int nextInt(int bound) {
            return Math.min(extraTicks, bound - 1);
        }
    }

    final String id;
    final RaftConfig config;
    final MemoryLogStorage storage = new MemoryLogStorage();
    final MemorySnapshotStore snapshots = new MemorySnapshotStore();
    final ScriptedJitter jitter = new ScriptedJitter();
    private final Function<ScenarioNode, RaftNode> factory;
    /** The state machine: every applied command, in order. */
    List<String> applied = new ArrayList<>();
    RaftNode raft;

    ScenarioNode(RaftConfig config, Function<ScenarioNode, RaftNode> factory) {
        this.id = config.id();
        this.config = config;
        this.factory = factory;
        start();
    }

    boolean isUp() {
        return raft != null;
    }

    void crash() {
        raft = null;
        applied = new ArrayList<>();
    }

    /** Starts (or restarts) from what storage holds, restoring the state machine from its snapshot. */
    void start() {
        SnapshotMetadata snapshot = storage.snapshot();
        applied = snapshot.lastIncludedIndex() == 0 ? new ArrayList<>() : decode(snapshots.get(snapshot));
        raft = factory.apply(this);
    }

    void apply(Entry entry) {
        if (entry.type() == Entry.Type.NORMAL) {
            applied.add(new String(entry.data(), StandardCharsets.UTF_8));
        }
    }

    byte[] encode() {
        return String.join(",", applied).getBytes(StandardCharsets.UTF_8);
    }

    static List<String> decode(byte[] data) {
        String text = new String(data, StandardCharsets.UTF_8);
        return text.isEmpty() ? new ArrayList<>() : new ArrayList<>(Arrays.asList(text.split(",")));
    }
}

package io.confman.raft.scenario;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import io.confman.raft.Entry;
import io.confman.raft.MemoryLogStorage;
import io.confman.raft.MemorySnapshotStore;
import io.confman.raft.Message;
import io.confman.raft.RaftConfig;
import io.confman.raft.RaftNode;
import io.confman.raft.Ready;
import io.confman.raft.Role;
import io.confman.raft.SnapshotChunk;
import io.confman.raft.SnapshotMetadata;
import io.confman.raft.Status;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.random.RandomGenerator;
import java.util.stream.LongStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * A seeded smoke check of the core under random delivery, loss, duplication, reordering,
 * partitions, crashes, compaction and leadership transfers: after every step, no two leaders share a term and every pair of
 * state machines agrees on a common prefix. At the end the network heals and the cluster
 * must commit a new command. Not the simulator (which lives elsewhere); a quick net under
 * the scenario scripts. A failure names the seed, which replays it exactly.
 */
class SafetySmokeTest {

    private static final int STEPS = 4000;

    /** Seeds 1..12 by default; {@code -Dsmoke.seeds=N} runs seeds 1..N. */
    static LongStream seeds() {
        return LongStream.rangeClosed(1, Long.getLong("smoke.seeds", 12));
    }

    @ParameterizedTest(name = "seed {0}")
    @MethodSource("seeds")
    void safeUnderFaults(long seed) {
        new Run(seed, seed % 2 == 0 ? 3 : 5).go();
    }

    /** The core has no hidden randomness or clock: the same seed gives the same history. */
    @Test
    void theSameSeedReplaysExactly() {
        Run first = new Run(7, 5);
        first.go();
        Run second = new Run(7, 5);
        second.go();
        assertEquals(first.leaderOfTerm, second.leaderOfTerm);
        for (String id : first.ids) {
            MemoryLogStorage a = first.nodes.get(id).storage;
            MemoryLogStorage b = second.nodes.get(id).storage;
            assertEquals(a.hardState(), b.hardState());
            assertEquals(a.snapshot(), b.snapshot());
            assertEquals(a.lastIndex(), b.lastIndex());
            if (a.lastIndex() >= a.firstIndex()) {
                assertEquals(a.entries(a.firstIndex(), a.lastIndex() + 1, Long.MAX_VALUE),
                        b.entries(b.firstIndex(), b.lastIndex() + 1, Long.MAX_VALUE));
            }
        }
    }

    /** How a run builds its nodes; a planted bug is a subclass of RaftNode. */
    interface NodeFactory {
        RaftNode create(RaftConfig config, MemoryLogStorage storage, MemorySnapshotStore snapshots, RandomGenerator random);
    }

    /**
     * The check is worth something only if it fails when a rule is broken: with votes granted
     * without the log check, or twice in a term, some early seed must fail.
     */
    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"votes without the log check", "votes twice in a term", "replies before persisting"})
    void catchesPlantedBugs(String bug) {
        NodeFactory factory = bug.contains("log") ? PlantedBugs.VotesWithoutLogCheck::new
                : bug.contains("twice") ? PlantedBugs.VotesTwice::new
                : PlantedBugs.RepliesBeforePersisting::new;
        for (long seed = 1; seed <= 40; seed++) {
            try {
                new Run(seed, 5, factory).go();
            } catch (AssertionError | IllegalStateException caught) {
                return; // A checker, or an invariant inside the core, noticed.
            }
        }
        fail("no seed in 1..40 caught the planted bug: " + bug);
    }

    private static final class Run {
        final long seed;
        final SplittableRandom random;
        final Map<String, ScenarioNode> nodes = new HashMap<>();
        final List<String> ids = new ArrayList<>();
        final List<Message> network = new ArrayList<>();
        final Map<Long, String> leaderOfTerm = new HashMap<>();
        final Map<String, Integer> group = new HashMap<>();
        /** Readies taken but not yet written, by node. */
        final Map<String, Ready> unwritten = new HashMap<>();
        int proposals;

        Run(long seed, int size) {
            this(seed, size, RaftNode::new);
        }

        Run(long seed, int size, NodeFactory factory) {
            this.seed = seed;
            this.random = new SplittableRandom(seed);
            for (int i = 1; i <= size; i++) {
                ids.add("n" + i);
            }
            for (String id : ids) {
                boolean extensions = seed % 3 != 0; // every third seed runs plain Raft
                RaftConfig config = RaftConfig.defaults(id, ids).withFlowControl(4, 1 << 20, 64, 16)
                        .withElectionOptions(extensions, extensions);
                long nodeSeed = seed * 31 + id.hashCode();
                nodes.put(id, new ScenarioNode(config,
                        n -> factory.create(n.config, n.storage, n.snapshots, new SplittableRandom(nodeSeed))));
            }
        }

        void go() {
            for (int step = 0; step < STEPS; step++) {
                faultyStep();
                check(step);
            }
            group.clear();
            ids.forEach(id -> {
                if (!nodes.get(id).isUp()) {
                    nodes.get(id).start();
                }
            });
            long committedBefore = maxCommit();
            for (int step = 0; step < 500 && maxCommit() <= committedBefore + 1; step++) {
                calmStep(step, true);
                check(STEPS + step);
            }
            assertTrue(maxCommit() > committedBefore + 1, () -> "seed " + seed + ": no progress after healing: "
                    + ids.stream().map(id -> nodes.get(id).raft.status().toString()).toList());
            // Without new commands, every node must catch up, by entries or by snapshot.
            for (int step = 0; step < 500 && !allCaughtUp(); step++) {
                calmStep(step, false);
                check(STEPS + step);
            }
            assertTrue(allCaughtUp(), () -> "seed " + seed + ": followers did not catch up: "
                    + ids.stream().map(id -> nodes.get(id).raft.status().toString()).toList());
        }

        boolean allCaughtUp() {
            long commit = maxCommit();
            return ids.stream().map(nodes::get)
                    .allMatch(n -> n.raft.status().appliedIndex() == commit && n.raft.status().commitIndex() == commit);
        }

        /** One random step; rates in per mille. Faults are rare and repairs common. */
        void faultyStep() {
            int dice = random.nextInt(1000);
            ScenarioNode n = nodes.get(ids.get(random.nextInt(ids.size())));
            if (dice < 350) {
                deliverOne(random.nextInt(8) == 0);
            } else if (dice < 600) {
                process(n);
            } else if (dice < 750) {
                if (n.isUp()) {
                    n.raft.tick();
                }
            } else if (dice < 850) {
                propose();
            } else if (dice < 880) {
                if (!network.isEmpty()) {
                    network.remove(random.nextInt(network.size()));
                }
            } else if (dice < 885) {
                n.crash();
                unwritten.remove(n.id);
            } else if (dice < 915) {
                if (!n.isUp()) {
                    n.start();
                }
            } else if (dice < 920) {
                ids.forEach(id -> group.put(id, random.nextInt(2)));
            } else if (dice < 950) {
                group.clear();
            } else if (dice < 970) {
                compact(n);
            } else if (dice < 980) {
                if (!network.isEmpty()) {
                    network.add(network.get(random.nextInt(network.size()))); // a duplicate
                }
            } else if (dice < 985) {
                if (n.isUp()) {
                    n.raft.transferLeadership(ids.get(random.nextInt(ids.size())));
                }
            } else if (n.isUp()) {
                n.raft.readIndex(("r" + dice).getBytes(StandardCharsets.UTF_8));
            }
        }

        /** A healthy network: everything is delivered, every node handles its Ready. */
        void calmStep(int step, boolean proposing) {
            List<Message> batch = new ArrayList<>(network);
            network.clear();
            for (Message m : batch) {
                nodes.get(m.to()).raft.step(m);
            }
            ids.forEach(id -> process(nodes.get(id)));
            ids.forEach(id -> process(nodes.get(id)));
            if (step % 5 == 0) {
                ids.forEach(id -> nodes.get(id).raft.tick());
            }
            if (proposing && step % 3 == 0) {
                propose();
            }
        }

        void propose() {
            for (String id : ids) {
                ScenarioNode n = nodes.get(id);
                if (n.isUp() && n.raft.status().role() == Role.LEADER) {
                    n.raft.propose(("c" + proposals++).getBytes(StandardCharsets.UTF_8));
                    return;
                }
            }
        }

        void deliverOne(boolean reorder) {
            if (network.isEmpty()) {
                return;
            }
            Message m = network.remove(reorder ? random.nextInt(network.size()) : 0);
            ScenarioNode to = nodes.get(m.to());
            boolean cut = !group.isEmpty() && !group.get(m.from()).equals(group.get(m.to()));
            if (to.isUp() && !cut) {
                to.raft.step(m);
            }
        }

        void compact(ScenarioNode n) {
            if (!n.isUp()) {
                return;
            }
            long applied = n.raft.status().appliedIndex();
            if (applied <= n.storage.snapshot().lastIncludedIndex()) {
                return;
            }
            byte[] data = n.encode();
            SnapshotMetadata snapshot = new SnapshotMetadata(applied, n.storage.term(applied), data.length);
            n.snapshots.put(snapshot, data);
            n.storage.compact(snapshot);
        }

        /**
         * Handles a node's Ready in two steps that other steps may separate, as an
         * asynchronous runtime would: first take it and send {@code messages} (before the
         * write, as the contract allows); later persist, send {@code messagesAfterPersist},
         * apply and advance. A crash in between loses the unwritten Ready.
         */
        void process(ScenarioNode n) {
            if (!n.isUp()) {
                return;
            }
            Ready ready = unwritten.remove(n.id);
            if (ready == null) {
                if (n.raft.hasReady()) {
                    ready = n.raft.ready();
                    network.addAll(ready.messages());
                    unwritten.put(n.id, ready);
                }
                return;
            }
            for (SnapshotChunk chunk : ready.snapshotChunks()) {
                n.snapshots.write(chunk);
            }
            if (ready.snapshotToInstall() != null) {
                n.applied = ScenarioNode.decode(n.snapshots.finishReceiving(ready.snapshotToInstall()));
            }
            n.storage.persist(ready);
            network.addAll(ready.messagesAfterPersist());
            for (Entry entry : ready.committedEntries()) {
                n.apply(entry);
            }
            n.raft.advance(ready);
        }

        void check(int step) {
            List<List<String>> histories = new ArrayList<>();
            for (String id : ids) {
                ScenarioNode n = nodes.get(id);
                if (!n.isUp()) {
                    continue;
                }
                Status s = n.raft.status();
                if (s.role() == Role.LEADER) {
                    String previous = leaderOfTerm.putIfAbsent(s.term(), id);
                    if (previous != null && !previous.equals(id)) {
                        fail("seed " + seed + " step " + step + ": " + previous + " and " + id
                                + " both lead term " + s.term());
                    }
                }
                histories.add(n.applied);
            }
            for (List<String> a : histories) {
                for (List<String> b : histories) {
                    int common = Math.min(a.size(), b.size());
                    assertEquals(a.subList(0, common), b.subList(0, common),
                            "seed " + seed + " step " + step + ": state machines diverge");
                }
            }
        }

        long maxCommit() {
            return ids.stream().map(nodes::get).filter(ScenarioNode::isUp)
                    .mapToLong(n -> n.raft.status().commitIndex()).max().orElse(0);
        }
    }
}

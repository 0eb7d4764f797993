package io.confman.storage.raft;

import io.confman.raft.Entry;
import io.confman.raft.Message;
import io.confman.raft.ProposeResult;
import io.confman.raft.RaftConfig;
import io.confman.raft.RaftNode;
import io.confman.raft.Ready;
import io.confman.raft.Role;
import io.confman.raft.SnapshotMetadata;
import io.confman.storage.wal.WalOptions;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * Three (or more) {@link RaftNode}s in one thread over {@link DurableLogStorage} in real
 * directories, with a network the test drives by hand, in the manner of the core's scenario
 * harness. A crash closes a node's storage and throws its RaftNode and state machine away; a
 * restart rebuilds both from the data directory alone.
 */
final class DurableCluster implements AutoCloseable {

    /** Small segments and chunks so that a few hundred entries roll, compact and stream. */
    static final StorageOptions OPTIONS = new StorageOptions(new WalOptions(4096, 64, 4096), 10, 64, 16 << 10, 2);
    static final int SNAPSHOT_CHUNK_BYTES = 1024;
    private static final int STABILIZE_ROUNDS_MAX = 1_000;

    /** One node: its directory outlives crashes; the rest is rebuilt on restart. */
    static final class Node {
        final String id;
        final Path dir;
        final RaftConfig config;
        DurableLogStorage storage;
        RaftNode raft;
        /** The state machine: every applied command, in order. */
        List<String> applied = new ArrayList<>();

        Node(String id, Path dir, RaftConfig config) {
            this.id = id;
            this.dir = dir;
            this.config = config;
        }

        boolean isUp() {
            return raft != null;
        }
    }

    final Map<String, Node> nodes = new TreeMap<>();
    private final List<Message> network = new ArrayList<>();
    /** Nodes cut off from everyone: messages to or from them are dropped on delivery. */
    private final Set<String> isolated = new TreeSet<>();

    DurableCluster(Path root, int count) throws IOException {
        List<String> members = new ArrayList<>();
        for (int i = 1; i <= count; i++) {
            members.add("s" + i);
        }
        for (String id : members) {
            RaftConfig config = RaftConfig.defaults(id, members)
                    .withElectionOptions(false, false)
                    .withFlowControl(256, 8L << 20, 1 << 20, SNAPSHOT_CHUNK_BYTES);
            Node node = new Node(id, root.resolve(id), config);
            nodes.put(id, node);
            start(id);
        }
    }

    Node node(String id) {
        return nodes.get(id);
    }

    void start(String id) throws IOException {
        Node n = nodes.get(id);
        n.storage = DurableLogStorage.open(n.dir, n.config.clusterIdentity(), id, OPTIONS);
        SnapshotMetadata snapshot = n.storage.snapshot();
        n.applied = snapshot.lastIncludedIndex() == 0 ? new ArrayList<>() : restore(n.storage, snapshot);
        n.raft = new RaftNode(n.config, n.storage, n.storage.snapshots(), new SplittableRandom(id.hashCode()));
    }

    /** Loses everything not on disk: the RaftNode, the state machine and messages in flight to it. */
    void crash(String id) throws IOException {
        Node n = nodes.get(id);
        n.raft = null;
        n.applied = new ArrayList<>();
        n.storage.close();
        n.storage = null;
        network.removeIf(m -> m.to().equals(id));
    }

    void isolate(String id) {
        isolated.add(id);
    }

    void heal() {
        isolated.clear();
    }

    void campaign(String id) {
        nodes.get(id).raft.campaign();
    }

    long propose(String id, String command) {
        ProposeResult result = nodes.get(id).raft.propose(command.getBytes(StandardCharsets.UTF_8));
        if (result instanceof ProposeResult.Accepted accepted) {
            return accepted.index();
        }
        throw new IllegalStateException(id + " refused " + command + ": " + result);
    }

    void tick(String id, int count) {
        for (int i = 0; i < count; i++) {
            nodes.get(id).raft.tick();
        }
    }

    String leader() {
        for (Node n : nodes.values()) {
            if (n.isUp() && n.raft.status().role() == Role.LEADER) {
                return n.id;
            }
        }
        return null;
    }

    /** One round: every up node handles its Readys, then the network is delivered once. */
    void round() throws IOException {
        for (Node n : nodes.values()) {
            while (n.isUp() && n.raft.hasReady()) {
                process(n);
            }
        }
        deliver();
    }

    /** Processes and delivers until nothing is left to do. */
    void stabilize() throws IOException {
        for (int round = 0; round < STABILIZE_ROUNDS_MAX; round++) {
            boolean progressed = false;
            for (Node n : nodes.values()) {
                while (n.isUp() && n.raft.hasReady()) {
                    process(n);
                    progressed = true;
                }
            }
            if (!network.isEmpty()) {
                deliver();
                progressed = true;
            }
            if (!progressed) {
                return;
            }
        }
        throw new IllegalStateException("the cluster did not settle in " + STABILIZE_ROUNDS_MAX + " rounds");
    }

    /** Handles one Ready as the node runtime must (raft/PROTOCOL.md, "The runtime handles a Ready in this order"). */
    private void process(Node n) throws IOException {
        Ready ready = n.raft.ready();
        network.addAll(ready.messages()); // May leave before the write (thesis §10.2.1).
        SnapshotMetadata installed = n.storage.persist(ready);
        if (installed != null) {
            n.applied = restore(n.storage, installed);
        }
        network.addAll(ready.messagesAfterPersist()); // Only once durable (thesis §3.8).
        for (Entry entry : ready.committedEntries()) {
            if (entry.type() == Entry.Type.NORMAL) {
                n.applied.add(new String(entry.data(), StandardCharsets.UTF_8));
            }
        }
        n.raft.advance(ready);
    }

    private void deliver() {
        List<Message> batch = new ArrayList<>(network);
        network.clear();
        for (Message m : batch) {
            Node to = nodes.get(m.to());
            if (to.isUp() && !isolated.contains(m.to()) && !isolated.contains(m.from())) {
                to.raft.step(m);
            }
        }
    }

    /** Snapshots the node's state machine at its applied index and compacts its log. */
    SnapshotMetadata takeSnapshot(String id) throws IOException {
        Node n = nodes.get(id);
        byte[] body = encode(n.applied);
        return n.storage.takeSnapshot(n.raft.status().appliedIndex(), out -> out.write(body));
    }

    /** The durable log of a node: every entry from its first index to its last. */
    static List<Entry> log(DurableLogStorage storage) {
        if (storage.lastIndex() < storage.firstIndex()) {
            return List.of();
        }
        return storage.entries(storage.firstIndex(), storage.lastIndex() + 1, Long.MAX_VALUE);
    }

    static byte[] encode(List<String> applied) {
        return String.join("\n", applied).getBytes(StandardCharsets.UTF_8);
    }

    /** Restores a state machine by streaming a snapshot's body to its end (where the CRC is checked). */
    static List<String> restore(DurableLogStorage storage, SnapshotMetadata snapshot) {
        try (InputStream in = storage.snapshots().openBody(snapshot)) {
            String text = new String(in.readAllBytes(), StandardCharsets.UTF_8);
            return text.isEmpty() ? new ArrayList<>() : new ArrayList<>(Arrays.asList(text.split("\n")));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @Override
    public void close() throws IOException {
        for (Iterator<Node> it = nodes.values().iterator(); it.hasNext(); ) {
            Node n = it.next();
            if (n.storage != null) {
                n.storage.close();
            }
        }
    }
}

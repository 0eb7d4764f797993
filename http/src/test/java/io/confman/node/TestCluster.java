package io.confman.node;

import io.confman.store.ApplyResult;
import io.confman.store.ConfigStore;
import io.confman.store.StoredValue;
import io.confman.store.command.Command;
import io.confman.store.command.Precondition;
import io.confman.store.command.RequestId;
import io.confman.store.command.Value;
import io.confman.testing.Closeables;
import io.confman.testing.Conditions;
import io.confman.testing.LoopbackMembers;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;

/**
 * Real nodes on 127.0.0.1 with real sockets and real files, with short timings. Every wait
 * is for a condition, under a generous deadline; no test sleeps for a fixed time.
 */
final class TestCluster implements AutoCloseable {

    static final long TICK_MS = 10;
    static final long HEARTBEAT_MS = 50;
    static final long ELECTION_TIMEOUT_MS = 500;
    static final long REQUEST_TIMEOUT_MS = 5_000;
    static final Duration WAIT = Duration.ofSeconds(30);
    static final String NAMESPACE = "app";
    static final byte[] SECRET = "a cluster secret for tests only".getBytes(StandardCharsets.UTF_8);

    final Map<String, InetSocketAddress> members;
    final Path root;
    final long snapshotIntervalEntries;
    final Map<String, ConfmanNode> nodes = new LinkedHashMap<>();
    private final List<ConfmanNode> everStarted = new ArrayList<>();

    TestCluster(Path root, int size, long snapshotIntervalEntries) throws IOException {
        this.root = root;
        this.snapshotIntervalEntries = snapshotIntervalEntries;
        this.members = LoopbackMembers.of(size);
    }

    /** A loopback address nobody listens on now, never handed out before in this JVM. */
    static InetSocketAddress freeAddress() throws IOException {
        return LoopbackMembers.freeAddress();
    }

    /** Entry bytes applied that make a snapshot due; a small value makes snapshots by size. */
    long snapshotLogBytesMax = NodeConfig.SNAPSHOT_LOG_BYTES_MAX_DEFAULT;

    /** Client requests a node holds at once; small values let a test fill the table. */
    int pendingRequestsMax = NodeConfig.PENDING_REQUESTS_MAX_DEFAULT;

    NodeConfig config(String id, Map<String, InetSocketAddress> memberList) {
        return new NodeConfig(id, memberList, root.resolve(id), SECRET, TICK_MS, HEARTBEAT_MS, ELECTION_TIMEOUT_MS,
                REQUEST_TIMEOUT_MS, snapshotIntervalEntries, NodeConfig.INBOX_EVENTS_MAX_DEFAULT,
                pendingRequestsMax, NodeConfig.COMMAND_BYTES_MAX_DEFAULT, snapshotLogBytesMax);
    }

    TestCluster startAll() throws IOException {
        for (String id : members.keySet()) {
            start(id);
        }
        return this;
    }

    ConfmanNode start(String id) throws IOException {
        return start(config(id, members));
    }

    /** The blob store's timing; null for what a node derives from its config. */
    NodeBlobs.Settings blobSettings;

    ConfmanNode start(NodeConfig config) throws IOException {
        ConfmanNode node = blobSettings == null ? ConfmanNode.start(config) : ConfmanNode.start(config, blobSettings);
        everStarted.add(node);
        nodes.put(config.id(), node);
        return node;
    }

    void stop(String id) {
        nodes.remove(id).close();
    }

    /** The one node all running nodes agree leads, once they do. */
    ConfmanNode awaitLeader() {
        return await("a leader all running nodes agree on", () -> Conditions.agreedLeader(nodes.values()));
    }

    static <T> T await(String what, Supplier<T> condition) {
        return Conditions.await(what, WAIT, Duration.ofMillis(TICK_MS), condition);
    }

    /**
     * The index {@code node}'s store has applied, read on its loop: unlike status(), which is
     * published at the end of a loop turn, it includes an apply whose answer was just seen.
     */
    static long appliedOnLoop(ConfmanNode node) throws Exception {
        return get(node.read(ConfigStore::appliedIndex));
    }

    static void awaitTrue(String what, BooleanSupplier condition) {
        await(what, () -> condition.getAsBoolean() ? Boolean.TRUE : null);
    }

    static Command put(String key, String value) {
        return new Command.Put(RequestId.NONE, NAMESPACE, key,
                Value.Inline.copyOf(value.getBytes(StandardCharsets.UTF_8)), new Precondition.None());
    }

    static <T> T get(CompletableFuture<T> future) throws Exception {
        try {
            return future.get(WAIT.toMillis(), TimeUnit.MILLISECONDS);
        } catch (TimeoutException e) {
            throw new AssertionError("no answer within " + WAIT, e);
        }
    }

    /** The cause a future failed with. */
    static Throwable failure(CompletableFuture<?> future) throws Exception {
        try {
            Object value = future.get(WAIT.toMillis(), TimeUnit.MILLISECONDS);
            throw new AssertionError("expected a failure, got " + value);
        } catch (ExecutionException e) {
            return e.getCause();
        }
    }

    static ApplyResult write(ConfmanNode leader, String key, String value) throws Exception {
        return get(leader.propose(put(key, value)));
    }

    /** The value of {@code key} in {@code node}'s store as it is now (a local read on its loop). */
    static Optional<String> localValue(ConfmanNode node, String key) throws Exception {
        Optional<StoredValue> stored = get(node.read(store -> store.get(NAMESPACE, key)));
        return stored.map(value -> new String(((Value.Inline) value.value()).copyBytes(), StandardCharsets.UTF_8));
    }

    @Override
    public void close() {
        // ConfmanNode.close throws only unchecked exceptions.
        RuntimeException first = (RuntimeException) Closeables.closeAll(everStarted);
        nodes.clear();
        if (first != null) {
            throw first;
        }
    }
}

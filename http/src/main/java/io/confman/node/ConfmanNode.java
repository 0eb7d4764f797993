package io.confman.node;

import io.confman.raft.Entry;
import io.confman.raft.FailedRead;
import io.confman.raft.Message;
import io.confman.raft.ProposeResult;
import io.confman.raft.RaftNode;
import io.confman.raft.ReadState;
import io.confman.raft.Ready;
import io.confman.raft.Role;
import io.confman.raft.SnapshotMetadata;
import io.confman.raft.Status;
import io.confman.storage.blob.BlobDigest;
import io.confman.storage.blob.BlobStore;
import io.confman.storage.raft.DurableLogStorage;
import io.confman.storage.raft.SnapshotStore;
import io.confman.storage.raft.StorageOptions;
import io.confman.store.ApplyResult;
import io.confman.store.ConfigStore;
import io.confman.store.KeyMeta;
import io.confman.store.SnapshotView;
import io.confman.store.StoreLimits;
import io.confman.store.WaitListener;
import io.confman.store.command.Command;
import io.confman.store.command.CommandCodec;
import io.confman.store.command.Names;
import io.confman.store.command.RequestId;
import io.confman.store.command.Value;
import io.confman.transport.NodeMessage;
import io.confman.transport.PeerTransport;
import io.confman.transport.TransportStats;
import java.io.IOException;
import java.io.InputStream;
import java.lang.System.Logger.Level;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.PriorityQueue;
import java.util.SplittableRandom;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.BiFunction;
import java.util.function.Function;

/**
 * One Confman node: the Raft core, its durable storage, the config store and the peer
 * transport, joined by one loop thread that owns all of them (STYLE 6). Other threads (Netty
 * handlers, the tick timer, clients) only put events into a bounded inbox and get answers
 * through futures the loop completes; none of them touches Raft or store state. See NODE.md.
 */
public final class ConfmanNode implements AutoCloseable {

    private static final System.Logger LOG = System.getLogger(ConfmanNode.class.getName());

    /** What the loop is asked to do. */
    private sealed interface Event {
    }

    private record Inbound(Message message) implements Event {
    }

    private record Tick() implements Event {
    }

    private record Propose(byte[] command, CompletableFuture<ApplyResult> future, long deadlineNanos)
            implements Event {
    }

    private record Read(PendingRead read) implements Event {
    }

    private record Write(WriteForwarder.PendingWrite write) implements Event {
    }

    /** A forwarded request or its answer from a peer's node loop (TRANSPORT.md section 4.4). */
    private record PeerInbound(NodeMessage message) implements Event {
    }

    private record AwaitChange(String namespace, String key, long afterRevision, long waitMs,
                               Function<ConfigStore, Object> function, CompletableFuture<Object> future)
            implements Event {
    }

    private record SnapshotNow(CompletableFuture<SnapshotMetadata> future) implements Event {
    }

    /** The snapshot thread finished writing a file, or making its name durable: wakes the loop. */
    private record SnapshotWritten() implements Event {
    }

    /** An admin snapshot request: answered once a snapshot at or after targetIndex is the log's. */
    private record SnapshotRequest(CompletableFuture<SnapshotMetadata> future, long targetIndex) {
    }

    /** A snapshot being written off the loop, from the view opened at startNanos. */
    private record SnapshotInFlight(SnapshotView view, CompletableFuture<SnapshotWrite> written, long startNanos,
                                    long handedOverNanos, long collectorMillisAtStart) {
    }

    /** Milliseconds the JVM's collectors have spent collecting so far (their pauses, for most). */
    private static long collectorMillis() {
        long millis = 0;
        for (java.lang.management.GarbageCollectorMXBean collector
                : java.lang.management.ManagementFactory.getGarbageCollectorMXBeans()) {
            millis += Math.max(0, collector.getCollectionTime());
        }
        return millis;
    }

    /** The snapshot thread's part: when it began and when the file was durable. */
    private record SnapshotWrite(SnapshotStore.Prepared prepared, long beganNanos, long bodyWrittenNanos,
                                 long durableNanos, long cpuNanos, long fileWriteNanos) {
    }

    /** Counts the time spent handing bytes to the file, for the slow-snapshot breakdown. */
    private static final class TimedOutput extends java.io.FilterOutputStream {
        long nanos;

        TimedOutput(java.io.OutputStream out) {
            super(out);
        }

        @Override
        public void write(byte[] bytes, int offset, int length) throws IOException {
            long start = System.nanoTime();
            out.write(bytes, offset, length);
            nanos += System.nanoTime() - start;
        }
    }

    /** The client cancelled a blocking read's future: free its waiter. */
    private record CancelWait(CompletableFuture<Object> future) implements Event {
    }

    private record Transfer(String target, CompletableFuture<Void> future) implements Event {
    }

    /** A leadership transfer this node started, waiting until its status shows the target leading. */
    private record PendingTransfer(String target, CompletableFuture<Void> future, long deadlineNanos) {
    }

    /** Snapshot requests waiting for the loop at once; more are Overloaded (STYLE 9). */
    static final int SNAPSHOT_REQUESTS_MAX = 64;
    /** Leadership transfers waiting at once; more are Overloaded. */
    static final int TRANSFERS_MAX = 16;
    /** The longest a blocking read waits; longer waits are cut to it (Consul's cap). */
    public static final long AWAIT_CHANGE_WAIT_MS_MAX = 600_000;
    /** Context tags of the core's ReadIndex requests: a read of this node, or a peer's. */
    private static final byte READ_CONTEXT_LOCAL = 1;
    private static final byte READ_CONTEXT_PEER = 2;

    private static final Tick TICK = new Tick();
    /** For the CPU time the snapshot thread spent on a snapshot (the warning's breakdown). */
    private static final java.lang.management.ThreadMXBean THREADS =
            java.lang.management.ManagementFactory.getThreadMXBean();
    private static final SnapshotWritten SNAPSHOT_WRITTEN = new SnapshotWritten();
    /** A snapshot taking this fraction of the election timeout or more is logged with its breakdown. */
    private static final int SNAPSHOT_SLOW_FRACTION = 10;

    /** A proposal in the leader's log, waiting for its index to be applied. */
    private record PendingProposal(long term, CompletableFuture<ApplyResult> future, long deadlineNanos) {
    }

    /** A read waiting on the loop: for its ReadIndex, then for the store to apply up to it. */
    private static final class PendingRead {
        final long id;
        final boolean linearizable;
        final BiFunction<ConfigStore, Long, Object> function;
        final CompletableFuture<Object> future;
        final long deadlineNanos;
        /** Set when the core (or, for a forwarded read, the leader) says the read is safe; -1 until then. */
        long readIndex = -1;
        /**
         * A follower's read goes to the leader (thesis §6.4, follower reads): the member it
         * last asked, or null while it has asked nobody (or must ask again), in which term,
         * when, and how many times.
         */
        String askedLeader;
        long askedTerm;
        long askedNanos;
        int asks;

        PendingRead(long id, boolean linearizable, BiFunction<ConfigStore, Long, Object> function,
                    CompletableFuture<Object> future, long deadlineNanos) {
            this.id = id;
            this.linearizable = linearizable;
            this.function = function;
            this.future = future;
            this.deadlineNanos = deadlineNanos;
        }
    }

    private final NodeConfig config;
    private final long requestTimeoutNanos;
    private final long electionTimeoutNanos;
    /** A forwarded write or read not answered within this is sent again (same request id). */
    private final long forwardRetryNanos;
    private final long tickNanos;
    /** The origin of the monotonic milliseconds the store's waiter deadlines are in. */
    private final long clockOriginNanos = System.nanoTime();
    // Bounded (STYLE 9): a full inbox refuses; the HTTP layer answers 429.
    private final ArrayBlockingQueue<Event> inbox;
    private final ScheduledExecutorService ticker;
    private final Thread loopThread;
    /**
     * Writes snapshot files off the loop (thesis §5.2). One thread and one queued task at most
     * (STYLE 9); the loop never hands it a second snapshot while one is in flight.
     */
    private final ExecutorService snapshotWriter;
    /**
     * Read ids start from a random base: a leader's answer to a read of this node's previous
     * incarnation, delivered after a restart, must not release a new read at an old index.
     */
    private final AtomicLong readIds = new AtomicLong(new SplittableRandom().nextLong() >>> 2);
    private final AtomicLong leaderChanges = new AtomicLong();
    private final AtomicLong electionsStarted = new AtomicLong();
    private final DurationRecorder persistDurations = new DurationRecorder();
    private final DurationRecorder snapshotDurations = new DurationRecorder();
    /** The live view's watchers (LIVEVIEW.md); the loop builds frames only while someone watches. */
    private final LiveView live;
    /** Where this node serves its client API, as announced to peers; null when not given. */
    private final String clientUrl;
    private final AtomicLong inboundDropped = new AtomicLong();
    private final AtomicLong ticksDropped = new AtomicLong();
    private final AtomicLong messagesDropped = new AtomicLong();
    private volatile NodeStatus status;
    private volatile boolean stopping;
    private volatile boolean loopEnded;
    private volatile Throwable failure;
    private boolean closed;

    // ---- Owned by the loop thread from start() on.
    private final DurableLogStorage storage;
    private final RaftNode raft;
    private volatile PeerTransport transport;
    private final InlineToBlobMigration migration = new InlineToBlobMigration(this);
    /** Set once in start, before the transport delivers anything. */
    private NodeBlobs blobs;
    /** Pointers applied in the current batch, for {@link #reportBlobs}. Loop only. */
    private final List<Value.BlobPointer> appliedPointers = new ArrayList<>();
    // Invariant: store.appliedIndex() equals the core's appliedIndex after each advance.
    private ConfigStore store;
    /** Keyed by log index, in arrival order, which is deadline order. Invariant: with
     * pendingReads, at most pendingRequestsMax entries. */
    private final LinkedHashMap<Long, PendingProposal> pendingProposals = new LinkedHashMap<>();
    /** Keyed by read id, in arrival order, which is deadline order. */
    private final LinkedHashMap<Long, PendingRead> pendingReads = new LinkedHashMap<>();
    /** Reads the core declared safe, lowest readIndex first, waiting for the store to catch up. */
    private final PriorityQueue<PendingRead> releasedReads =
            new PriorityQueue<>(Comparator.comparingLong((PendingRead read) -> read.readIndex));
    /**
     * Client writes (NODE.md, "Forwarding"). Invariant: with pendingProposals and
     * pendingReads, at most pendingRequestsMax. Its session's client id is random per process
     * start, so a restarted node never continues its old session's sequence (STORE.md).
     */
    private final WriteForwarder writes;
    private final BlockingReads blockingReads;
    /** Invariant: at most SNAPSHOT_REQUESTS_MAX. */
    private final List<SnapshotRequest> snapshotRequests = new ArrayList<>();
    /** The snapshot the snapshot thread is writing, or null: at most one at a time. */
    /** See nextSnapshotNotBeforeNanos: idle time after a snapshot, in multiples of its duration. */
    static final long SNAPSHOT_SPACING_FACTOR = 3;
    private SnapshotInFlight snapshotInFlight;
    /**
     * A snapshot published (renamed, the log's) whose directory fsync the snapshot thread is
     * doing, or null; the log is compacted to it once that is done. No snapshot starts meanwhile.
     */
    private SnapshotMetadata awaitingDurability;
    /** The blobs awaitingDurability references. Invariant: null exactly when it is. */
    private Set<BlobDigest> awaitingDurabilityBlobs;
    /** The snapshot thread's directory fsync for awaitingDurability. Invariant: null exactly when it is. */
    private CompletableFuture<Void> durability;
    /**
     * A snapshot due by the interval starts no earlier than this: the end of the last one plus
     * SNAPSHOT_SPACING_FACTOR times its duration, so that snapshots take at most about a
     * quarter of the node's time whatever the interval, and a small interval on a large store
     * cannot keep the disk and a core busy with snapshots back to back.
     */
    private long nextSnapshotNotBeforeNanos = System.nanoTime();
    /** Entry bytes applied since start (the log-size snapshot policy counts from here). */
    private long appliedBytes;
    /** appliedBytes when the latest snapshot was started or installed. Invariant: <= appliedBytes. */
    private long snapshotAppliedBytes;
    /** Invariant: at most TRANSFERS_MAX. */
    private final List<PendingTransfer> transfers = new ArrayList<>();
    private long lastRetryNanos;
    private long timingSamplesSeen;
    private long lastTimingCheckNanos;
    static final long TIMING_CHECK_INTERVAL_NANOS = TimeUnit.MILLISECONDS.toNanos(100);
    private List<String> timingWarningsLogged = List.of();
    private long ticks;
    // Invariant: snapshotIndex <= store.appliedIndex().
    private long snapshotIndex;

    private ConfmanNode(NodeConfig config, DurableLogStorage storage, ConfigStore store, BlockingReads blockingReads,
                        String clientUrl) {
        this.config = config;
        this.clientUrl = clientUrl;
        this.live = new LiveView(config.id());
        this.requestTimeoutNanos = TimeUnit.MILLISECONDS.toNanos(config.requestTimeoutMs());
        this.electionTimeoutNanos = TimeUnit.MILLISECONDS.toNanos(config.electionTimeoutMs());
        this.forwardRetryNanos = electionTimeoutNanos;
        this.tickNanos = TimeUnit.MILLISECONDS.toNanos(config.tickMs());
        this.blockingReads = blockingReads;
        blockingReads.attach(store);
        this.inbox = new ArrayBlockingQueue<>(config.inboxEventsMax());
        this.storage = storage;
        this.store = store;
        this.snapshotIndex = storage.snapshot().lastIncludedIndex();
        this.raft = new RaftNode(config.raftConfig(), storage, storage.snapshots(), new SplittableRandom(),
                config.clusterIdentity());
        this.writes = new WriteForwarder(config.id(), new WriteForwarder.Leadership() {
            @Override
            public String leaderId() {
                return raft.leaderId(); // Not status(): that copies the leader's progress map.
            }

            @Override
            public long term() {
                return raft.term();
            }

            @Override
            public ProposeResult propose(byte[] command) {
                return raft.propose(command);
            }

            @Override
            public void forward(String leader, long term, byte[] command) {
                sendToPeer(new NodeMessage.ForwardWrite(raft.clusterIdentity(), config.id(), leader, term, command));
            }
        }, electionTimeoutNanos, forwardRetryNanos, new SplittableRandom().nextLong() | 1);
        this.ticker = Executors.newSingleThreadScheduledExecutor(runnable -> {
            Thread thread = new Thread(runnable, "confman-tick-" + config.id());
            thread.setDaemon(true);
            return thread;
        });
        this.loopThread = new Thread(this::runLoop, "confman-node-" + config.id());
        this.snapshotWriter = new ThreadPoolExecutor(1, 1, 0, TimeUnit.MILLISECONDS, new ArrayBlockingQueue<>(1),
                runnable -> {
                    Thread thread = new Thread(runnable, "confman-snapshot-" + config.id());
                    thread.setDaemon(true);
                    return thread;
                });
        publishStatus();
    }

    /**
     * Opens the data directory (refusing one of another cluster or node), restores the store
     * from the latest snapshot, builds the core, starts the transport, the loop and the ticks.
     */
    public static ConfmanNode start(NodeConfig config) throws IOException {
        return start(config, NodeBlobs.Settings.of(config), null);
    }

    /**
     * As {@link #start(NodeConfig)}, announcing {@code clientUrl} (where this node's client
     * API listens) to the peers, so that each member can name the others' (LIVEVIEW.md).
     */
    public static ConfmanNode start(NodeConfig config, String clientUrl) throws IOException {
        return start(config, NodeBlobs.Settings.of(config), clientUrl);
    }

    /** As {@link #start(NodeConfig)}, with the blob store's timing given (tests shorten it). */
    static ConfmanNode start(NodeConfig config, NodeBlobs.Settings settings) throws IOException {
        return start(config, settings, null);
    }

    private static ConfmanNode start(NodeConfig config, NodeBlobs.Settings settings, String clientUrl)
            throws IOException {
        Objects.requireNonNull(config, "config");
        DurableLogStorage storage = DurableLogStorage.open(config.dataDir(), config.clusterIdentity(), config.id(),
                StorageOptions.defaults());
        ConfmanNode node;
        try {
            BlockingReads blockingReads = new BlockingReads();
            ConfigStore store = restoreStore(storage, storage.snapshot(), blockingReads);
            node = new ConfmanNode(config, storage, store, blockingReads, clientUrl);
        } catch (IOException | RuntimeException e) {
            storage.close();
            throw e;
        }
        try {
            node.blobs = node.openBlobs(settings);
        } catch (IOException | RuntimeException e) {
            node.close();
            throw e;
        }
        try {
            node.transport = PeerTransport.start(config.transportConfig(), node::onInbound, node::onNodeInbound,
                    clientUrl);
            node.snapshotWriter.execute(() -> {
                try {
                    ConfigStore.warmUpSnapshotWriter(); // Before any real snapshot: the queue is in order.
                } catch (IOException | RuntimeException failed) {
                    LOG.log(Level.WARNING, "node " + config.id() + ": warming up the snapshot writer failed", failed);
                }
            });
            node.loopThread.start();
            node.ticker.scheduleAtFixedRate(node::onTimer, config.tickMs(), config.tickMs(), TimeUnit.MILLISECONDS);
        } catch (RuntimeException e) {
            node.close();
            throw e;
        }
        return node;
    }

    /** The blob store in DIR/blobs, and the blob thread; the restored store's pointers are reported. */
    private NodeBlobs openBlobs(NodeBlobs.Settings settings) throws IOException {
        BlobStore blobStore = BlobStore.open(config.dataDir().resolve("blobs"));
        long committedAtStart = storage.hardState().commitIndex();
        NodeBlobs opened;
        try {
            opened = new NodeBlobs(config.id(), config.members().keySet(), blobStore, new NodeBlobs.Host() {
            @Override
            public io.confman.raft.ClusterIdentity cluster() {
                return config.clusterIdentity();
            }

            @Override
            public boolean send(NodeMessage message) {
                PeerTransport current = transport;
                return current != null && current.send(message);
            }

            @Override
            public void flush() {
                PeerTransport current = transport;
                if (current != null) {
                    current.flush();
                }
            }

            @Override
            public long term() {
                return status().term();
            }

            @Override
            public String leaderId() {
                return status().leaderId();
            }

            @Override
            public CompletableFuture<ApplyResult> write(Command command) {
                return ConfmanNode.this.write(command);
            }

            @Override
            public CompletableFuture<Optional<Value.BlobPointer>> pointer(BlobDigest digest) {
                return read(current -> current.blobRefs().pointer(digest));
            }

            @Override
            public boolean replayed() {
                return status().appliedIndex() >= committedAtStart;
            }

            @Override
            public boolean caughtUp() {
                NodeStatus now = status();
                return now.leaderId() != null && now.appliedIndex() >= now.commitIndex();
            }

            @Override
            public long lastLogIndex() {
                return status().lastIndex();
            }

            @Override
            public long appliedIndex() {
                return status().appliedIndex();
            }

            @Override
            public CompletableFuture<List<Value.BlobPointer>> referenced() {
                return read(current -> current.blobRefs().pointers());
            }

            @Override
            public CompletableFuture<List<BlobDigest>> unreferenced(List<BlobDigest> digests) {
                return read(current -> digests.stream().filter(digest -> current.blobRefs().count(digest) == 0)
                        .toList());
            }
        }, settings);
        } catch (RuntimeException e) {
            blobStore.close();
            throw e;
        }
        // The restored snapshot is durable; its pointers, and those the log replays, are fetched if missing.
        opened.snapshotDurable(store.appliedIndex(), store.blobRefs().digests());
        opened.applied(store.blobRefs().pointers());
        return opened;
    }

    private static ConfigStore restoreStore(DurableLogStorage storage, SnapshotMetadata snapshot,
                                            WaitListener listener) throws IOException {
        if (snapshot.lastIncludedIndex() == 0) {
            return new ConfigStore(StoreLimits.DEFAULTS, listener);
        }
        try (InputStream body = storage.snapshots().openBody(snapshot)) {
            ConfigStore store = ConfigStore.restore(body, StoreLimits.DEFAULTS, listener);
            if (store.appliedIndex() != snapshot.lastIncludedIndex()) {
                throw new IllegalStateException("snapshot " + snapshot + " restored a store applied to "
                        + store.appliedIndex());
            }
            return store;
        }
    }

    // ================================================================ client API (any thread)

    /**
     * Proposes {@code command}. Completes with its result once applied on this node, or fails
     * with a {@link NodeException}: {@code NotLeader} (with the leader hint) on a follower,
     * {@code LeadershipLost} or {@code Timeout} when the outcome is unknown, {@code Overloaded}
     * when the inbox is full.
     */
    public CompletableFuture<ApplyResult> propose(Command command) {
        byte[] encoded = CommandCodec.encode(command);
        CompletableFuture<ApplyResult> future = new CompletableFuture<>();
        if (encoded.length > config.commandBytesMax()) {
            future.completeExceptionally(new IllegalArgumentException("an encoded command of " + encoded.length
                    + " bytes exceeds commandBytesMax " + config.commandBytesMax()));
            return future;
        }
        submit(new Propose(encoded, future, System.nanoTime() + requestTimeoutNanos), future);
        return future;
    }

    /**
     * A linearizable read (thesis §6.4): completes with the read index once the store applied
     * it. On a follower the read index comes from the leader (follower reads, NODE.md).
     */
    public CompletableFuture<Long> linearizableRead() {
        return submitRead(true, (store, readIndex) -> readIndex);
    }

    /**
     * Runs {@code function} on the loop against the store once a ReadIndex confirmed the
     * leader's leadership and this node's store applied up to the read index: its result is
     * linearizable. On a follower the leader is asked for the read index over the transport
     * (thesis §6.4, follower reads); the leader changing meanwhile makes the follower ask the
     * new one. Fails with {@code NotLeader} (no leader known), {@code Timeout}, {@code
     * Rejected} (transfer under way), {@code LeadershipLost}, {@code Overloaded} or {@code
     * Stopped}.
     */
    public <T> CompletableFuture<T> linearizableRead(Function<ConfigStore, T> function) {
        return submitRead(true, (store, readIndex) -> function.apply(store));
    }

    /**
     * Runs {@code function} on the loop against the store as it is now, possibly stale. The
     * function must be quick and must not modify the store.
     */
    public <T> CompletableFuture<T> read(Function<ConfigStore, T> function) {
        return submitRead(false, (store, readIndex) -> function.apply(store));
    }

    // ---------------------------------------------------------------- the HTTP layer's API
    // The calls below are what the HTTP front uses; NODE.md lists each with its answers.

    /**
     * Writes {@code command} through the leader: proposes it here when this node leads,
     * otherwise forwards it to the leader, retrying with the same request id across leader
     * changes until requestTimeoutMs. A command without a session ({@code RequestId.NONE},
     * what the HTTP layer sends) gets the next request id of this node's own session; one
     * with a session keeps it, and its sender must follow the session rules (STORE.md).
     * Completes with the result once the entry is applied on
     * this node. Fails with {@code NotLeader} (no leader known, never sent: HTTP 503),
     * {@code Timeout} or {@code Stopped} (outcome unknown: HTTP 504/503), {@code Overloaded}
     * (HTTP 429), {@code Rejected} (every copy refused: HTTP 503), {@code IllegalArgumentException} (HTTP 400/413)
     * or {@code ValueTooLargeException} (HTTP 413).
     */
    public CompletableFuture<ApplyResult> write(Command command) {
        CompletableFuture<ApplyResult> future = new CompletableFuture<>();
        if (command instanceof Command.Put put) {
            try {
                // STORE.md: the value bound is checked before proposing, never while applying.
                StoreLimits.DEFAULTS.checkValueSize(put.value().sizeBytes());
            } catch (RuntimeException e) {
                future.completeExceptionally(e);
                return future;
            }
        }
        int encodedBytes = CommandCodec.encodedBytes(command); // The same under any request id.
        if (encodedBytes > config.commandBytesMax()) {
            future.completeExceptionally(new IllegalArgumentException("an encoded command of " + encodedBytes
                    + " bytes exceeds commandBytesMax " + config.commandBytesMax()));
            return future;
        }
        long now = System.nanoTime();
        submit(new Write(new WriteForwarder.PendingWrite(command, future, now, now + requestTimeoutNanos)), future);
        return future;
    }

    /**
     * A blocking read (Consul's {@code ?index=&wait=}): runs {@code function} on the loop once
     * the key's mod_revision exceeds {@code afterRevision} (a delete counts), or once
     * {@code waitMs} passed, whichever comes first; at once when the key already changed.
     * Reads the local store, so it may be stale by the replication lag.
     */
    @SuppressWarnings("unchecked")
    public <T> CompletableFuture<T> awaitChange(String namespace, String key, long afterRevision, long waitMs,
                                                Function<ConfigStore, T> function) {
        Objects.requireNonNull(function, "function");
        CompletableFuture<Object> future = new CompletableFuture<>();
        try {
            // Checked here, on the caller's thread, so that the loop never meets a bad request.
            Names.checkNamespace(namespace);
            Names.checkKey(key);
            if (afterRevision < 0 || waitMs < 0) {
                throw new IllegalArgumentException("index and wait must be >= 0, were " + afterRevision + " and "
                        + waitMs);
            }
        } catch (IllegalArgumentException e) {
            future.completeExceptionally(e);
            return (CompletableFuture<T>) future;
        }
        long boundedWaitMs = Math.min(waitMs, AWAIT_CHANGE_WAIT_MS_MAX);
        submit(new AwaitChange(namespace, key, afterRevision, boundedWaitMs,
                store -> function.apply(store), future), future);
        // A client that goes away cancels the future; its waiter then leaves the store. If the
        // inbox is full the waiter simply expires at its deadline.
        future.whenComplete((value, error) -> {
            if (future.isCancelled() && !stopping && !loopEnded) {
                inbox.offer(new CancelWait(future));
            }
        });
        return (CompletableFuture<T>) future;
    }

    /**
     * Takes a snapshot of the store now (admin), on the loop; completes with its metadata, or
     * with the last snapshot's when nothing was applied since. Fails with {@code Overloaded}
     * or {@code Stopped}.
     */
    public CompletableFuture<SnapshotMetadata> snapshotNow() {
        CompletableFuture<SnapshotMetadata> future = new CompletableFuture<>();
        submit(new SnapshotNow(future), future);
        return future;
    }

    /**
     * Hands leadership to {@code target} (admin, thesis §3.10). Completes once {@code target}
     * leads; fails with {@code NotLeader} when this node does not lead, with
     * {@code IllegalArgumentException} for a non-member, with {@code Timeout} when the transfer
     * did not finish within two election timeouts (the core aborts it after one, thesis §3.10).
     */
    public CompletableFuture<Void> transferLeadership(String target) {
        CompletableFuture<Void> future = new CompletableFuture<>();
        if (target == null || !config.members().containsKey(target)) {
            future.completeExceptionally(new IllegalArgumentException("cannot transfer leadership to " + target
                    + ": not one of the members " + config.members().keySet()));
            return future;
        }
        submit(new Transfer(target, future), future);
        return future;
    }

    /**
     * Why the timing order is at risk, empty when it is not: one line per duration kind
     * (fsync, snapshot) whose recent p99 came within a factor of 2 of the election timeout.
     * {@code /readyz} reports these as its reason.
     */
    public List<String> timingWarnings() {
        return timingWarnings(config.electionTimeoutMs(), persistDurations, snapshotDurations);
    }

    /**
     * The warnings for these recorders: a duration kind whose recent p99 is at least half the
     * election timeout leaves too little room for the order the thesis asks of timing (§3.4:
     * broadcastTime << electionTimeout; a leader's fsync is on its commit path, and a
     * snapshot on the loop stops heartbeats while it runs).
     */
    static List<String> timingWarnings(long electionTimeoutMs, DurationRecorder fsync, DurationRecorder snapshot) {
        List<String> warnings = new ArrayList<>();
        addTimingWarning(warnings, "fsync", fsync, electionTimeoutMs);
        addTimingWarning(warnings, "snapshot", snapshot, electionTimeoutMs);
        return List.copyOf(warnings);
    }

    private static void addTimingWarning(List<String> warnings, String kind, DurationRecorder recorder,
                                         long electionTimeoutMs) {
        long p99Nanos = recorder.p99Nanos();
        if (recorder.count() == 0 || 2 * p99Nanos < TimeUnit.MILLISECONDS.toNanos(electionTimeoutMs)) {
            return;
        }
        warnings.add(kind + " p99 " + TimeUnit.NANOSECONDS.toMillis(p99Nanos) + " ms is within 2x of electionTimeoutMs "
                + electionTimeoutMs);
    }

    @SuppressWarnings("unchecked")
    private <T> CompletableFuture<T> submitRead(boolean linearizable, BiFunction<ConfigStore, Long, Object> function) {
        CompletableFuture<Object> future = new CompletableFuture<>();
        PendingRead read = new PendingRead(readIds.incrementAndGet(), linearizable, function, future,
                System.nanoTime() + requestTimeoutNanos);
        submit(new Read(read), future);
        return (CompletableFuture<T>) future;
    }

    private void submit(Event event, CompletableFuture<?> future) {
        if (stopping || loopEnded) {
            future.completeExceptionally(stoppedException());
            return;
        }
        if (!inbox.offer(event)) {
            future.completeExceptionally(new NodeException.Overloaded("inbox holds inboxEventsMax "
                    + config.inboxEventsMax() + " events"));
            return;
        }
        if (loopEnded) {
            // The loop ended while we offered: nobody else will answer what is left.
            failQueuedClientEvents();
        }
    }

    /** The latest state the loop published. */
    /** The inline-to-blob migration of this node (NODE.md, "Blobs"). */
    public InlineToBlobMigration migration() {
        return migration;
    }

    /** The node's blobs: uploads, replication, fetching (NODE.md, "Blobs"). */
    public NodeBlobs blobs() {
        return blobs;
    }

    public NodeStatus status() {
        return status;
    }

    public String id() {
        return config.id();
    }

    public NodeConfig config() {
        return config;
    }

    /** Durations of {@code storage.persist(ready)}, which ends with the fsync. */
    public DurationRecorder persistDurations() {
        return persistDurations;
    }

    /** Durations of taking a snapshot of the store, on the loop. */
    public DurationRecorder snapshotDurations() {
        return snapshotDurations;
    }

    /** Peer messages refused because the inbox was full (Raft retries them). */
    public long inboundDropped() {
        return inboundDropped.get();
    }

    /** Timer ticks refused because the inbox was full: the core's clock ran slow by that many. */
    public long ticksDropped() {
        return ticksDropped.get();
    }

    /** Outbound messages the transport's queues refused. */
    public long messagesDropped() {
        return messagesDropped.get();
    }

    /** The peer transport's counters (for metrics); zeros before the transport started. */
    public TransportStats transportStats() {
        PeerTransport started = transport;
        return started == null ? TransportStats.EMPTY : started.stats();
    }

    /** Why the loop stopped on its own, or null. */
    public Throwable failure() {
        return failure;
    }

    // ================================================================ other threads' entry points

    /** On a Netty thread: never blocks, never throws, never touches Raft state. */
    private void onInbound(Message message) {
        if (!inbox.offer(new Inbound(message))) {
            inboundDropped.incrementAndGet();
        }
    }

    /** On a Netty thread, as {@link #onInbound}: a peer's forwarded request or its answer. */
    private void onNodeInbound(NodeMessage message) {
        if (NodeBlobs.isBlobMessage(message)) {
            blobs.onMessage(message); // The blob thread's: transfers never wait behind the loop.
            return;
        }
        if (!inbox.offer(new PeerInbound(message))) {
            inboundDropped.incrementAndGet(); // The sender asks again after forwardRetry.
        }
    }

    /** On the timer thread: only enqueues. */
    private void onTimer() {
        if (!inbox.offer(TICK)) {
            ticksDropped.incrementAndGet();
        }
    }

    // ================================================================ the loop

    private void runLoop() {
        try {
            List<Event> batch = new ArrayList<>();
            while (!stopping) {
                Event first = inbox.poll(config.tickMs(), TimeUnit.MILLISECONDS);
                if (first != null) {
                    batch.add(first);
                    inbox.drainTo(batch, config.inboxEventsMax());
                    for (Event event : batch) {
                        handle(event);
                    }
                    batch.clear();
                }
                retryForwardsOncePerTick(System.nanoTime());
                processReadies();
                serveReleasedReads(); // A leader's answer to a forwarded read releases it without a Ready.
                store.expireWaiters(nowMs());
                expireRequests(System.nanoTime());
                finishSnapshot();
                compactOnceDurable();
                serveSnapshotRequests();
                maybeStartSnapshot();
                checkTransfers(System.nanoTime());
                checkTimingWarnings(System.nanoTime());
                checkInvariants();
                publishStatus();
                if (live.watched()) {
                    live.onTurn(System.nanoTime(), this::liveState);
                }
            }
        } catch (InterruptedException e) {
            failure = e;
            Thread.currentThread().interrupt();
        } catch (Throwable t) {
            // STYLE 10: never go on after an error; the node stops and a restart runs recovery.
            failure = t;
            LOG.log(Level.ERROR, "node " + config.id() + " stopped: its loop failed", t);
        } finally {
            loopEnded = true;
            NodeException stopped = stoppedException();
            pendingProposals.values().forEach(p -> p.future().completeExceptionally(stopped));
            pendingProposals.clear();
            pendingReads.values().forEach(r -> r.future.completeExceptionally(stopped));
            pendingReads.clear();
            releasedReads.clear();
            writes.failAll(stopped);
            blockingReads.failAll(stopped);
            snapshotRequests.forEach(request -> request.future().completeExceptionally(stopped));
            snapshotRequests.clear();
            abandonSnapshot();
            transfers.forEach(transfer -> transfer.future().completeExceptionally(stopped));
            transfers.clear();
            failQueuedClientEvents();
            publishStatus();
            if (failure != null && transport != null) {
                transport.close(); // Peers should see a failed node go, not a silent one.
            }
        }
    }

    private NodeException stoppedException() {
        Throwable cause = failure;
        return new NodeException.Stopped(cause == null ? "node " + config.id() + " closed"
                : "node " + config.id() + " failed: " + cause, cause);
    }

    private void failQueuedClientEvents() {
        List<Event> left = new ArrayList<>();
        inbox.drainTo(left);
        NodeException stopped = stoppedException();
        for (Event event : left) {
            if (event instanceof Propose propose) {
                propose.future().completeExceptionally(stopped);
            } else if (event instanceof Read read) {
                read.read().future.completeExceptionally(stopped);
            } else if (event instanceof Write write) {
                write.write().future.completeExceptionally(stopped);
            } else if (event instanceof AwaitChange await) {
                await.future().completeExceptionally(stopped);
            } else if (event instanceof SnapshotNow snapshot) {
                snapshot.future().completeExceptionally(stopped);
            } else if (event instanceof Transfer transfer) {
                transfer.future().completeExceptionally(stopped);
            }
        }
    }

    private void handle(Event event) throws IOException {
        if (event instanceof Inbound inbound) {
            raft.step(inbound.message());
        } else if (event instanceof Tick) {
            raft.tick();
            ticks++;
        } else if (event instanceof Propose propose) {
            handlePropose(propose);
        } else if (event instanceof Read read) {
            handleRead(read.read());
        } else if (event instanceof Write write) {
            handleWrite(write.write());
        } else if (event instanceof PeerInbound peer) {
            handlePeerMessage(peer.message());
        } else if (event instanceof AwaitChange await) {
            blockingReads.register(await.namespace(), await.key(), await.afterRevision(),
                    nowMs() + await.waitMs(), await.function(), await.future());
        } else if (event instanceof CancelWait cancel) {
            blockingReads.cancel(cancel.future());
        } else if (event instanceof SnapshotNow snapshot) {
            handleSnapshotNow(snapshot.future());
        } else if (event instanceof Transfer transfer) {
            handleTransfer(transfer);
        } else if (event instanceof SnapshotWritten) {
            finishSnapshot(); // Both also run on every turn, for a wake-up a full inbox refused.
            compactOnceDurable();
        } else {
            throw new IllegalStateException("unknown event " + event);
        }
    }

    private void handlePropose(Propose propose) {
        if (System.nanoTime() - propose.deadlineNanos() > 0) {
            propose.future().completeExceptionally(new NodeException.Timeout(config.requestTimeoutMs()));
            return;
        }
        if (pendingRequestCount() >= config.pendingRequestsMax()) {
            propose.future().completeExceptionally(new NodeException.Overloaded("pendingRequestsMax "
                    + config.pendingRequestsMax() + " requests are waiting"));
            return;
        }
        ProposeResult result = raft.propose(propose.command());
        if (result instanceof ProposeResult.Accepted accepted) {
            PendingProposal replaced = pendingProposals.remove(accepted.index());
            if (replaced != null) {
                // An older proposal at this index was truncated from our log by a leader of
                // another term before we became leader again.
                replaced.future().completeExceptionally(new NodeException.LeadershipLost(
                        "index " + accepted.index() + " now holds a proposal of term " + accepted.term()));
            }
            pendingProposals.put(accepted.index(),
                    new PendingProposal(accepted.term(), propose.future(), propose.deadlineNanos()));
        } else if (result instanceof ProposeResult.Rejected rejected) {
            if (raft.role() != Role.LEADER) {
                propose.future().completeExceptionally(new NodeException.NotLeader(config.id(), rejected.leaderHint()));
            } else {
                propose.future().completeExceptionally(new NodeException.Rejected(rejected.reason()));
            }
        } else {
            throw new IllegalStateException("unknown propose result " + result);
        }
    }

    private void handleRead(PendingRead read) {
        if (System.nanoTime() - read.deadlineNanos > 0) {
            read.future.completeExceptionally(new NodeException.Timeout(config.requestTimeoutMs()));
            return;
        }
        if (!read.linearizable) {
            complete(read, store.appliedIndex());
            return;
        }
        if (pendingRequestCount() >= config.pendingRequestsMax()) {
            read.future.completeExceptionally(new NodeException.Overloaded("pendingRequestsMax "
                    + config.pendingRequestsMax() + " requests are waiting"));
            return;
        }
        pendingReads.put(read.id, read);
        if (raft.role() == Role.LEADER) {
            raft.readIndex(localReadContext(read.id));
        } else {
            askLeaderForReadIndex(read, System.nanoTime());
        }
    }

    private int pendingRequestCount() {
        return pendingProposals.size() + pendingReads.size() + writes.size();
    }

    /** Runs the read's function; its exception goes to the caller, not into the loop. */
    private void complete(PendingRead read, long readIndex) {
        try {
            read.future.complete(read.function.apply(store, readIndex));
        } catch (RuntimeException e) {
            read.future.completeExceptionally(e);
        }
    }

    // ---------------------------------------------------------------- forwarding (NODE.md)

    private void handleWrite(WriteForwarder.PendingWrite write) {
        if (pendingRequestCount() >= config.pendingRequestsMax()) {
            write.future.completeExceptionally(new NodeException.Overloaded("pendingRequestsMax "
                    + config.pendingRequestsMax() + " requests are waiting"));
            return;
        }
        writes.add(write, System.nanoTime());
    }

    /** Once per tick: re-send writes and reads whose leader changed or that got no answer in time. */
    private void retryForwardsOncePerTick(long nowNanos) {
        if (nowNanos - lastRetryNanos < tickNanos) {
            return;
        }
        lastRetryNanos = nowNanos;
        writes.retry(nowNanos);
        Status core = raft.status();
        for (PendingRead read : List.copyOf(pendingReads.values())) {
            if (read.readIndex >= 0 || (read.askedLeader != null && read.askedLeader.equals(config.id()))) {
                continue; // Released already, or in this leader's core, which answers or fails it.
            }
            boolean leaderMoved = read.askedLeader != null
                    && (!read.askedLeader.equals(core.leaderId()) || read.askedTerm != core.term());
            boolean unanswered = nowNanos - read.askedNanos > forwardRetryNanos;
            if (read.askedLeader == null || leaderMoved || unanswered) {
                askLeaderForReadIndex(read, nowNanos);
            }
        }
    }

    /**
     * Thesis §6.4, follower reads: the follower asks the leader for a read index, and serves
     * the read once its own store applied up to it. Asking again is harmless (a read index is
     * idempotent), so a lost request or answer, or a new leader, just means asking again.
     */
    private void askLeaderForReadIndex(PendingRead read, long nowNanos) {
        Status core = raft.status();
        String leader = core.leaderId();
        if (leader == null) {
            read.askedLeader = null;
            if (read.asks == 0 && nowNanos - (read.deadlineNanos - requestTimeoutNanos) > electionTimeoutNanos) {
                pendingReads.remove(read.id);
                read.future.completeExceptionally(new NodeException.NotLeader(config.id(), null));
            }
            return;
        }
        read.askedLeader = leader;
        read.askedTerm = core.term();
        read.askedNanos = nowNanos;
        read.asks++;
        if (leader.equals(config.id())) {
            raft.readIndex(localReadContext(read.id)); // We lead now: the core confirms it.
        } else {
            sendToPeer(new NodeMessage.ReadIndexRequest(raft.clusterIdentity(), config.id(), leader, core.term(),
                    read.id));
        }
    }

    private void sendToPeer(NodeMessage message) {
        if (!transport.send(message)) {
            messagesDropped.incrementAndGet(); // The sender's retry covers it.
        }
        transport.flush();
    }

    private void handlePeerMessage(NodeMessage message) {
        if (message instanceof NodeMessage.ForwardWrite forward) {
            handleForwardWrite(forward);
        } else if (message instanceof NodeMessage.ForwardWriteResponse response) {
            writes.onResponse(response);
        } else if (message instanceof NodeMessage.ReadIndexRequest request) {
            raft.readIndex(peerReadContext(request.from(), request.readId()));
        } else if (message instanceof NodeMessage.ReadIndexResponse response) {
            handleReadIndexResponse(response);
        } else {
            throw new IllegalStateException("unknown node message " + message);
        }
    }

    /**
     * The leader's side: propose the follower's command as it came (its request id makes a
     * second copy harmless, STORE.md client sessions) and say what happened. Nothing is kept
     * here: the follower learns the result by applying the entry.
     */
    private void handleForwardWrite(NodeMessage.ForwardWrite forward) {
        byte[] command = forward.command();
        RequestId requestId = WriteForwarder.peekRequestId(command);
        NodeMessage.Outcome outcome;
        String detail = "";
        long index = 0;
        String invalid = invalidForwardedCommand(command, requestId);
        if (invalid != null) {
            outcome = NodeMessage.Outcome.INVALID;
            detail = invalid;
        } else {
            ProposeResult result = raft.propose(command);
            if (result instanceof ProposeResult.Accepted accepted) {
                outcome = NodeMessage.Outcome.OK;
                index = accepted.index();
            } else if (result instanceof ProposeResult.Rejected rejected) {
                boolean leads = raft.role() == Role.LEADER;
                outcome = leads ? NodeMessage.Outcome.REJECTED : NodeMessage.Outcome.NOT_LEADER;
                detail = leads ? rejected.reason() : Objects.requireNonNullElse(rejected.leaderHint(), "");
            } else {
                throw new IllegalStateException("unknown propose result " + result);
            }
        }
        // The answer carries the term the copy was sent in, not ours: it names the copy, so the
        // sender tells it from an answer to an earlier copy sent to us in another term.
        sendToPeer(new NodeMessage.ForwardWriteResponse(raft.clusterIdentity(), config.id(), forward.from(),
                forward.term(), requestId.clientId(), requestId.sequence(), outcome, index, detail));
    }

    /** Why a forwarded command must not be proposed, or null: the leader refuses garbage at the door. */
    private String invalidForwardedCommand(byte[] command, RequestId requestId) {
        if (command.length > config.commandBytesMax()) {
            return "a command of " + command.length + " bytes exceeds commandBytesMax " + config.commandBytesMax();
        }
        try {
            Command decoded = CommandCodec.decode(command);
            if (!decoded.requestId().hasSession() || !decoded.requestId().equals(requestId)) {
                return "a forwarded write needs a request id with a session, had " + decoded.requestId();
            }
            return null;
        } catch (RuntimeException e) {
            return "the command does not decode: " + e.getMessage();
        }
    }

    private void handleReadIndexResponse(NodeMessage.ReadIndexResponse response) {
        PendingRead read = pendingReads.get(response.readId());
        if (read == null || read.readIndex >= 0 || !response.from().equals(read.askedLeader)) {
            return;
        }
        switch (response.outcome()) {
            case OK -> releaseRead(read, response.readIndex());
            case NOT_LEADER, LEADERSHIP_LOST -> read.askedLeader = null; // Ask again once a leader is known.
            case REJECTED -> failPendingRead(read, new NodeException.Rejected(response.detail()));
            case OVERLOADED -> failPendingRead(read, new NodeException.Overloaded("leader " + response.from()
                    + ": " + response.detail()));
            case INVALID -> throw new IllegalStateException("leader " + response.from()
                    + " called read index request " + response.readId() + " invalid: " + response.detail());
        }
    }

    private void failPendingRead(PendingRead read, NodeException reason) {
        pendingReads.remove(read.id);
        read.future.completeExceptionally(reason);
    }

    private void answerPeerRead(String peer, long readId, NodeMessage.Outcome outcome, long readIndex, String detail) {
        sendToPeer(new NodeMessage.ReadIndexResponse(raft.clusterIdentity(), config.id(), peer, raft.status().term(),
                readId, outcome, readIndex, detail));
    }

    private void failPeerRead(String peer, long readId, FailedRead.Reason reason) {
        switch (reason) {
            case NOT_LEADER -> answerPeerRead(peer, readId, NodeMessage.Outcome.NOT_LEADER, 0,
                    Objects.requireNonNullElse(raft.status().leaderId(), ""));
            case LEADERSHIP_LOST -> answerPeerRead(peer, readId, NodeMessage.Outcome.LEADERSHIP_LOST, 0, "");
            case TRANSFER_IN_PROGRESS -> answerPeerRead(peer, readId, NodeMessage.Outcome.REJECTED, 0,
                    "leadership transfer under way");
            case TOO_MANY_PENDING -> answerPeerRead(peer, readId, NodeMessage.Outcome.OVERLOADED, 0,
                    "the core holds pendingReadsMax reads");
        }
    }

    private static byte[] localReadContext(long readId) {
        return ByteBuffer.allocate(1 + Long.BYTES).put(READ_CONTEXT_LOCAL).putLong(readId).array();
    }

    /** A peer's read names its origin and its read id, so the leader keeps nothing for it. */
    private static byte[] peerReadContext(String peer, long readId) {
        byte[] id = peer.getBytes(StandardCharsets.UTF_8);
        return ByteBuffer.allocate(1 + Long.BYTES + id.length).put(READ_CONTEXT_PEER).putLong(readId).put(id).array();
    }

    private static String peerOf(ByteBuffer context) {
        byte[] id = new byte[context.remaining()];
        context.get(id);
        return new String(id, StandardCharsets.UTF_8);
    }

    // ---------------------------------------------------------------- admin

    private void handleSnapshotNow(CompletableFuture<SnapshotMetadata> future) {
        if (snapshotRequests.size() >= SNAPSHOT_REQUESTS_MAX) {
            future.completeExceptionally(new NodeException.Overloaded("SNAPSHOT_REQUESTS_MAX "
                    + SNAPSHOT_REQUESTS_MAX + " snapshot requests are waiting"));
            return;
        }
        snapshotRequests.add(new SnapshotRequest(future, store.appliedIndex()));
    }

    /**
     * Answers the snapshot requests that the log's snapshot now covers: with the last snapshot
     * when nothing was applied since the request, else once a snapshot at or after the index
     * applied when it arrived is published ({@link #maybeStartSnapshot} starts one for them).
     */
    private void serveSnapshotRequests() {
        if (snapshotRequests.isEmpty() || awaitingDurability != null) {
            return; // An admin is told of a snapshot once its name is durable.
        }
        SnapshotMetadata latest = storage.snapshot();
        boolean published = false;
        Iterator<SnapshotRequest> it = snapshotRequests.iterator();
        while (it.hasNext()) {
            SnapshotRequest request = it.next();
            if (request.targetIndex() <= snapshotIndex) {
                if (!published) {
                    publishStatus(); // A caller told of the snapshot must find it in status() too.
                    published = true;
                }
                request.future().complete(latest);
                it.remove();
            }
        }
    }

    private void handleTransfer(Transfer transfer) {
        Status core = raft.status();
        if (core.role() != Role.LEADER) {
            transfer.future().completeExceptionally(new NodeException.NotLeader(config.id(), core.leaderId()));
            return;
        }
        if (transfer.target().equals(config.id())) {
            transfer.future().complete(null);
            return;
        }
        if (transfers.size() >= TRANSFERS_MAX) {
            transfer.future().completeExceptionally(new NodeException.Overloaded("TRANSFERS_MAX " + TRANSFERS_MAX
                    + " leadership transfers are waiting"));
            return;
        }
        raft.transferLeadership(transfer.target());
        transfers.add(new PendingTransfer(transfer.target(), transfer.future(),
                System.nanoTime() + 2 * electionTimeoutNanos));
    }

    /** Completes transfers whose target this node now sees leading; times out the others. */
    private void checkTransfers(long nowNanos) {
        if (transfers.isEmpty()) {
            return;
        }
        String leader = raft.status().leaderId();
        Iterator<PendingTransfer> it = transfers.iterator();
        while (it.hasNext()) {
            PendingTransfer transfer = it.next();
            if (transfer.target().equals(leader)) {
                publishStatus(); // A caller told of the new leader must find it in status() too.
                transfer.future().complete(null);
                it.remove();
            } else if (nowNanos - transfer.deadlineNanos() > 0) {
                transfer.future().completeExceptionally(new NodeException.Timeout("the leadership transfer to "
                        + transfer.target(), 2 * config.electionTimeoutMs()));
                it.remove();
            }
        }
    }

    /**
     * Logs a warning when a timing warning appears and an info line when it clears, once each.
     * At most ten times a second: a p99 sorts the recorders' windows, and under load a new
     * fsync sample arrives on almost every turn of the loop, which must not pay for that each
     * time (once a tick, it was a visible share of a busy loop); a p99 over a window of recent
     * samples moves slowly anyway.
     */
    private void checkTimingWarnings(long nowNanos) {
        long samples = persistDurations.count() + snapshotDurations.count();
        if (samples == timingSamplesSeen || nowNanos - lastTimingCheckNanos < TIMING_CHECK_INTERVAL_NANOS) {
            return;
        }
        lastTimingCheckNanos = nowNanos;
        timingSamplesSeen = samples;
        List<String> current = timingWarnings();
        for (String warning : current) {
            if (!timingWarningsLogged.contains(warning.substring(0, warning.indexOf(' ')))) {
                LOG.log(Level.WARNING, "event=timing-warning node=" + config.id() + " " + warning);
            }
        }
        List<String> kinds = current.stream().map(warning -> warning.substring(0, warning.indexOf(' '))).toList();
        for (String kind : timingWarningsLogged) {
            if (!kinds.contains(kind)) {
                LOG.log(Level.INFO, "event=timing-warning-cleared node=" + config.id() + " kind=" + kind);
            }
        }
        timingWarningsLogged = kinds;
    }

    /** Monotonic milliseconds for the store's waiter deadlines (the store reads no clock). */
    private long nowMs() {
        return TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - clockOriginNanos);
    }

    /** raft/PROTOCOL.md, "The runtime handles a Ready in this order". */
    private void processReadies() throws IOException {
        while (raft.hasReady()) {
            Ready ready = raft.ready();
            // Thesis §10.2.1: these may leave while our own disk write is under way.
            send(ready.messages());
            long persistStart = System.nanoTime();
            SnapshotMetadata installed = storage.persist(ready); // durable on return
            if (ready.mustSync()) {
                persistDurations.record(System.nanoTime() - persistStart);
            }
            if (installed != null) {
                installSnapshot(installed);
            }
            // Thesis §3.8: votes and acknowledgements promise durable state, so only now.
            send(ready.messagesAfterPersist());
            apply(ready.committedEntries());
            reportBlobs();
            ready.readStates().forEach(this::releaseRead);
            ready.failedReads().forEach(this::failRead);
            serveReleasedReads();
            raft.advance(ready);
            long raftApplied = raft.appliedIndex();
            if (store.appliedIndex() != raftApplied) {
                throw new IllegalStateException("the store applied " + store.appliedIndex()
                        + " but the core says " + raftApplied);
            }
        }
    }

    private void send(List<Message> messages) {
        if (messages.isEmpty()) {
            return;
        }
        boolean watched = live.watched();
        for (Message message : messages) {
            if (watched) {
                live.onMessage(System.nanoTime(), message);
            }
            if (!transport.send(message)) {
                messagesDropped.incrementAndGet(); // Raft resends (TRANSPORT.md section 9, point 4).
            }
        }
        transport.flush();
    }

    private void installSnapshot(SnapshotMetadata installed) throws IOException {
        ConfigStore restored = restoreStore(storage, installed, blockingReads);
        // Waiters are local and not in snapshots (STORE.md): move them to the new store, which
        // answers those whose key the snapshot changed.
        blockingReads.replaceStore(restored);
        store = restored;
        snapshotIndex = installed.lastIncludedIndex();
        live.onEvent(System.nanoTime(), "snapshot-installed", "index", installed.lastIncludedIndex(),
                "term", installed.lastIncludedTerm());
        // The installed snapshot is durable here and holds pointers only: fetch what is missing.
        blobs.snapshotDurable(installed.lastIncludedIndex(), restored.blobRefs().digests());
        blobs.applied(restored.blobRefs().pointers());
        snapshotAppliedBytes = appliedBytes;
        // A write forwarded from here may have committed inside the snapshot, where this node
        // never sees its entry applied: send it again; the store's session for its request id
        // answers with the first result without applying it twice (thesis §6.3).
        writes.snapshotInstalled();
        // A leader never installs a snapshot, so proposals still waiting here were made in a
        // term this node has since lost; the entries they name were replaced or compacted.
        Iterator<Map.Entry<Long, PendingProposal>> it = pendingProposals.entrySet().iterator();
        while (it.hasNext()) {
            Map.Entry<Long, PendingProposal> entry = it.next();
            if (entry.getKey() <= installed.lastIncludedIndex()) {
                entry.getValue().future().completeExceptionally(new NodeException.LeadershipLost(
                        "a snapshot at " + installed.lastIncludedIndex() + " replaced index " + entry.getKey()));
                it.remove();
            }
        }
    }

    /** A pointer applied here whose blob this node may lack: the blob thread fetches it. */
    private void noteBlobApplied(ApplyResult result) {
        KeyMeta meta = result instanceof ApplyResult.Created created ? created.meta()
                : result instanceof ApplyResult.Updated updated ? updated.meta()
                : result instanceof ApplyResult.Relocated relocated ? relocated.meta() : null;
        if (meta != null && meta.blob()) {
            store.get(meta.namespace(), meta.key()).ifPresent(stored -> appliedPointers.add(
                    (Value.BlobPointer) stored.value()));
        }
    }

    /** Hands the blob thread what the last batch applied: pointers to fetch, released blobs. */
    private void reportBlobs() {
        if (!appliedPointers.isEmpty()) {
            blobs.applied(List.copyOf(appliedPointers));
            appliedPointers.clear();
        }
        if (!store.blobRefs().drainReleased().isEmpty()) {
            blobs.released();
        }
    }

    private void apply(List<Entry> entries) {
        for (Entry entry : entries) {
            ApplyResult result = null;
            appliedBytes += entry.sizeBytes();
            if (entry.type() == Entry.Type.NORMAL) {
                result = store.apply(entry.index(), entry.data());
                writes.applied(entry.data(), result);
                noteBlobApplied(result);
            } else {
                store.applyNoOp(entry.index());
            }
            PendingProposal pending = pendingProposals.remove(entry.index());
            if (pending == null) {
                continue;
            }
            if (result != null && pending.term() == entry.term()) {
                pending.future().complete(result);
            } else {
                pending.future().completeExceptionally(new NodeException.LeadershipLost("index " + entry.index()
                        + " was committed with an entry of term " + entry.term() + ", the proposal had term "
                        + pending.term()));
            }
        }
    }

    private void releaseRead(ReadState state) {
        ByteBuffer context = ByteBuffer.wrap(state.context());
        if (context.get() == READ_CONTEXT_PEER) {
            long readId = context.getLong();
            // Thesis §6.4: the leader need not wait for its own apply; the follower waits for its own.
            answerPeerRead(peerOf(context), readId, NodeMessage.Outcome.OK, state.readIndex(), "");
            return;
        }
        releaseRead(pendingReads.get(context.getLong()), state.readIndex());
    }

    /** Marks the read safe at {@code readIndex}; it is served once the store applied that far. */
    private void releaseRead(PendingRead read, long readIndex) {
        if (read == null || read.readIndex >= 0) {
            return; // It timed out meanwhile and was answered then, or was released already.
        }
        read.readIndex = readIndex;
        releasedReads.add(read);
    }

    private void failRead(FailedRead failed) {
        ByteBuffer context = ByteBuffer.wrap(failed.context());
        if (context.get() == READ_CONTEXT_PEER) {
            long readId = context.getLong();
            failPeerRead(peerOf(context), readId, failed.reason());
            return;
        }
        PendingRead read = pendingReads.remove(context.getLong());
        if (read == null) {
            return;
        }
        NodeException reason = switch (failed.reason()) {
            case NOT_LEADER -> new NodeException.NotLeader(config.id(), raft.status().leaderId());
            case LEADERSHIP_LOST -> new NodeException.LeadershipLost("before the read was confirmed");
            case TRANSFER_IN_PROGRESS -> new NodeException.Rejected("leadership transfer under way");
            case TOO_MANY_PENDING -> new NodeException.Overloaded("the core holds pendingReadsMax reads");
        };
        read.future.completeExceptionally(reason);
    }

    private void serveReleasedReads() {
        while (!releasedReads.isEmpty() && releasedReads.peek().readIndex <= store.appliedIndex()) {
            PendingRead read = releasedReads.poll();
            if (pendingReads.remove(read.id) != null) {
                complete(read, read.readIndex);
            }
        }
    }

    /** Fails requests older than requestTimeoutMs: their outcome is unknown. */
    private void expireRequests(long nowNanos) {
        // Runs every turn of the loop: the exception (and its stack trace) is made only when
        // something expires.
        NodeException.Timeout timeout = null;
        Iterator<PendingProposal> proposals = pendingProposals.values().iterator();
        while (proposals.hasNext()) {
            PendingProposal pending = proposals.next();
            if (nowNanos - pending.deadlineNanos() <= 0) {
                break;
            }
            timeout = timeout != null ? timeout : new NodeException.Timeout(config.requestTimeoutMs());
            pending.future().completeExceptionally(timeout);
            proposals.remove();
        }
        Iterator<PendingRead> reads = pendingReads.values().iterator();
        while (reads.hasNext()) {
            PendingRead read = reads.next();
            if (nowNanos - read.deadlineNanos <= 0) {
                break;
            }
            timeout = timeout != null ? timeout : new NodeException.Timeout(config.requestTimeoutMs());
            read.future.completeExceptionally(timeout);
            reads.remove();
        }
        if (writes.anyExpired(nowNanos)) {
            writes.expire(nowNanos, timeout != null ? timeout : new NodeException.Timeout(config.requestTimeoutMs()));
        }
    }

    /**
     * Starts a snapshot when snapshotIntervalEntries entries were applied since the last one,
     * or when an admin asked for one, and none is in flight (the interval is a minimum: a
     * snapshot due while another is written waits for it to end). Only a committed applied
     * index is snapshotted, and only once that commit index is durable.
     */
    private void maybeStartSnapshot() {
        if (snapshotInFlight != null || awaitingDurability != null) {
            return;
        }
        long applied = store.appliedIndex();
        if (applied <= snapshotIndex || applied > storage.hardState().commitIndex()) {
            return;
        }
        boolean due = (applied - snapshotIndex >= config.snapshotIntervalEntries()
                || appliedBytes - snapshotAppliedBytes >= config.snapshotLogBytesMax())
                && System.nanoTime() - nextSnapshotNotBeforeNanos >= 0;
        boolean asked = snapshotRequests.stream().anyMatch(request -> request.targetIndex() > snapshotIndex);
        if (due || asked) {
            startSnapshot();
        }
    }

    /**
     * Thesis §5.2: the store is an in-memory state machine, so it is snapshotted copy-on-write.
     * The loop opens a point-in-time view (cheap: the live maps are concurrent and records
     * immutable, STORE.md "Point-in-time view") and reads the snapshot's term from the log it
     * owns; the snapshot thread streams the view into a temporary file and makes it durable
     * while the loop goes on applying; {@link #finishSnapshot} publishes it on the loop.
     */
    private void startSnapshot() {
        long startNanos = System.nanoTime();
        SnapshotView view = store.openSnapshot();
        snapshotAppliedBytes = appliedBytes;
        long index = view.appliedIndex();
        long term;
        try {
            term = storage.snapshotTerm(index);
        } catch (RuntimeException failed) {
            view.close();
            throw failed;
        }
        SnapshotStore snapshots = storage.snapshots();
        CompletableFuture<SnapshotWrite> written = new CompletableFuture<>();
        long handedOverNanos = System.nanoTime();
        snapshotWriter.execute(() -> {
            try {
                long beganNanos = System.nanoTime();
                long cpuBeganNanos = THREADS.getCurrentThreadCpuTime();
                long[] bodyWrittenNanos = new long[1];
                long[] fileWriteNanos = new long[1];
                SnapshotStore.Prepared prepared = snapshots.prepare(index, term, out -> {
                    TimedOutput timed = new TimedOutput(out);
                    view.writeTo(timed);
                    bodyWrittenNanos[0] = System.nanoTime();
                    fileWriteNanos[0] = timed.nanos;
                });
                written.complete(new SnapshotWrite(prepared, beganNanos, bodyWrittenNanos[0], System.nanoTime(),
                        THREADS.getCurrentThreadCpuTime() - cpuBeganNanos, fileWriteNanos[0]));
            } catch (Throwable failed) {
                written.completeExceptionally(failed); // The loop rethrows it (STYLE 10).
            }
            // Only a wake-up: when the inbox is full the loop is busy and finishes the
            // snapshot on its next turn anyway.
            inbox.offer(SNAPSHOT_WRITTEN);
        });
        snapshotInFlight = new SnapshotInFlight(view, written, startNanos, handedOverNanos, collectorMillis());
        // A key deleted while the view is written releases its blob from the live counts, but
        // the snapshot holds it: every blob live now is kept until the snapshot is published.
        blobs.snapshotPending(index, store.blobRefs().digests());
    }

    /**
     * Publishes the snapshot the snapshot thread wrote (the rename; the log adopts it) on the
     * loop, which owns the log; compactOnceDurable compacts once the directory fsync returned.
     * A failure of the write stops the node like any storage failure (STYLE 10). The recorded duration runs from opening the view to publishing.
     */
    private void finishSnapshot() throws IOException {
        SnapshotInFlight done = snapshotInFlight;
        if (done == null || !done.written().isDone()) {
            return;
        }
        snapshotInFlight = null;
        long pickedUpNanos = System.nanoTime();
        done.view().close(); // The writer has returned: release the preserved records.
        SnapshotWrite write = writtenFile(done);
        // Renamed and adopted here; the directory fsync runs on the snapshot thread, and the
        // log is compacted once it returned (compactOnceDurable), so the loop waits for no
        // fsync and a crash before it falls back on the previous snapshot and the whole log.
        SnapshotMetadata taken = storage.publishTaken(write.prepared());
        if (taken != null) {
            snapshotIndex = taken.lastIncludedIndex();
            SnapshotStore snapshots = storage.snapshots();
            CompletableFuture<Void> synced = new CompletableFuture<>();
            awaitingDurability = taken;
            awaitingDurabilityBlobs = done.view().writtenBlobs(); // What the file holds, relocations included.
            // Followers may be sent it from now on; kept until durable, then as the durable one.
            blobs.snapshotPending(taken.lastIncludedIndex(), awaitingDurabilityBlobs);
            durability = synced;
            snapshotWriter.execute(() -> {
                try {
                    snapshots.syncDirectory();
                    synced.complete(null);
                } catch (Throwable failed) {
                    synced.completeExceptionally(failed); // The loop rethrows it (STYLE 10).
                }
                inbox.offer(SNAPSHOT_WRITTEN); // A wake-up only, as for the write.
            });
        } else { // A leader's snapshot installed meanwhile covers it; the file was deleted.
            blobs.snapshotAbandoned();
        }
        long endNanos = System.nanoTime();
        long nanos = endNanos - done.startNanos();
        snapshotDurations.record(nanos);
        nextSnapshotNotBeforeNanos = endNanos + SNAPSHOT_SPACING_FACTOR * nanos;
        long millis = TimeUnit.NANOSECONDS.toMillis(nanos);
        if (taken != null) {
            live.onEvent(endNanos, "snapshot-taken", "index", taken.lastIncludedIndex(),
                    "term", taken.lastIncludedTerm(), "ms", nanos / 1e6);
        }
        if (millis > config.electionTimeoutMs() / 2) {
            LOG.log(Level.WARNING, "node " + config.id() + ": a snapshot took " + millis
                    + " ms from view to publication, more than half of electionTimeoutMs "
                    + config.electionTimeoutMs() + "; " + breakdown(done, write, pickedUpNanos, endNanos));
        } else if (millis >= config.electionTimeoutMs() / SNAPSHOT_SLOW_FRACTION) {
            // The timing order's example (snapshot 100 ms < election 1 s): slow, not yet a danger.
            LOG.log(Level.INFO, "node " + config.id() + ": a snapshot took " + millis
                    + " ms from view to publication, a tenth of electionTimeoutMs or more; "
                    + breakdown(done, write, pickedUpNanos, endNanos));
        }
    }

    /** Compacts the log to the published snapshot once the snapshot thread made its name durable. */
    private void compactOnceDurable() throws IOException {
        if (awaitingDurability == null || !durability.isDone()) {
            return;
        }
        storage.compactTo(awaitDurability());
    }

    /**
     * Waits for the directory fsync of the published snapshot (bounded), clears the pair of
     * fields that track it, and returns the snapshot, or the fsync's failure as this call's.
     */
    private SnapshotMetadata awaitDurability() throws IOException {
        SnapshotMetadata published = awaitingDurability;
        CompletableFuture<Void> synced = durability;
        Set<BlobDigest> publishedBlobs = awaitingDurabilityBlobs;
        awaitingDurability = null;
        awaitingDurabilityBlobs = null;
        durability = null;
        try {
            synced.join();
            // Blobs it no longer references may go (NODE.md, "Blobs").
            blobs.snapshotDurable(published.lastIncludedIndex(), publishedBlobs);
            return published;
        } catch (java.util.concurrent.CompletionException failed) {
            throw new IOException("making the snapshot at " + published.lastIncludedIndex() + " durable failed",
                    failed.getCause());
        }
    }

    /** Where a snapshot's time went, in milliseconds, for the warning above. */
    private static String breakdown(SnapshotInFlight done, SnapshotWrite write, long pickedUpNanos, long endNanos) {
        return String.format(java.util.Locale.ROOT,
                "view %.1f ms, waiting for the snapshot thread %.1f ms, serialising %.1f ms (of which %.1f ms"
                        + " handing bytes to the file), header and fsync %.1f ms,"
                        + " waiting for the loop %.1f ms, publishing %.1f ms;"
                        + " the snapshot thread used %.1f ms of CPU, the collector %d ms meanwhile",
                (done.handedOverNanos() - done.startNanos()) / 1e6, (write.beganNanos() - done.handedOverNanos()) / 1e6,
                (write.bodyWrittenNanos() - write.beganNanos()) / 1e6, write.fileWriteNanos() / 1e6,
                (write.durableNanos() - write.bodyWrittenNanos()) / 1e6, (pickedUpNanos - write.durableNanos()) / 1e6,
                (endNanos - pickedUpNanos) / 1e6, write.cpuNanos() / 1e6,
                collectorMillis() - done.collectorMillisAtStart());
    }

    /** The prepared file of a finished write, or the write's failure as this call's. */
    private static SnapshotWrite writtenFile(SnapshotInFlight done) throws IOException {
        try {
            return done.written().join();
        } catch (java.util.concurrent.CompletionException failed) {
            Throwable cause = failed.getCause();
            if (cause instanceof IOException io) {
                throw new IOException("writing the snapshot at " + done.view().appliedIndex() + " failed", io);
            }
            throw failed;
        }
    }

    /**
     * When the loop ends: waits for a published snapshot's directory fsync, and for the
     * snapshot being written (a bounded file write) and deletes its file, which was never
     * published, so no temporary file is left behind by a clean stop. A failure here is the
     * node's failure, not dropped.
     */
    private void abandonSnapshot() {
        if (awaitingDurability != null) {
            // A published snapshot's directory fsync (bounded): a clean stop leaves it durable,
            // and the next start need not compact to a name that could still be lost.
            try {
                awaitDurability();
            } catch (IOException failed) {
                recordStopFailure("making the last snapshot durable failed", failed);
            }
        }
        SnapshotInFlight abandoned = snapshotInFlight;
        if (abandoned == null) {
            return;
        }
        snapshotInFlight = null;
        blobs.snapshotAbandoned();
        try {
            SnapshotWrite write;
            try {
                write = writtenFile(abandoned);
            } finally {
                abandoned.view().close(); // The writer is done with it, whether it wrote or failed.
            }
            storage.discardTaken(write.prepared());
        } catch (IOException | RuntimeException failed) {
            recordStopFailure("abandoning the snapshot being written failed", failed);
        }
    }

    /** A failure while the loop ends: logged and kept as the node's failure, never dropped. */
    private void recordStopFailure(String what, Throwable failed) {
        LOG.log(Level.ERROR, "node " + config.id() + ": " + what, failed);
        if (failure == null) {
            failure = failed;
        } else {
            failure.addSuppressed(failed);
        }
    }

    /** STYLE 7: the invariants written on the fields, checked always. */
    private void checkInvariants() {
        writes.checkInvariants();
        if ((awaitingDurability == null) != (durability == null)
                || (awaitingDurability != null && snapshotInFlight != null)) {
            throw new IllegalStateException("snapshot pipeline: awaiting durability " + awaitingDurability
                    + ", in flight " + (snapshotInFlight != null) + "; one snapshot at a time");
        }
        if (snapshotAppliedBytes > appliedBytes) {
            throw new IllegalStateException("bytes applied at the snapshot " + snapshotAppliedBytes
                    + " exceed the bytes applied " + appliedBytes);
        }
        if (snapshotIndex > store.appliedIndex()) {
            throw new IllegalStateException("snapshot index " + snapshotIndex + " is above the applied index "
                    + store.appliedIndex());
        }
        if (pendingRequestCount() > config.pendingRequestsMax()) {
            throw new IllegalStateException("pending requests exceed pendingRequestsMax "
                    + config.pendingRequestsMax());
        }
        if (blockingReads.size() != store.waiterCount()) {
            throw new IllegalStateException("the node holds " + blockingReads.size() + " blocking reads, the store "
                    + store.waiterCount() + " waiters");
        }
        if (snapshotRequests.size() > SNAPSHOT_REQUESTS_MAX) {
            throw new IllegalStateException("snapshot requests exceed SNAPSHOT_REQUESTS_MAX");
        }
        if (transfers.size() > TRANSFERS_MAX) {
            throw new IllegalStateException("leadership transfers exceed TRANSFERS_MAX");
        }
    }

    private void publishStatus() {
        Status core = raft.status();
        Throwable failed = failure;
        NodeStatus previous = status;
        status = new NodeStatus(core.id(), core.role(), core.term(), core.leaderId(), core.commitIndex(),
                store.appliedIndex(), core.lastIndex(), snapshotIndex, ticks,
                failed == null ? null : failed.toString());
        if (previous == null || previous.role() != core.role()) {
            // CONTRACT: one event per line, with role= on every role change.
            LOG.log(Level.INFO, "event=role-change node=" + core.id() + " role=" + core.role() + " term="
                    + core.term() + " leader=" + core.leaderId());
            live.onEvent(System.nanoTime(), "role-change", "role", core.role().name(), "term", core.term(),
                    "leader", core.leaderId());
        }
        if (core.role() == Role.CANDIDATE && (previous == null || previous.role() != Role.CANDIDATE
                || previous.term() != core.term())) {
            // A real election (past the pre-vote): the fault-injection suite's timing check counts these.
            electionsStarted.incrementAndGet();
            live.onEvent(System.nanoTime(), "election", "role", core.role().name(), "term", core.term(),
                    "leader", core.leaderId());
        }
        if (core.leaderId() != null && (previous == null || !core.leaderId().equals(previous.leaderId()))) {
            leaderChanges.incrementAndGet();
            LOG.log(Level.INFO, "event=leader-change node=" + core.id() + " leader=" + core.leaderId() + " term="
                    + core.term() + " role=" + core.role());
            live.onEvent(System.nanoTime(), "leader-change", "role", core.role().name(), "term", core.term(),
                    "leader", core.leaderId());
        }
    }

    /** The live view's watchers and what the loop publishes to them. */
    public LiveView liveView() {
        return live;
    }

    /** Where each member serves its client API: this node's own and what peers announced. */
    public Map<String, String> memberClientUrls() {
        Map<String, String> urls = new java.util.TreeMap<>();
        PeerTransport current = transport;
        if (current != null) {
            urls.putAll(current.peerClientUrls());
        }
        if (clientUrl != null) {
            urls.put(config.id(), clientUrl);
        }
        return urls;
    }

    /** The live view's state frame, built on the loop after a turn, when someone watches. */
    private String liveState(long timeMs) {
        Status core = raft.status();
        SnapshotMetadata snapshot = storage.snapshot();
        long last = storage.lastIndex();
        long lastTerm = last == snapshot.lastIncludedIndex() ? snapshot.lastIncludedTerm() : storage.term(last);
        long first = Math.max(storage.firstIndex(), last - LIVE_LOG_ENTRIES + 1);
        List<LiveJson.LogEntry> log = new ArrayList<>();
        // Terms only, from memory: no entry is read. Every leader appends its no-op first in
        // its term (RaftNode.becomeLeader), so an entry whose term differs from the one
        // before it is that no-op.
        long previousTerm = first - 1 == snapshot.lastIncludedIndex() ? snapshot.lastIncludedTerm()
                : first <= last ? storage.term(first - 1) : 0;
        for (long index = first; index <= last; index++) {
            long term = storage.term(index);
            log.add(new LiveJson.LogEntry(index, term, term != previousTerm ? Entry.Type.NO_OP : Entry.Type.NORMAL));
            previousTerm = term;
        }
        long now = System.nanoTime();
        if (liveTimings == null || now - liveTimingsNanos >= LIVE_TIMINGS_INTERVAL_NANOS) {
            // Percentiles sort the recent window: once a second is enough for a drawing.
            liveTimings = new LiveJson.Timing[] {timing(persistDurations), timing(snapshotDurations)};
            liveTimingsNanos = now;
        }
        return LiveJson.state(config.id(), timeMs, new LiveJson.State(core, last, lastTerm, store.appliedIndex(),
                snapshot.lastIncludedIndex(), snapshot.lastIncludedTerm(), log, liveTimings[0], liveTimings[1],
                electionsStarted.get(), leaderChanges.get()));
    }

    static final long LIVE_TIMINGS_INTERVAL_NANOS = TimeUnit.SECONDS.toNanos(1);
    /** The fsync and snapshot timings the live view last computed, and when. Loop only. */
    private LiveJson.Timing[] liveTimings;
    private long liveTimingsNanos;

    /** Entries of the log the live view shows per node. */
    static final int LIVE_LOG_ENTRIES = 16;

    private static LiveJson.Timing timing(DurationRecorder recorder) {
        return new LiveJson.Timing(recorder.p50Nanos() / 1e6, recorder.p99Nanos() / 1e6,
                recorder.maxNanos() / 1e6, recorder.count());
    }

    /** How many elections this node started as a candidate (pre-votes that went no further not counted). */
    public long electionsStarted() {
        return electionsStarted.get();
    }

    /** How many times this node saw a new leader (etcd's leader_changes_seen_total). */
    public long leaderChangesSeen() {
        return leaderChanges.get();
    }

    // ================================================================ shutdown

    /** Stops ticking, stops the loop, closes the transport and the storage. Idempotent. */
    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        stopping = true;
        ticker.shutdownNow();
        boolean interrupted = false;
        if (loopThread.isAlive()) {
            while (true) {
                try {
                    loopThread.join();
                    break;
                } catch (InterruptedException e) {
                    interrupted = true;
                }
            }
        } else {
            loopEnded = true;
        }
        failQueuedClientEvents();
        // After the loop: it ended with no snapshot in flight (abandonSnapshot), so nothing is
        // cut short, and it can no longer hand the thread a task that would be refused.
        snapshotWriter.shutdown();
        if (transport != null) {
            transport.close();
        }
        if (blobs != null) {
            blobs.close();
        }
        try {
            storage.close();
        } catch (IOException e) {
            throw new java.io.UncheckedIOException("closing the storage of node " + config.id(), e);
        } finally {
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
        }
    }
}

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
import io.confman.storage.raft.DurableLogStorage;
import io.confman.storage.raft.StorageOptions;
import io.confman.store.ApplyResult;
import io.confman.store.ConfigStore;
import io.confman.store.SnapshotView;
import io.confman.store.StoreLimits;
import io.confman.store.WaitListener;
import io.confman.store.command.Command;
import io.confman.store.command.CommandCodec;
import io.confman.store.command.RequestId;
import io.confman.transport.PeerTransport;
import io.confman.transport.TransportStats;
import java.io.IOException;
import java.io.InputStream;
import java.lang.System.Logger.Level;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.PriorityQueue;
import java.util.SplittableRandom;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executors;
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

    private static final Tick TICK = new Tick();

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
        /** Set when the core says the read is safe; -1 until then. */
        long readIndex = -1;

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
    // Bounded (STYLE 9): a full inbox refuses; the HTTP layer answers 429.
    private final ArrayBlockingQueue<Event> inbox;
    private final ScheduledExecutorService ticker;
    private final Thread loopThread;
    private final AtomicLong readIds = new AtomicLong();
    private final AtomicLong requestIds = new AtomicLong();
    private final AtomicLong leaderChanges = new AtomicLong();
    /** Random per process start, so ids of a restarted node never repeat the old ones. */
    private final long requestIdBase = (new SplittableRandom().nextLong() & 0x3fff_ffffL) << 32;
    private final DurationRecorder persistDurations = new DurationRecorder();
    private final DurationRecorder snapshotDurations = new DurationRecorder();
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
    private long ticks;
    // Invariant: snapshotIndex <= store.appliedIndex().
    private long snapshotIndex;

    private ConfmanNode(NodeConfig config, DurableLogStorage storage, ConfigStore store) {
        this.config = config;
        this.requestTimeoutNanos = TimeUnit.MILLISECONDS.toNanos(config.requestTimeoutMs());
        this.inbox = new ArrayBlockingQueue<>(config.inboxEventsMax());
        this.storage = storage;
        this.store = store;
        this.snapshotIndex = storage.snapshot().lastIncludedIndex();
        this.raft = new RaftNode(config.raftConfig(), storage, storage.snapshots(), new SplittableRandom(),
                config.clusterIdentity());
        this.ticker = Executors.newSingleThreadScheduledExecutor(runnable -> {
            Thread thread = new Thread(runnable, "confman-tick-" + config.id());
            thread.setDaemon(true);
            return thread;
        });
        this.loopThread = new Thread(this::runLoop, "confman-node-" + config.id());
        publishStatus();
    }

    /**
     * Opens the data directory (refusing one of another cluster or node), restores the store
     * from the latest snapshot, builds the core, starts the transport, the loop and the ticks.
     */
    public static ConfmanNode start(NodeConfig config) throws IOException {
        Objects.requireNonNull(config, "config");
        DurableLogStorage storage = DurableLogStorage.open(config.dataDir(), config.clusterIdentity(), config.id(),
                StorageOptions.defaults());
        ConfmanNode node;
        try {
            ConfigStore store = restoreStore(storage, storage.snapshot());
            node = new ConfmanNode(config, storage, store);
        } catch (IOException | RuntimeException e) {
            storage.close();
            throw e;
        }
        try {
            node.transport = PeerTransport.start(config.transportConfig(), node::onInbound);
            node.loopThread.start();
            node.ticker.scheduleAtFixedRate(node::onTimer, config.tickMs(), config.tickMs(), TimeUnit.MILLISECONDS);
        } catch (RuntimeException e) {
            node.close();
            throw e;
        }
        return node;
    }

    private static ConfigStore restoreStore(DurableLogStorage storage, SnapshotMetadata snapshot) throws IOException {
        if (snapshot.lastIncludedIndex() == 0) {
            return new ConfigStore(StoreLimits.DEFAULTS, WaitListener.NONE);
        }
        // Blocking reads (waiters) come with the HTTP layer; until then no waiter exists and
        // a listener that throws when fired is the honest one.
        try (InputStream body = storage.snapshots().openBody(snapshot)) {
            ConfigStore store = ConfigStore.restore(body, StoreLimits.DEFAULTS, WaitListener.NONE);
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

    /** A linearizable read (thesis §6.4): completes with the read index once the store applied it. */
    public CompletableFuture<Long> linearizableRead() {
        return submitRead(true, (store, readIndex) -> readIndex);
    }

    /**
     * Runs {@code function} on the loop against the store once a ReadIndex confirmed this node's
     * leadership and the store applied up to the read index: its result is linearizable.
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
    // The calls below are what the HTTP front uses. Until forwarding lands they behave as on
    // a leader-only node: a follower answers NotLeader. See NODE.md, "Not done yet".

    /**
     * A request id no other write of this cluster uses (STORE.md, client sessions): a fresh
     * client id with sequence 1. The HTTP layer builds each write's command with one, and a
     * retry of that write (by the forwarding path) reuses it, so the store applies it once.
     */
    public RequestId nextRequestId() {
        return new RequestId(requestIdBase + requestIds.incrementAndGet(), 1);
    }

    /**
     * Writes {@code command} through the leader: proposes it here when this node leads,
     * otherwise forwards it to the leader, retrying with the same request id across leader
     * changes until requestTimeoutMs. Completes with the result once the entry is applied on
     * this node. Fails with {@code NotLeader} (no leader known: HTTP 503), {@code Timeout},
     * {@code LeadershipLost} or {@code Stopped} (outcome unknown: HTTP 504), {@code Overloaded}
     * (HTTP 429), {@code Rejected} (HTTP 503), or {@code IllegalArgumentException} (HTTP 400/413).
     */
    public CompletableFuture<ApplyResult> write(Command command) {
        return propose(command);
    }

    /**
     * A blocking read (Consul's {@code ?index=&wait=}): runs {@code function} on the loop once
     * the key's mod_revision exceeds {@code afterRevision} (a delete counts), or once
     * {@code waitMs} passed, whichever comes first; at once when the key already changed.
     * Reads the local store, so it may be stale by the replication lag.
     */
    public <T> CompletableFuture<T> awaitChange(String namespace, String key, long afterRevision, long waitMs,
                                                Function<ConfigStore, T> function) {
        return read(function);
    }

    /** Takes a snapshot of the store now (admin); completes with its metadata. */
    public CompletableFuture<SnapshotMetadata> snapshotNow() {
        return CompletableFuture.failedFuture(new UnsupportedOperationException("snapshotNow"));
    }

    /**
     * Hands leadership to {@code target} (admin, thesis §3.10). Completes once {@code target}
     * leads; fails with {@code NotLeader} when this node does not lead, with
     * {@code IllegalArgumentException} for a non-member, with {@code Timeout} when the transfer
     * did not finish within an election timeout.
     */
    public CompletableFuture<Void> transferLeadership(String target) {
        return CompletableFuture.failedFuture(new UnsupportedOperationException("transferLeadership"));
    }

    /**
     * Why the timing order is at risk, empty when it is not: one line per duration kind
     * (fsync, snapshot) whose recent p99 came within a factor of 2 of the election timeout.
     * {@code /readyz} reports these as its reason.
     */
    public List<String> timingWarnings() {
        return List.of();
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
                processReadies();
                expireRequests(System.nanoTime());
                maybeTakeSnapshot();
                checkInvariants();
                publishStatus();
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
            }
        }
    }

    private void handle(Event event) {
        if (event instanceof Inbound inbound) {
            raft.step(inbound.message());
        } else if (event instanceof Tick) {
            raft.tick();
            ticks++;
        } else if (event instanceof Propose propose) {
            handlePropose(propose);
        } else if (event instanceof Read read) {
            handleRead(read.read());
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
            if (raft.status().role() != Role.LEADER) {
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
        raft.readIndex(ByteBuffer.allocate(Long.BYTES).putLong(read.id).array());
    }

    private int pendingRequestCount() {
        return pendingProposals.size() + pendingReads.size();
    }

    /** Runs the read's function; its exception goes to the caller, not into the loop. */
    private void complete(PendingRead read, long readIndex) {
        try {
            read.future.complete(read.function.apply(store, readIndex));
        } catch (RuntimeException e) {
            read.future.completeExceptionally(e);
        }
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
            ready.readStates().forEach(this::releaseRead);
            ready.failedReads().forEach(this::failRead);
            serveReleasedReads();
            raft.advance(ready);
            long raftApplied = raft.status().appliedIndex();
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
        for (Message message : messages) {
            if (!transport.send(message)) {
                messagesDropped.incrementAndGet(); // Raft resends (TRANSPORT.md section 9, point 4).
            }
        }
        transport.flush();
    }

    private void installSnapshot(SnapshotMetadata installed) throws IOException {
        store = restoreStore(storage, installed);
        snapshotIndex = installed.lastIncludedIndex();
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

    private void apply(List<Entry> entries) {
        for (Entry entry : entries) {
            ApplyResult result = null;
            if (entry.type() == Entry.Type.NORMAL) {
                result = store.apply(entry.index(), entry.data());
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
        PendingRead read = pendingReads.get(ByteBuffer.wrap(state.context()).getLong());
        if (read == null) {
            return; // It timed out meanwhile and was answered then.
        }
        read.readIndex = state.readIndex();
        releasedReads.add(read);
    }

    private void failRead(FailedRead failed) {
        PendingRead read = pendingReads.remove(ByteBuffer.wrap(failed.context()).getLong());
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
        NodeException.Timeout timeout = new NodeException.Timeout(config.requestTimeoutMs());
        Iterator<PendingProposal> proposals = pendingProposals.values().iterator();
        while (proposals.hasNext()) {
            PendingProposal pending = proposals.next();
            if (nowNanos - pending.deadlineNanos() <= 0) {
                break;
            }
            pending.future().completeExceptionally(timeout);
            proposals.remove();
        }
        Iterator<PendingRead> reads = pendingReads.values().iterator();
        while (reads.hasNext()) {
            PendingRead read = reads.next();
            if (nowNanos - read.deadlineNanos <= 0) {
                break;
            }
            read.future.completeExceptionally(timeout);
            reads.remove();
        }
    }

    /**
     * Every snapshotIntervalEntries applied entries, snapshots the store. DurableLogStorage is
     * owned by the loop thread, so the snapshot is written here, between Readys, and timed: its
     * duration must stay well below the election timeout (ARCHITECTURE-SKETCH, Time).
     */
    private void maybeTakeSnapshot() throws IOException {
        long applied = store.appliedIndex();
        if (applied - snapshotIndex < config.snapshotIntervalEntries()
                || applied > storage.hardState().commitIndex()) {
            return;
        }
        long start = System.nanoTime();
        try (SnapshotView view = store.openSnapshot()) {
            SnapshotMetadata taken = storage.takeSnapshot(view.appliedIndex(), view::writeTo);
            snapshotIndex = taken.lastIncludedIndex();
        }
        long nanos = System.nanoTime() - start;
        snapshotDurations.record(nanos);
        if (TimeUnit.NANOSECONDS.toMillis(nanos) > config.electionTimeoutMs() / 2) {
            LOG.log(Level.WARNING, "node " + config.id() + ": a snapshot took " + TimeUnit.NANOSECONDS.toMillis(nanos)
                    + " ms, more than half of electionTimeoutMs " + config.electionTimeoutMs());
        }
    }

    /** STYLE 7: the invariants written on the fields, checked always. */
    private void checkInvariants() {
        if (snapshotIndex > store.appliedIndex()) {
            throw new IllegalStateException("snapshot index " + snapshotIndex + " is above the applied index "
                    + store.appliedIndex());
        }
        if (pendingReads.size() + pendingProposals.size() > config.pendingRequestsMax()) {
            throw new IllegalStateException("pending requests exceed pendingRequestsMax "
                    + config.pendingRequestsMax());
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
        }
        if (core.leaderId() != null && (previous == null || !core.leaderId().equals(previous.leaderId()))) {
            leaderChanges.incrementAndGet();
            LOG.log(Level.INFO, "event=leader-change node=" + core.id() + " leader=" + core.leaderId() + " term="
                    + core.term() + " role=" + core.role());
        }
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
        if (transport != null) {
            transport.close();
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

package io.confman.node;

import io.confman.raft.ClusterIdentity;
import io.confman.storage.blob.BlobDigest;
import io.confman.storage.blob.BlobDigestMismatchException;
import io.confman.storage.blob.BlobReader;
import io.confman.storage.blob.BlobStore;
import io.confman.storage.blob.BlobUpload;
import io.confman.store.ApplyResult;
import io.confman.store.StoreLimits;
import io.confman.store.command.Command;
import io.confman.store.command.Precondition;
import io.confman.store.command.RequestId;
import io.confman.store.command.Value;
import io.confman.transport.NodeMessage;
import java.io.IOException;
import java.lang.System.Logger.Level;
import java.nio.ByteBuffer;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executor;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A node's blobs (NODE.md, "Blobs"): the local {@link BlobStore}, replication to a majority
 * before a pointer is proposed, fetching blobs this node lacks, and garbage collection of
 * blobs that no live key and no durable snapshot of this node references. The public methods
 * may be called from any thread.
 *
 * <p>Threads. Everything about transfers (the pushes this node sends, the blobs it receives,
 * its replications and fetches) lives on one thread, {@code confman-blobs-ID}; the peer
 * transport's threads only hand messages to it. Publishing a received blob (fsync, rename,
 * directory fsync) and deleting one run on {@link #io()}, so a slow disk never stalls a
 * transfer's acknowledgements. The Raft loop is never blocked by any of it: it only tells
 * this class what it applied, installed and made durable.
 *
 * <p>Transfers (TRANSPORT.md, blob messages). The sender offers a blob; the receiver answers
 * HELD when it already holds it, or NEXT(offset) to ask for bytes from offset. The sender
 * keeps at most {@link #WINDOW_CHUNKS} chunks beyond the last acknowledged offset in flight;
 * every chunk the receiver appends is acknowledged with the next offset it needs, so
 * memory stays bounded on both sides whatever the blob's size. When the last byte is in, the
 * receiver publishes the blob (only whole and verified) and answers HELD. A fetch is a
 * request for the holder to offer.
 */
public final class NodeBlobs implements AutoCloseable {

    private static final System.Logger LOG = System.getLogger(NodeBlobs.class.getName());

    /**
     * The namespace where {@code PUT /v1/blobs/...} registers each uploaded blob, under the
     * key {@code sha256:<hex>}, so that it is referenced like any value. Clients may read it
     * but not write it.
     */
    public static final String REGISTRY_NAMESPACE = ".blobs";
    /** Bytes of blob data per chunk message. */
    static final int CHUNK_BYTES = 1 << 20;
    /** Chunks a push keeps in flight beyond the receiver's last acknowledgement. */
    static final int WINDOW_CHUNKS = 4;
    /** Blobs this node receives at once; more offers are refused (the sender retries). */
    static final int RECEIVES_MAX = 32;
    /** Background fetches (of blobs applied or installed while missing) running at once. */
    static final int BACKGROUND_FETCHES_MAX = 2;
    /**
     * The slowest transfer rate a blob's replication or fetch is allowed before it times out:
     * a blob of S bytes gets the request timeout plus S / this rate (32 MiB/s; 1 GiB gets 32 s
     * more), so large blobs are bounded too, yet never by a limit a small one would meet.
     */
    public static final long TRANSFER_RATE_MIN_BYTES_PER_S = 32L << 20;

    /** The time a transfer of {@code sizeBytes} may take beyond the request timeout. */
    public static long transferAllowanceMs(long sizeBytes) {
        return sizeBytes / (TRANSFER_RATE_MIN_BYTES_PER_S / 1000);
    }

    /** How long a collection pass waits for the store to apply what the log held when it began. */
    static final long APPLY_WAIT_NANOS = TimeUnit.SECONDS.toNanos(10);

    /** Offers repeated, a stall apart, before a push without progress is given up. */
    static final int REOFFERS_MAX = 3;

    /** Rounds over every peer before a background fetch gives up. */
    static final int FETCH_ROUNDS_MAX = 10;
    /** How often the blob thread looks for stalled transfers and retries. */
    static final long TICK_MS = 50;
    /** Between two attempts of a failed push to one peer while a replication waits for it. */
    static final long RETRY_NANOS = TimeUnit.MILLISECONDS.toNanos(200);

    /** What this class needs from its node: sending, the store, the leader. */
    interface Host {
        ClusterIdentity cluster();

        /** Queues a message for its peer; false when the queue is full (the caller retries). */
        boolean send(NodeMessage message);

        void flush();

        long term();

        /** The leader this node knows of, or null. */
        String leaderId();

        CompletableFuture<ApplyResult> write(Command command);

        /** The pointer some live key holds to the blob, read on the loop. */
        CompletableFuture<Optional<Value.BlobPointer>> pointer(BlobDigest digest);

        /**
         * Whether the store has applied every entry known committed at start: before that, a
         * blob may look unreferenced only because the entry pointing to it is not replayed yet.
         */
        boolean replayed();

        /**
         * Whether this node knows a leader and has applied everything it knows committed: a
         * node cut off or behind may not yet have applied the pointer that still needs a blob.
         */
        boolean caughtUp();

        /** The index of the last entry in this node's log, committed or not. */
        long lastLogIndex();

        /** The index this node's store has applied. */
        long appliedIndex();

        /** One pointer per blob the live keys reference, read on the loop. */
        CompletableFuture<List<Value.BlobPointer>> referenced();

        /** Which of {@code digests} no live key references, read on the loop. */
        CompletableFuture<List<BlobDigest>> unreferenced(List<BlobDigest> digests);
    }

    /**
     * Timing of transfers and of garbage collection.
     *
     * @param stallNanos       a transfer that makes no progress for this long is abandoned
     * @param gcGraceNanos     a blob received, uploaded or offered this recently is never
     *                         collected: its pointer may still be on its way through the log
     * @param gcIntervalNanos  how often unreferenced blobs are looked for
     * @param requestTimeoutNanos how long a replication, or a read's fetch, may take
     */
    record Settings(long stallNanos, long gcGraceNanos, long gcIntervalNanos, long requestTimeoutNanos) {
        static Settings of(NodeConfig config) {
            long requestTimeout = TimeUnit.MILLISECONDS.toNanos(config.requestTimeoutMs());
            long stall = Math.max(TimeUnit.SECONDS.toNanos(2), requestTimeout / 2);
            // Longer than any replication of the largest value may take, so a peer's HELD
            // answer is still true when the pointer is proposed.
            long grace = Math.max(TimeUnit.MINUTES.toNanos(5), 3 * requestTimeout
                    + TimeUnit.MILLISECONDS.toNanos(transferAllowanceMs(StoreLimits.DEFAULTS.valueBytesMax())));
            return new Settings(stall, Long.getLong("confman.blobGcGraceMs", -1) >= 0
                    ? TimeUnit.MILLISECONDS.toNanos(Long.getLong("confman.blobGcGraceMs")) : grace,
                    TimeUnit.MILLISECONDS.toNanos(Long.getLong("confman.blobGcIntervalMs", 30_000)), requestTimeout);
        }
    }

    private final String selfId;
    private final List<String> peers;
    private final int majority;
    private final BlobStore store;
    private final Host host;
    private final Settings settings;
    private final ScheduledExecutorService thread;
    private final ExecutorService io;
    /** Garbage collection's listing and deletes, each with a directory fsync: never in io's way. */
    private final ExecutorService collector;
    private final SplittableRandom random = new SplittableRandom();
    /** Blobs kept from collection while a write of their pointer is under way; counts per digest. */
    private final Map<BlobDigest, Integer> pins = new ConcurrentHashMap<>();
    /** When each blob was last received, uploaded or offered here (System.nanoTime). */
    private final Map<BlobDigest, Long> touched = new ConcurrentHashMap<>();
    /** The blobs the latest durable snapshot of this node references; set by the loop. */
    /**
     * The blobs this node's snapshots may still need, in one immutable value so that the
     * collector never sees half of an update: the latest durable snapshot's (at
     * {@code durableIndex}), and those of a snapshot being written or published but not yet
     * durable (the live set when its view opened, then what its writer wrote).
     */
    private record SnapshotBlobs(long durableIndex, Set<BlobDigest> durable, Set<BlobDigest> pending) {
        boolean contains(BlobDigest digest) {
            return durable.contains(digest) || pending.contains(digest);
        }
    }

    private volatile SnapshotBlobs snapshotBlobs = new SnapshotBlobs(-1, Set.of(), Set.of());
    /** The index of the pending snapshot, or -1; guarded by this. */
    private long pendingIndex = -1;
    private final long startNanos = System.nanoTime();
    private final AtomicLong collected = new AtomicLong();
    private final AtomicLong gcPasses = new AtomicLong();
    private final AtomicLong received = new AtomicLong();
    private final AtomicLong pushed = new AtomicLong();
    private volatile boolean closed;

    // Blob thread only, from here on.
    private final Map<Long, Push> pushes = new HashMap<>();
    private final Map<ReceiveKey, Receive> receives = new HashMap<>();
    private final Map<BlobDigest, Replication> replications = new HashMap<>();
    private final Map<BlobDigest, Fetch> fetches = new HashMap<>();
    /** Blobs applied or installed while missing, waiting for a background fetch slot. */
    private final LinkedHashMap<BlobDigest, Value.BlobPointer> wanted = new LinkedHashMap<>();
    private long nextGcNanos;
    private boolean gcRunning;

    NodeBlobs(String selfId, Collection<String> members, BlobStore store, Host host, Settings settings) {
        this.selfId = selfId;
        this.peers = members.stream().filter(id -> !id.equals(selfId)).sorted().toList();
        this.majority = members.size() / 2 + 1;
        this.store = store;
        this.host = host;
        this.settings = settings;
        this.thread = Executors.newSingleThreadScheduledExecutor(runnable -> daemon(runnable, "confman-blobs-" + selfId));
        this.io = Executors.newFixedThreadPool(2, runnable -> daemon(runnable, "confman-blob-io-" + selfId));
        this.collector = Executors.newSingleThreadExecutor(runnable -> daemon(runnable, "confman-blob-gc-" + selfId));
        this.nextGcNanos = System.nanoTime() + settings.gcIntervalNanos();
        store.onFinishing(this::touch); // Every upload, the HTTP layer's included, restarts the grace.
        thread.scheduleWithFixedDelay(this::tick, TICK_MS, TICK_MS, TimeUnit.MILLISECONDS);
    }

    private static Thread daemon(Runnable runnable, String name) {
        Thread thread = new Thread(runnable, name);
        thread.setDaemon(true);
        return thread;
    }

    // ================================================================ the public API

    /** The local store. Uploads write into it; {@link #io()} runs their blocking steps. */
    public BlobStore store() {
        return store;
    }

    /** Runs blocking blob work (an upload's {@code finish}, its fsyncs) off the event loops. */
    public Executor io() {
        return io;
    }

    /**
     * Stores {@code pointer} (a blob this node holds) as the value of a key: makes sure a
     * majority of members hold the blob durably, then writes the pointer through the leader
     * as {@link ConfmanNode#write} does, with the same failures. The blob is kept from
     * garbage collection until the write is answered. The replication may take the request
     * timeout plus {@link #transferAllowanceMs} of the blob's size.
     */
    public CompletableFuture<ApplyResult> putValue(String namespace, String key, Value.BlobPointer pointer,
                                                   Precondition precondition) {
        Command.Put put;
        try {
            put = new Command.Put(RequestId.NONE, namespace, key, pointer, precondition);
        } catch (IllegalArgumentException e) {
            return CompletableFuture.failedFuture(e);
        }
        return writeHeld(pointer.digest(), pointer.sizeBytes(), put);
    }

    /**
     * Registers an uploaded blob (this node holds it) in {@link #REGISTRY_NAMESPACE}, after
     * making sure a majority hold it. Completes with true when it was not registered before.
     */
    public CompletableFuture<Boolean> register(Value.BlobPointer pointer) {
        return putValue(REGISTRY_NAMESPACE, pointer.digestName(), pointer, Precondition.CREATE_ONLY)
                .thenApply(result -> {
                    if (result instanceof ApplyResult.Created) {
                        return true;
                    }
                    if (result instanceof ApplyResult.PreconditionFailed) {
                        return false;
                    }
                    throw new IllegalStateException("registering a blob answered " + result);
                });
    }

    /**
     * Moves an inline value into the blob store (the inline-to-blob migration): writes the
     * bytes as a blob here, replicates it to a majority, then proposes a relocate that
     * applies only while the key's mod_revision is still {@code modRevision}.
     */
    CompletableFuture<ApplyResult> relocate(String namespace, String key, long modRevision, ByteBuffer value,
                                            String contentType) {
        return CompletableFuture.supplyAsync(() -> {
            try (BlobUpload upload = store.begin()) {
                long size = value.remaining();
                upload.write(value.duplicate());
                BlobDigest digest = upload.finish(null);
                touch(digest);
                return new Value.BlobPointer(digest.bytes(), size, contentType);
            } catch (IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
        }, io).thenCompose(pointer -> writeHeld(pointer.digest(), pointer.sizeBytes(),
                new Command.Relocate(RequestId.NONE, namespace, key, pointer,
                        new Precondition.IfModRevision(modRevision))));
    }

    private CompletableFuture<ApplyResult> writeHeld(BlobDigest digest, long size, Command command) {
        pin(digest);
        touch(digest);
        CompletableFuture<ApplyResult> written = replicate(digest, size).thenCompose(held -> host.write(command));
        written.whenComplete((result, failure) -> unpin(digest));
        return written;
    }

    /**
     * The pointer of a blob some key references in this node's store (a stale read), or
     * empty when none does: only referenced blobs are served.
     */
    public CompletableFuture<Optional<Value.BlobPointer>> lookup(BlobDigest digest) {
        return host.pointer(digest);
    }

    /**
     * Completes when this node holds the blob, fetching it from a peer first when it does
     * not; fails with {@link NodeException.Timeout} when no peer delivered it within the
     * request timeout. A blob is only ever visible whole and verified.
     */
    public CompletableFuture<Void> ensureLocal(Value.BlobPointer pointer) {
        BlobDigest digest = pointer.digest();
        if (store.contains(digest)) {
            return CompletableFuture.completedFuture(null);
        }
        CompletableFuture<Void> future = new CompletableFuture<>();
        long deadline = System.nanoTime() + settings.requestTimeoutNanos()
                + TimeUnit.MILLISECONDS.toNanos(transferAllowanceMs(pointer.sizeBytes()));
        onThread(() -> {
            if (store.contains(digest)) {
                future.complete(null);
                return;
            }
            fetch(pointer).waiters.add(new Waiter(future, deadline));
        }, future);
        return future;
    }

    /** Blobs received from peers (pushed or fetched) and published here, since start. */
    public long receivedCount() {
        return received.get();
    }

    /** Blobs this node finished pushing to a peer, since start. */
    public long pushedCount() {
        return pushed.get();
    }

    /** Garbage collection passes finished since start. */
    public long collectionPasses() {
        return gcPasses.get();
    }

    /** Blobs garbage-collected since start. */
    public long collectedCount() {
        return collected.get();
    }

    // ================================================================ from the node loop

    /** The loop applied or installed pointers: fetch the blobs among them this node lacks. */
    void applied(List<Value.BlobPointer> pointers) {
        if (pointers.isEmpty()) {
            return;
        }
        onThread(() -> {
            for (Value.BlobPointer pointer : pointers) {
                BlobDigest digest = pointer.digest();
                if (!store.contains(digest) && !fetches.containsKey(digest)) {
                    wanted.putIfAbsent(digest, pointer);
                }
            }
            startBackgroundFetches();
        }, null);
    }

    /**
     * A snapshot at {@code index} referencing exactly {@code refs} is durable (written here,
     * installed or restored); an older one reported late changes nothing.
     */
    synchronized void snapshotDurable(long index, Set<BlobDigest> refs) {
        SnapshotBlobs now = snapshotBlobs;
        if (index < now.durableIndex()) {
            if (index == pendingIndex) { // Overtaken by an installed snapshot: nothing to keep for it.
                snapshotAbandoned();
            }
            return;
        }
        // A snapshot still pending here (being written while a leader's was installed) stays kept.
        snapshotBlobs = new SnapshotBlobs(index, Set.copyOf(refs), index == pendingIndex ? Set.of() : now.pending());
        if (index == pendingIndex) {
            pendingIndex = -1;
        }
    }

    /**
     * A snapshot at {@code index} is being written (its view opened with {@code liveRefs}
     * referenced), or published with exactly {@code writtenRefs} but not durable yet: until
     * it is, its blobs are kept as well as the durable one's. A key deleted while the view is
     * written releases its blob from the live counts, but the snapshot holds it.
     */
    synchronized void snapshotPending(long index, Set<BlobDigest> refs) {
        SnapshotBlobs now = snapshotBlobs;
        pendingIndex = index;
        snapshotBlobs = new SnapshotBlobs(now.durableIndex(), now.durable(), Set.copyOf(refs));
    }

    /** The snapshot pending here was abandoned: its blobs need no keeping. */
    synchronized void snapshotAbandoned() {
        SnapshotBlobs now = snapshotBlobs;
        pendingIndex = -1;
        snapshotBlobs = new SnapshotBlobs(now.durableIndex(), now.durable(), Set.of());
    }

    /** A blob lost its last key: look for garbage soon rather than at the next interval. */
    void released() {
        onThread(() -> nextGcNanos = Math.min(nextGcNanos, System.nanoTime() + settings.gcGraceNanos()), null);
    }

    /** A blob message from a peer, on a transport thread: handed to the blob thread. */
    void onMessage(NodeMessage message) {
        onThread(() -> handle(message), null);
    }

    // ================================================================ pins and touches

    private void pin(BlobDigest digest) {
        pins.merge(digest, 1, Integer::sum);
    }

    private void unpin(BlobDigest digest) {
        touch(digest); // A write that timed out may still commit: its blob gets a grace period more.
        pins.computeIfPresent(digest, (d, count) -> count == 1 ? null : count - 1);
    }

    private void touch(BlobDigest digest) {
        touched.put(digest, System.nanoTime());
    }

    /** Runs {@code task} on the blob thread; a stopped node fails {@code future} instead. */
    private void onThread(Runnable task, CompletableFuture<?> future) {
        if (closed) {
            if (future != null) {
                future.completeExceptionally(new NodeException.Stopped("the node is stopping", null));
            }
            return;
        }
        try {
            thread.execute(() -> {
                if (closed) { // Queued just as the node stopped: the cleanup has run already.
                    if (future != null) {
                        future.completeExceptionally(new NodeException.Stopped("the node is stopping", null));
                    }
                    return;
                }
                try {
                    task.run();
                } catch (RuntimeException e) {
                    LOG.log(Level.ERROR, "node " + selfId + ": blob task failed", e);
                    if (future != null) {
                        future.completeExceptionally(e);
                    }
                }
            });
        } catch (java.util.concurrent.RejectedExecutionException e) {
            if (future != null) {
                future.completeExceptionally(new NodeException.Stopped("the node is stopping", e));
            }
        }
    }

    // ================================================================ replication

    /** A blob being brought to a majority: this node plus the peers that answered HELD. */
    private final class Replication {
        final BlobDigest digest;
        final long size;
        final long deadlineNanos;
        final Set<String> holders = new HashSet<>();
        final Map<String, Long> retryAtNanos = new HashMap<>();
        final List<CompletableFuture<Void>> futures = new ArrayList<>();

        Replication(BlobDigest digest, long size, long deadlineNanos) {
            this.digest = digest;
            this.size = size;
            this.deadlineNanos = deadlineNanos;
        }

        boolean reached() {
            return 1 + holders.size() >= majority;
        }
    }

    /** Completes once a majority of members, this node included, hold the blob durably. */
    CompletableFuture<Void> replicate(BlobDigest digest, long size) {
        CompletableFuture<Void> future = new CompletableFuture<>();
        onThread(() -> {
            if (!store.contains(digest)) {
                future.completeExceptionally(new IllegalStateException("this node does not hold " + digest));
                return;
            }
            if (majority == 1) {
                future.complete(null);
                return;
            }
            // Always offer, even to peers that held the blob before: a HELD answer also
            // refreshes the peer's grace period, so it keeps the blob until the pointer lands.
            Replication replication = replications.get(digest);
            if (replication != null && replication.reached()) {
                // Its HELD answers may be old, and a holder may have collected the blob since:
                // this write gets a replication of its own, with fresh answers.
                replications.remove(digest);
                replication = null;
            }
            if (replication == null) {
                replication = new Replication(digest, size, System.nanoTime() + settings.requestTimeoutNanos()
                        + TimeUnit.MILLISECONDS.toNanos(transferAllowanceMs(size)));
                replications.put(digest, replication);
                for (String peer : peers) {
                    if (!pushingTo(peer, digest)) { // A push under way answers HELD to this replication too.
                        startPush(peer, digest, size, random.nextLong());
                    }
                }
            }
            replication.futures.add(future);
        }, future);
        return future;
    }

    private void peerHolds(String peer, BlobDigest digest) {
        Replication replication = replications.get(digest);
        if (replication == null) {
            return;
        }
        replication.holders.add(peer);
        replication.retryAtNanos.remove(peer);
        if (replication.reached()) {
            replication.futures.forEach(future -> future.complete(null));
            replication.futures.clear();
            if (replication.holders.size() == peers.size()) {
                replications.remove(digest);
            }
        }
    }

    private void pushFailed(String peer, BlobDigest digest, String why) {
        Replication replication = replications.get(digest);
        if (replication != null && !replication.holders.contains(peer)) {
            LOG.log(Level.DEBUG, "node " + selfId + ": pushing " + digest + " to " + peer + " failed: " + why);
            replication.retryAtNanos.put(peer, System.nanoTime() + RETRY_NANOS);
        }
    }

    private void checkReplications(long now) {
        for (Iterator<Replication> it = replications.values().iterator(); it.hasNext(); ) {
            Replication replication = it.next();
            if (now - replication.deadlineNanos >= 0) {
                if (!replication.futures.isEmpty()) {
                    NodeException failure = new NodeException.Rejected("the blob " + replication.digest
                            + " reached " + (1 + replication.holders.size()) + " of " + (peers.size() + 1)
                            + " members within the request timeout and its transfer allowance; a majority of "
                            + majority + " must hold it");
                    replication.futures.forEach(future -> future.completeExceptionally(failure));
                }
                it.remove();
                continue;
            }
            for (Iterator<Map.Entry<String, Long>> retries = replication.retryAtNanos.entrySet().iterator();
                 retries.hasNext(); ) {
                Map.Entry<String, Long> retry = retries.next();
                if (now - retry.getValue() >= 0 && !pushingTo(retry.getKey(), replication.digest)) {
                    retries.remove();
                    startPush(retry.getKey(), replication.digest, replication.size, random.nextLong());
                }
            }
        }
    }

    private boolean pushingTo(String peer, BlobDigest digest) {
        for (Push push : pushes.values()) {
            if (push.peer.equals(peer) && push.digest.equals(digest)) {
                return true;
            }
        }
        return false;
    }

    // ================================================================ sending a blob

    /** One blob on its way to one peer. */
    private final class Push {
        final long id;
        final String peer;
        final BlobDigest digest;
        final long size;
        BlobReader reader;
        /** Invariant: acked <= sent <= size; sent - acked <= WINDOW_CHUNKS * CHUNK_BYTES. */
        long acked;
        long sent;
        boolean accepted;
        /** When the acknowledged offset last rose (or the push started). */
        long progressNanos = System.nanoTime();
        /** The offset last sent again after a repeated acknowledgement; -1 for none. */
        long rewoundTo = -1;
        /** Offers repeated since the last progress. */
        int reoffers;

        Push(long id, String peer, BlobDigest digest, long size) {
            this.id = id;
            this.peer = peer;
            this.digest = digest;
            this.size = size;
        }
    }

    private void startPush(String peer, BlobDigest digest, long size, long transferId) {
        Push push = new Push(transferId, peer, digest, size);
        pushes.put(transferId, push);
        send(new NodeMessage.BlobOffer(host.cluster(), selfId, peer, host.term(), transferId, digest.bytes(), size));
    }

    private void pump(Push push) {
        if (push.acked > push.sent || push.sent > push.size) { // The Push invariant; a bug if broken.
            throw new IllegalStateException("push " + push.id + " of " + push.digest + " to " + push.peer
                    + ": acked " + push.acked + ", sent " + push.sent + ", size " + push.size);
        }
        try {
            if (push.reader == null) {
                push.reader = store.open(push.digest);
            }
            boolean sentAny = false;
            while (push.sent < push.size && push.sent - push.acked < (long) WINDOW_CHUNKS * CHUNK_BYTES) {
                int length = (int) Math.min(CHUNK_BYTES, push.size - push.sent);
                byte[] data = new byte[length];
                ByteBuffer target = ByteBuffer.wrap(data);
                while (target.hasRemaining()) {
                    if (push.reader.read(push.sent + target.position(), target) < 0) {
                        throw new IOException("the blob ended at " + (push.sent + target.position())
                                + " of " + push.size + " bytes");
                    }
                }
                NodeMessage.BlobChunk chunk = new NodeMessage.BlobChunk(host.cluster(), selfId, push.peer,
                        host.term(), push.id, push.digest.bytes(), push.size, push.sent, data);
                if (!host.send(chunk)) {
                    break; // The lane's queue is full: the tick pumps again.
                }
                sentAny = true;
                push.sent += length;
            }
            if (sentAny) {
                host.flush();
            }
        } catch (IOException e) {
            endPush(push);
            LOG.log(Level.WARNING, "node " + selfId + ": reading blob " + push.digest + " to push it to "
                    + push.peer + " failed: " + e);
            pushFailed(push.peer, push.digest, "reading the blob here failed: " + e);
        }
    }

    private void endPush(Push push) {
        pushes.remove(push.id);
        closeQuietly(push.reader);
        push.reader = null;
    }

    private void onStatus(NodeMessage.BlobStatus status) {
        BlobDigest digest = BlobDigest.of(status.digest());
        Push push = pushes.get(status.transferId());
        if (push != null && push.peer.equals(status.from()) && push.digest.equals(digest)) {
            switch (status.state()) {
                case HELD -> {
                    endPush(push);
                    pushed.incrementAndGet();
                    peerHolds(push.peer, digest);
                }
                case NEXT -> {
                    long next = status.nextOffset();
                    if (next < 0 || next > push.size) {
                        endPush(push);
                        pushFailed(push.peer, digest, "asked for offset " + next);
                        return;
                    }
                    push.accepted = true;
                    if (next > push.acked) { // Progress.
                        push.acked = next;
                        push.sent = Math.max(push.sent, next);
                        push.progressNanos = System.nanoTime();
                        push.reoffers = 0;
                    } else if (next < push.acked) { // The receiver started over.
                        push.acked = next;
                        push.sent = next;
                        push.rewoundTo = next;
                    } else if (next < push.sent && next != push.rewoundTo) {
                        // A repeated acknowledgement: what was sent after it was lost. Sent
                        // again once per gap, not once per chunk that reported it.
                        push.sent = next;
                        push.rewoundTo = next;
                    }
                    pump(push);
                }
                case MISSING, FAILED -> {
                    endPush(push);
                    pushFailed(push.peer, digest, status.state() + " " + status.detail());
                }
            }
            return;
        }
        Fetch fetch = fetches.get(digest);
        if (fetch != null && fetch.transferId == status.transferId() && status.from().equals(fetch.source)
                && (status.state() == NodeMessage.BlobStatus.State.MISSING
                || status.state() == NodeMessage.BlobStatus.State.FAILED)) {
            LOG.log(Level.DEBUG, "node " + selfId + ": " + fetch.source + " cannot send " + digest + ": "
                    + status.state() + " " + status.detail());
            fetch.source = null; // The tick tries the next peer.
        }
    }

    // ================================================================ receiving a blob

    private record ReceiveKey(String peer, long transferId) {
    }

    /** One blob arriving from one peer. */
    private static final class Receive {
        final ReceiveKey key;
        final BlobDigest digest;
        final long size;
        final BlobUpload upload;
        long next;
        boolean publishing;
        long progressNanos = System.nanoTime();

        Receive(ReceiveKey key, BlobDigest digest, long size, BlobUpload upload) {
            this.key = key;
            this.digest = digest;
            this.size = size;
            this.upload = upload;
        }
    }

    private void onOffer(NodeMessage.BlobOffer offer) {
        BlobDigest digest = BlobDigest.of(offer.digest());
        if (offer.sizeBytes() > StoreLimits.DEFAULTS.valueBytesMax()) {
            sendStatus(offer.from(), offer.transferId(), digest, NodeMessage.BlobStatus.State.FAILED, 0,
                    "a blob of " + offer.sizeBytes() + " bytes is over the largest value, "
                            + StoreLimits.DEFAULTS.valueBytesMax());
            return;
        }
        if (store.touch(digest)) { // Marked wanted under the blob's lock: a collector keeps it.
            sendStatus(offer.from(), offer.transferId(), digest, NodeMessage.BlobStatus.State.HELD, 0, "");
            return;
        }
        ReceiveKey key = new ReceiveKey(offer.from(), offer.transferId());
        Receive receive = receives.get(key);
        if (receive == null) {
            if (receives.size() >= RECEIVES_MAX) {
                sendStatus(offer.from(), offer.transferId(), digest, NodeMessage.BlobStatus.State.FAILED, 0,
                        "receiving " + RECEIVES_MAX + " blobs already");
                return;
            }
            try {
                receive = new Receive(key, digest, offer.sizeBytes(), store.begin());
            } catch (IOException e) {
                sendStatus(offer.from(), offer.transferId(), digest, NodeMessage.BlobStatus.State.FAILED, 0,
                        "cannot start an upload: " + e.getMessage());
                return;
            }
            receives.put(key, receive);
        }
        if (receive.size == 0) {
            publish(receive);
            return;
        }
        sendStatus(offer.from(), offer.transferId(), digest, NodeMessage.BlobStatus.State.NEXT, receive.next, "");
    }

    private void onChunk(NodeMessage.BlobChunk chunk) {
        ReceiveKey key = new ReceiveKey(chunk.from(), chunk.transferId());
        Receive receive = receives.get(key);
        BlobDigest digest = BlobDigest.of(chunk.digest());
        if (receive == null || !receive.digest.equals(digest) || receive.size != chunk.sizeBytes()) {
            if (receive == null && store.contains(digest)) {
                return; // A chunk still in flight after the blob was published.
            }
            sendStatus(chunk.from(), chunk.transferId(), digest, NodeMessage.BlobStatus.State.FAILED, 0,
                    "no transfer " + chunk.transferId() + " of this blob is under way here");
            return;
        }
        if (receive.publishing) {
            return; // Every byte is in; HELD follows.
        }
        if (chunk.offset() < receive.next) {
            // A duplicate (sent again after a gap): the sender learns where this side is.
            sendStatus(chunk.from(), chunk.transferId(), digest, NodeMessage.BlobStatus.State.NEXT, receive.next, "");
            return;
        }
        if (chunk.offset() > receive.next) {
            // A chunk was lost (a full queue, a connection that dropped): ask again from the gap.
            sendStatus(chunk.from(), chunk.transferId(), digest, NodeMessage.BlobStatus.State.NEXT, receive.next, "");
            return;
        }
        try {
            receive.upload.write(ByteBuffer.wrap(chunk.data()));
        } catch (IOException e) {
            abortReceive(receive, "writing failed: " + e.getMessage());
            return;
        }
        receive.next += chunk.data().length;
        receive.progressNanos = System.nanoTime();
        if (receive.next == receive.size) {
            publish(receive);
        } else {
            sendStatus(chunk.from(), chunk.transferId(), digest, NodeMessage.BlobStatus.State.NEXT, receive.next, "");
        }
    }

    /** Publishes a fully received blob off the blob thread, then answers HELD (or FAILED). */
    private void publish(Receive receive) {
        receive.publishing = true;
        CompletableFuture.supplyAsync(() -> {
            try {
                return receive.upload.finish(receive.digest);
            } catch (IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
        }, io).whenCompleteAsync((digest, failure) -> {
            receives.remove(receive.key);
            if (failure != null) {
                Throwable cause = failure.getCause() == null ? failure : failure.getCause();
                cause = cause.getCause() instanceof BlobDigestMismatchException ? cause.getCause() : cause;
                abortReceive(receive, "publishing failed: " + cause.getMessage());
                return;
            }
            touch(digest);
            received.incrementAndGet();
            sendStatus(receive.key.peer(), receive.key.transferId(), digest, NodeMessage.BlobStatus.State.HELD,
                    0, "");
            fetched(digest);
        }, thread);
    }

    private void abortReceive(Receive receive, String why) {
        receives.remove(receive.key);
        closeQuietly(receive.upload);
        LOG.log(Level.WARNING, "node " + selfId + ": receiving " + receive.digest + " from " + receive.key.peer()
                + " failed: " + why);
        sendStatus(receive.key.peer(), receive.key.transferId(), receive.digest, NodeMessage.BlobStatus.State.FAILED,
                0, why);
        Fetch fetch = fetches.get(receive.digest);
        if (fetch != null && fetch.transferId == receive.key.transferId()) {
            fetch.source = null;
        }
    }

    private void onFetch(NodeMessage.BlobFetch request) {
        BlobDigest digest = BlobDigest.of(request.digest());
        if (!store.contains(digest)) {
            sendStatus(request.from(), request.transferId(), digest, NodeMessage.BlobStatus.State.MISSING, 0,
                    "node " + selfId + " does not hold it");
            return;
        }
        if (!pushes.containsKey(request.transferId())) {
            startPush(request.from(), digest, request.sizeBytes(), request.transferId());
        }
    }

    // ================================================================ fetching a blob

    private record Waiter(CompletableFuture<Void> future, long deadlineNanos) {
    }

    /** A blob this node lacks, asked of one peer at a time. */
    private final class Fetch {
        final BlobDigest digest;
        final long size;
        final List<Waiter> waiters = new ArrayList<>();
        final boolean background;
        final Value.BlobPointer pointer;
        final ArrayDeque<String> candidates = new ArrayDeque<>();
        String source;
        long transferId;
        long attemptNanos;
        /** Rounds over every peer so far; a background fetch gives up after {@link #FETCH_ROUNDS_MAX}. */
        int rounds;

        Fetch(Value.BlobPointer pointer, boolean background) {
            this.pointer = pointer;
            this.digest = pointer.digest();
            this.size = pointer.sizeBytes();
            this.background = background;
        }
    }

    private Fetch fetch(Value.BlobPointer pointer) {
        BlobDigest digest = pointer.digest();
        Fetch fetch = fetches.get(digest);
        if (fetch == null) {
            wanted.remove(digest);
            fetch = new Fetch(pointer, false);
            fetches.put(digest, fetch);
            nextSource(fetch);
        }
        return fetch;
    }

    private void startBackgroundFetches() {
        long running = fetches.values().stream().filter(fetch -> fetch.background).count();
        Iterator<Map.Entry<BlobDigest, Value.BlobPointer>> it = wanted.entrySet().iterator();
        while (running < BACKGROUND_FETCHES_MAX && it.hasNext()) {
            Map.Entry<BlobDigest, Value.BlobPointer> next = it.next();
            it.remove();
            if (store.contains(next.getKey()) || fetches.containsKey(next.getKey())) {
                continue;
            }
            Fetch fetch = new Fetch(next.getValue(), true);
            fetches.put(next.getKey(), fetch);
            nextSource(fetch);
            running++;
        }
    }

    /** Asks the next peer: the leader first, then the others in order. */
    private void nextSource(Fetch fetch) {
        if (fetch.candidates.isEmpty()) {
            fetch.rounds++;
            String leader = host.leaderId();
            if (leader != null && !leader.equals(selfId)) {
                fetch.candidates.add(leader);
            }
            peers.stream().filter(peer -> !peer.equals(leader)).forEach(fetch.candidates::add);
        }
        fetch.source = fetch.candidates.poll();
        fetch.transferId = random.nextLong();
        fetch.attemptNanos = System.nanoTime();
        if (fetch.source != null) {
            send(new NodeMessage.BlobFetch(host.cluster(), selfId, fetch.source, host.term(), fetch.transferId,
                    fetch.digest.bytes(), fetch.size));
        }
    }

    private void fetched(BlobDigest digest) {
        Fetch fetch = fetches.remove(digest);
        if (fetch != null) {
            fetch.waiters.forEach(waiter -> waiter.future().complete(null));
        }
        startBackgroundFetches();
    }

    private void checkFetches(long now) {
        for (Iterator<Fetch> it = fetches.values().iterator(); it.hasNext(); ) {
            Fetch fetch = it.next();
            fetch.waiters.removeIf(waiter -> {
                if (now - waiter.deadlineNanos() >= 0) {
                    waiter.future().completeExceptionally(new NodeException.Timeout("fetching blob " + fetch.digest
                            + " from a peer", TimeUnit.NANOSECONDS.toMillis(settings.requestTimeoutNanos())));
                    return true;
                }
                return false;
            });
            if (!fetch.background && fetch.waiters.isEmpty()) {
                it.remove(); // Nobody waits any more: the blob goes back to the background queue.
                wanted.putIfAbsent(fetch.digest, fetch.pointer);
                continue;
            }
            Receive receive = fetch.source == null ? null : receives.get(new ReceiveKey(fetch.source, fetch.transferId));
            boolean stalled = receive == null && now - fetch.attemptNanos > settings.stallNanos();
            if (fetch.source == null || stalled) {
                if (fetch.source == null && fetch.candidates.isEmpty()) {
                    if (now - fetch.attemptNanos < RETRY_NANOS * 5) {
                        continue; // Every peer was asked: wait a moment before a new round.
                    }
                    if (fetch.background && fetch.waiters.isEmpty() && fetch.rounds >= FETCH_ROUNDS_MAX) {
                        // No peer has it now (its key may be gone since); a read asks again.
                        LOG.log(Level.WARNING, "node " + selfId + ": no peer sent blob " + fetch.digest + " in "
                                + fetch.rounds + " rounds; a read of a key pointing to it will ask again");
                        it.remove();
                        continue;
                    }
                }
                nextSource(fetch);
            }
        }
        startBackgroundFetches();
    }

    // ================================================================ the tick and garbage collection

    private void tick() {
        if (closed) {
            return;
        }
        long now = System.nanoTime();
        try {
            for (Push push : new ArrayList<>(pushes.values())) {
                if (now - push.progressNanos > settings.stallNanos() && push.reoffers < REOFFERS_MAX) {
                    // Nothing acknowledged for a while (a whole window lost, or the offer): offer
                    // again under the same id; the receiver answers with the offset it needs.
                    push.reoffers++;
                    push.progressNanos = now;
                    push.rewoundTo = -1;
                    send(new NodeMessage.BlobOffer(host.cluster(), selfId, push.peer, host.term(), push.id,
                            push.digest.bytes(), push.size));
                } else if (now - push.progressNanos > settings.stallNanos()) {
                    endPush(push);
                    pushFailed(push.peer, push.digest, "no progress after " + REOFFERS_MAX + " repeated offers, "
                            + TimeUnit.NANOSECONDS.toMillis(settings.stallNanos()) + " ms apart");
                } else if (push.accepted) {
                    pump(push);
                }
            }
            for (Receive receive : new ArrayList<>(receives.values())) {
                if (!receive.publishing && now - receive.progressNanos > 2 * settings.stallNanos()) {
                    abortReceive(receive, "no chunk for " + TimeUnit.NANOSECONDS.toMillis(2 * settings.stallNanos())
                            + " ms");
                }
            }
            checkReplications(now);
            checkFetches(now);
            if (now - nextGcNanos >= 0 && !gcRunning && host.replayed() && host.caughtUp()) {
                nextGcNanos = now + settings.gcIntervalNanos();
                collectGarbage(now);
            }
        } catch (RuntimeException e) {
            LOG.log(Level.ERROR, "node " + selfId + ": blob tick failed", e);
        }
    }

    /**
     * Deletes every blob that no live key references, that the latest durable snapshot does
     * not reference, that no write in progress pins, and that was not received, uploaded or
     * offered within the grace period. Listing and deleting run on {@link #io}; the
     * reference check runs on the loop.
     */
    private void collectGarbage(long now) {
        gcRunning = true;
        // Entries already in this node's log but not applied may point to blobs that look
        // unreferenced now (a pointer proposed before a long partition, committed after it):
        // the pass looks only once the store has applied everything the log held when it began.
        long logEnd = host.lastLogIndex();
        // Live blobs this node lacks (a fetch that gave up, a read that timed out) are asked for again.
        host.referenced().thenAcceptAsync(pointers -> applied(pointers.stream()
                .filter(pointer -> !store.contains(pointer.digest())).toList()), thread);
        CompletableFuture.supplyAsync(() -> {
            try {
                long deadline = System.nanoTime() + APPLY_WAIT_NANOS;
                while (host.appliedIndex() < logEnd) {
                    if (System.nanoTime() - deadline > 0) {
                        return List.<BlobDigest>of(); // Behind its own log: no collection this pass.
                    }
                    Thread.sleep(TICK_MS);
                }
                return store.list();
            } catch (IOException e) {
                throw new java.io.UncheckedIOException(e);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return List.<BlobDigest>of();
            }
        }, collector).thenApply(all -> all.stream().filter(digest -> collectable(digest, now)).toList())
                .thenCompose(candidates -> candidates.isEmpty()
                        ? CompletableFuture.completedFuture(List.<BlobDigest>of()) : host.unreferenced(candidates))
                .thenAcceptAsync(unreferenced -> {
                    for (BlobDigest digest : unreferenced) {
                        try {
                            // Checked again under the blob's lock: an offer or an upload that
                            // touched it meanwhile keeps it (BlobStore.touch).
                            if (store.deleteIf(digest, candidate -> collectable(candidate, System.nanoTime()))) {
                                collected.incrementAndGet();
                                LOG.log(Level.DEBUG, "node " + selfId + ": collected blob " + digest);
                            }
                        } catch (IOException e) {
                            LOG.log(Level.WARNING, "node " + selfId + ": deleting blob " + digest + " failed", e);
                        }
                    }
                    touched.entrySet().removeIf(entry -> System.nanoTime() - entry.getValue() > settings.gcGraceNanos()
                            && !store.contains(entry.getKey()));
                }, collector)
                .whenCompleteAsync((done, failure) -> {
                    gcRunning = false;
                    gcPasses.incrementAndGet();
                    if (failure != null && !closed) {
                        LOG.log(Level.WARNING, "node " + selfId + ": blob garbage collection failed", failure);
                    }
                }, thread);
    }

    private boolean collectable(BlobDigest digest, long now) {
        long touchedAt = touched.getOrDefault(digest, startNanos);
        return !pins.containsKey(digest) && !snapshotBlobs.contains(digest)
                && now - touchedAt > settings.gcGraceNanos();
    }

    // ================================================================ messages

    private void handle(NodeMessage message) {
        if (message instanceof NodeMessage.BlobOffer offer) {
            onOffer(offer);
        } else if (message instanceof NodeMessage.BlobChunk chunk) {
            onChunk(chunk);
        } else if (message instanceof NodeMessage.BlobStatus status) {
            onStatus(status);
        } else if (message instanceof NodeMessage.BlobFetch fetch) {
            onFetch(fetch);
        } else {
            throw new IllegalArgumentException("not a blob message: " + message);
        }
    }

    /** Whether {@code message} belongs to this class rather than to the loop. */
    static boolean isBlobMessage(NodeMessage message) {
        return message instanceof NodeMessage.BlobOffer || message instanceof NodeMessage.BlobChunk
                || message instanceof NodeMessage.BlobStatus || message instanceof NodeMessage.BlobFetch;
    }

    private void sendStatus(String peer, long transferId, BlobDigest digest, NodeMessage.BlobStatus.State state,
                            long nextOffset, String detail) {
        send(new NodeMessage.BlobStatus(host.cluster(), selfId, peer, host.term(), transferId, digest.bytes(), state,
                nextOffset, detail));
    }

    private void send(NodeMessage message) {
        if (host.send(message)) {
            host.flush();
        }
        // A dropped control message is repaired by the stall checks: the transfer starts over.
    }

    private static void closeQuietly(AutoCloseable closeable) {
        if (closeable != null) {
            try {
                closeable.close();
            } catch (Exception e) {
                LOG.log(Level.DEBUG, "closing " + closeable + " failed", e);
            }
        }
    }

    /** Stops the threads, abandons every transfer (temporary files deleted) and fails waiters. */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        CompletableFuture<Void> stopped = new CompletableFuture<>();
        try {
            thread.execute(() -> {
                NodeException stopping = new NodeException.Stopped("the node is stopping", null);
                pushes.values().forEach(push -> closeQuietly(push.reader));
                pushes.clear();
                receives.values().stream().filter(receive -> !receive.publishing)
                        .forEach(receive -> closeQuietly(receive.upload));
                receives.clear();
                replications.values().forEach(r -> r.futures.forEach(f -> f.completeExceptionally(stopping)));
                replications.clear();
                fetches.values().forEach(f -> f.waiters.forEach(w -> w.future().completeExceptionally(stopping)));
                fetches.clear();
                stopped.complete(null);
            });
            stopped.get(5, TimeUnit.SECONDS);
        } catch (Exception e) {
            LOG.log(Level.WARNING, "node " + selfId + ": stopping the blob thread", e);
        }
        // shutdown, not shutdownNow: a task queued before the cleanup above has run, and one
        // queued after it saw the closed flag and failed its future; the tick is cancelled.
        thread.shutdown();
        collector.shutdown(); // A delete under way finishes before the store closes.
        io.shutdown();
        try {
            if (!io.awaitTermination(30, TimeUnit.SECONDS)) {
                LOG.log(Level.WARNING, "node " + selfId + ": blob I/O still running after 30 s");
            }
            if (!collector.awaitTermination(30, TimeUnit.SECONDS)) {
                LOG.log(Level.WARNING, "node " + selfId + ": blob collection still running after 30 s");
                collector.shutdownNow();
            }
            thread.awaitTermination(5, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        store.close();
    }

    @Override
    public String toString() {
        return "NodeBlobs[" + selfId + ", " + store.count() + " blobs]";
    }
}

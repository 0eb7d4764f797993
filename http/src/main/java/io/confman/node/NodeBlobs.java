package io.confman.node;

import io.confman.storage.blob.BlobDigest;
import io.confman.storage.blob.BlobStore;
import io.confman.store.ApplyResult;
import io.confman.store.command.Precondition;
import io.confman.store.command.Value;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;

/**
 * A node's blobs (NODE.md, "Blobs"): the local {@link BlobStore}, replication to a majority
 * before a pointer is proposed, fetching blobs this node lacks, and garbage collection of
 * blobs no durable snapshot references. Every method may be called from any thread.
 */
public final class NodeBlobs {

    /**
     * The namespace where {@code PUT /v1/blobs/...} registers each uploaded blob, under the
     * key {@code sha256:<hex>}, so that it is referenced like any value. Clients may read it
     * but not write it.
     */
    public static final String REGISTRY_NAMESPACE = ".blobs";

    /** The local store. Uploads write into it; {@link #io()} runs their blocking steps. */
    public BlobStore store() {
        throw new UnsupportedOperationException("not built yet");
    }

    /** Runs blocking blob work (an upload's {@code finish}, its fsyncs) off the event loops. */
    public Executor io() {
        throw new UnsupportedOperationException("not built yet");
    }

    /**
     * Stores {@code pointer} (a blob this node holds) as the value of a key: makes sure a
     * majority of members hold the blob durably, then writes the pointer through the leader
     * as {@link ConfmanNode#write} does, with the same failures. The blob is kept from
     * garbage collection until the write is answered.
     */
    public CompletableFuture<ApplyResult> putValue(String namespace, String key, Value.BlobPointer pointer,
                                                   Precondition precondition) {
        throw new UnsupportedOperationException("not built yet");
    }

    /**
     * Registers an uploaded blob (this node holds it) in {@link #REGISTRY_NAMESPACE}, after
     * making sure a majority hold it. Completes with true when it was not registered before.
     */
    public CompletableFuture<Boolean> register(Value.BlobPointer pointer) {
        throw new UnsupportedOperationException("not built yet");
    }

    /**
     * The pointer of a blob some key references in this node's store (a stale read), or
     * empty when none does: only referenced blobs are served.
     */
    public CompletableFuture<Optional<Value.BlobPointer>> lookup(BlobDigest digest) {
        throw new UnsupportedOperationException("not built yet");
    }

    /**
     * Completes when this node holds the blob, fetching it from a peer first when it does
     * not; fails with {@link NodeException.Timeout} when no peer delivered it within the
     * request timeout. A blob is only ever visible whole and verified.
     */
    public CompletableFuture<Void> ensureLocal(Value.BlobPointer pointer) {
        throw new UnsupportedOperationException("not built yet");
    }
}

package io.confman.node;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.confman.raft.ClusterIdentity;
import io.confman.storage.blob.BlobDigest;
import io.confman.storage.blob.BlobReader;
import io.confman.storage.blob.BlobStore;
import io.confman.storage.blob.BlobUpload;
import io.confman.store.ApplyResult;
import io.confman.store.command.Command;
import io.confman.store.command.Value;
import io.confman.transport.NodeMessage;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Predicate;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The blob transfer protocol between two {@link NodeBlobs} joined by an in-memory wire that
 * can lose messages (TRANSPORT.md 4.5): a lost chunk is asked for again at once, not after a
 * stall, and what arrives is the exact blob.
 */
class NodeBlobsTransferTest {

    @TempDir
    Path root;

    /** Two members, a and b; messages go straight to the other's blob thread unless the wire drops them. */
    private static final class Wire {
        final Map<String, NodeBlobs> ends = new ConcurrentHashMap<>();
        volatile Predicate<NodeMessage> drop = message -> false;

        /** Member {@code id}, its store under {@code root}, joined to the wire. */
        NodeBlobs join(String id, Path root) throws java.io.IOException {
            NodeBlobs end = new NodeBlobs(id, List.of("a", "b"), BlobStore.open(root.resolve(id)), host(id),
                    SLOW_STALLS);
            ends.put(id, end);
            return end;
        }

        NodeBlobs.Host host(String self) {
            ClusterIdentity cluster = ClusterIdentity.of(List.of("a", "b"));
            return new NodeBlobs.Host() {
                @Override
                public ClusterIdentity cluster() {
                    return cluster;
                }

                @Override
                public boolean send(NodeMessage message) {
                    if (!drop.test(message)) {
                        ends.get(message.to()).onMessage(message);
                    }
                    return true;
                }

                @Override
                public void flush() {
                }

                @Override
                public long term() {
                    return 1;
                }

                @Override
                public String leaderId() {
                    return "a";
                }

                @Override
                public CompletableFuture<ApplyResult> write(Command command) {
                    return CompletableFuture.failedFuture(new AssertionError("no writes in this test"));
                }

                @Override
                public CompletableFuture<Optional<Value.BlobPointer>> pointer(BlobDigest digest) {
                    return CompletableFuture.completedFuture(Optional.empty());
                }

                @Override
                public boolean replayed() {
                    return false;
                }

                @Override
                public boolean caughtUp() {
                    return false; // No collection here.
                }

                @Override
                public long lastLogIndex() {
                    return 0;
                }

                @Override
                public long appliedIndex() {
                    return 0;
                }

                @Override
                public CompletableFuture<List<Value.BlobPointer>> referenced() {
                    return CompletableFuture.completedFuture(List.of());
                }

                @Override
                public CompletableFuture<List<BlobDigest>> unreferenced(List<BlobDigest> digests) {
                    return CompletableFuture.completedFuture(List.of());
                }
            };
        }
    }

    /** Stalls are long (a minute): a transfer that waited for one would miss the replication's deadline. */
    private static final NodeBlobs.Settings SLOW_STALLS = new NodeBlobs.Settings(TimeUnit.MINUTES.toNanos(1),
            TimeUnit.MINUTES.toNanos(5), TimeUnit.HOURS.toNanos(1), TimeUnit.SECONDS.toNanos(10));

    @Test
    void aLostChunkIsSentAgainWithoutWaitingForAStall() throws Exception {
        Wire wire = new Wire();
        try (NodeBlobs a = wire.join("a", root); NodeBlobs b = wire.join("b", root)) {
            byte[] bytes = new byte[3 * NodeBlobs.CHUNK_BYTES + 4321];
            new Random(5).nextBytes(bytes);
            BlobDigest digest;
            try (BlobUpload upload = a.store().begin()) {
                upload.write(ByteBuffer.wrap(bytes));
                digest = upload.finish(null);
            }
            AtomicInteger chunks = new AtomicInteger();
            // The second chunk is lost once, as when a connection drops with it in flight.
            wire.drop = message -> message instanceof NodeMessage.BlobChunk && chunks.incrementAndGet() == 2;
            Value.BlobPointer pointer = new Value.BlobPointer(digest.bytes(), bytes.length, "x/y");
            long began = System.nanoTime();
            a.replicate(digest, bytes.length).get(30, TimeUnit.SECONDS);
            long millis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - began);
            assertTrue(chunks.get() > 4, "the lost chunk was sent again: " + chunks.get() + " chunks");
            assertTrue(millis < TimeUnit.NANOSECONDS.toMillis(SLOW_STALLS.stallNanos()), "took " + millis + " ms");
            assertTrue(b.store().contains(digest));
            try (BlobReader reader = b.store().open(digest)) {
                ByteBuffer all = ByteBuffer.allocate(bytes.length);
                while (all.hasRemaining() && reader.read(all.position(), all) >= 0) {
                    // read advances the buffer
                }
                assertArrayEquals(bytes, all.array());
            }
            assertEquals(1, b.receivedCount());
            assertEquals(pointer.sizeBytes(), b.store().size(digest).orElseThrow());
        }
    }

    @Test
    void anOfferOfABlobOverTheLargestValueIsRefused() throws Exception {
        Wire wire = new Wire();
        try (NodeBlobs a = wire.join("a", root); NodeBlobs b = wire.join("b", root)) {
            CompletableFuture<NodeMessage.BlobStatus> answer = new CompletableFuture<>();
            wire.drop = message -> {
                if (message instanceof NodeMessage.BlobStatus status) {
                    answer.complete(status);
                    return true;
                }
                return false;
            };
            byte[] digest = new byte[32];
            b.onMessage(new NodeMessage.BlobOffer(ClusterIdentity.of(List.of("a", "b")), "a", "b", 1, 7, digest,
                    Long.MAX_VALUE / 2));
            NodeMessage.BlobStatus status = answer.get(30, TimeUnit.SECONDS);
            assertEquals(NodeMessage.BlobStatus.State.FAILED, status.state());
            assertTrue(status.detail().contains("over the largest value"), status.detail());
        }
    }
}

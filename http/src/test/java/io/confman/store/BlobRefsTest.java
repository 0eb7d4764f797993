package io.confman.store;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.confman.storage.blob.BlobDigest;
import io.confman.store.command.Command;
import io.confman.store.command.CommandCodec;
import io.confman.store.command.Precondition;
import io.confman.store.command.RequestId;
import io.confman.store.command.Value;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The store's blob reference counts, and the relocate command of the inline-to-blob migration. */
class BlobRefsTest {
    private final ConfigStore store = new ConfigStore(StoreLimits.DEFAULTS, WaitListener.NONE);
    private long index;

    private ApplyResult apply(Command command) {
        return store.apply(++index, CommandCodec.encode(command));
    }

    private static Value.BlobPointer pointerTo(String text) {
        byte[] bytes = text.getBytes(StandardCharsets.UTF_8);
        return new Value.BlobPointer(BlobRefs.sha256(ByteBuffer.wrap(bytes)), bytes.length, "text/plain");
    }

    private static BlobDigest digest(Value.BlobPointer pointer) {
        return BlobDigest.of(pointer.sha256());
    }

    private static Command put(String key, Value value) {
        return new Command.Put(RequestId.NONE, "ns", key, value, Precondition.NONE);
    }

    private static Command relocate(String key, Value.BlobPointer pointer, long modRevision) {
        return new Command.Relocate(RequestId.NONE, "ns", key, pointer, new Precondition.IfModRevision(modRevision));
    }

    @Test
    void countsFollowPutsOverwritesAndDeletes() {
        Value.BlobPointer a = pointerTo("a");
        Value.BlobPointer b = pointerTo("b");
        apply(put("k1", a));
        apply(put("k2", a));
        assertEquals(2, store.blobRefs().count(digest(a)));
        apply(put("k1", b)); // index 3: k1 now points to b
        assertEquals(1, store.blobRefs().count(digest(a)));
        assertEquals(List.of(), store.blobRefs().drainReleased());
        apply(new Command.Delete(RequestId.NONE, "ns", "k2", Precondition.NONE)); // index 4
        assertEquals(0, store.blobRefs().count(digest(a)));
        apply(put("k1", Value.Inline.copyOf(new byte[] {1}))); // index 5
        assertEquals(List.of(new BlobRefs.Released(digest(a), 4), new BlobRefs.Released(digest(b), 5)),
                store.blobRefs().drainReleased());
        assertEquals(List.of(), store.blobRefs().drainReleased());
        assertEquals(0, store.blobRefs().size());
    }

    @Test
    void relocateKeepsVersionAndRevisionsAndIsIdempotent() {
        apply(put("k", Value.Inline.copyOf("hello".getBytes(StandardCharsets.UTF_8))));
        apply(put("k", Value.Inline.copyOf("world".getBytes(StandardCharsets.UTF_8))));
        KeyMeta before = store.get("ns", "k").orElseThrow().meta();
        Value.BlobPointer pointer = pointerTo("world");
        ApplyResult moved = apply(relocate("k", pointer, before.modRevision()));
        KeyMeta after = assertInstanceOf(ApplyResult.Relocated.class, moved).meta();
        assertEquals(before.version(), after.version());
        assertEquals(before.modRevision(), after.modRevision());
        assertEquals(before.createRevision(), after.createRevision());
        assertTrue(after.blob());
        assertEquals(2, store.revision(), "the value did not change, so the revision does not move");
        assertEquals(pointer, store.get("ns", "k").orElseThrow().value());
        assertEquals(1, store.blobRefs().count(digest(pointer)));
        assertEquals(new ApplyResult.Relocated(after), apply(relocate("k", pointer, before.modRevision())));
        assertEquals(1, store.blobRefs().count(digest(pointer)), "a retry adds no reference");
    }

    @Test
    void relocateRefusesAChangedKeyAWrongDigestAndAMissingKey() {
        apply(put("k", Value.Inline.copyOf("v1".getBytes(StandardCharsets.UTF_8))));
        assertEquals(new ApplyResult.PreconditionFailed("ns", "k", 1), apply(relocate("k", pointerTo("v1"), 7)));
        assertEquals(new ApplyResult.PreconditionFailed("ns", "k", 1), apply(relocate("k", pointerTo("v2"), 1)),
                "a pointer to other bytes never replaces a value");
        assertEquals(new ApplyResult.NotFound("ns", "nope"), apply(relocate("nope", pointerTo("v1"), 1)));
        assertEquals(0, store.blobRefs().size());
        assertInstanceOf(Value.Inline.class, store.get("ns", "k").orElseThrow().value());
    }

    @Test
    void aRestoredSnapshotCountsItsPointersAndKeepsRelocatedResults() throws Exception {
        Value.BlobPointer a = pointerTo("a");
        apply(put("k1", a));
        apply(put("k2", a));
        apply(put("k3", Value.Inline.copyOf("c".getBytes(StandardCharsets.UTF_8))));
        Command relocate = new Command.Relocate(new RequestId(9, 1, 1), "ns", "k3", pointerTo("c"),
                new Precondition.IfModRevision(3));
        ApplyResult first = store.apply(++index, CommandCodec.encode(relocate));
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        store.writeSnapshot(out);
        ConfigStore restored = ConfigStore.restore(new ByteArrayInputStream(out.toByteArray()), StoreLimits.DEFAULTS,
                WaitListener.NONE);
        assertEquals(2, restored.blobRefs().count(digest(a)));
        assertEquals(1, restored.blobRefs().count(digest(pointerTo("c"))));
        assertEquals(first, restored.apply(index + 1, CommandCodec.encode(relocate)),
                "a retried relocate gets its first result from the restored session");
    }
}

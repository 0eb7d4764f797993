package io.confman.store;

import io.confman.storage.blob.BlobDigest;
import io.confman.store.command.Value;
import java.nio.ByteBuffer;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * Which blobs the live keys of a {@link ConfigStore} point to (NODE.md, "Blobs"), counted
 * per digest, and the blobs whose last key went away, with the log index at which that
 * happened. The node's collector deletes a blob only when no live key references it (these
 * counts) and no durable or published snapshot of the node does, among other conditions;
 * a release only makes it look for garbage sooner. Loop thread only, like the store.
 */
public final class BlobRefs {

    /** A blob that lost its last reference when the entry at {@code index} was applied. */
    public record Released(BlobDigest digest, long index) {
    }

    private static final class Ref {
        Value.BlobPointer pointer;
        long count;
    }

    /** Invariant: every count is at least 1; a blob with no key has no entry. */
    private final Map<BlobDigest, Ref> refs = new HashMap<>();
    private final ArrayDeque<Released> released = new ArrayDeque<>();

    void reference(Value value) {
        if (value instanceof Value.BlobPointer pointer) {
            Ref ref = refs.computeIfAbsent(pointer.digest(), digest -> new Ref());
            ref.pointer = pointer;
            ref.count++;
        }
    }

    void release(Value value, long index) {
        if (value instanceof Value.BlobPointer pointer) {
            BlobDigest digest = pointer.digest();
            Ref ref = refs.get(digest);
            if (ref == null) {
                throw new IllegalStateException("releasing " + digest + ", which no key references");
            }
            if (--ref.count == 0) {
                refs.remove(digest);
                released.add(new Released(digest, index));
            }
        }
    }

    /** How many live keys point to the blob. */
    public long count(BlobDigest digest) {
        Ref ref = refs.get(digest);
        return ref == null ? 0 : ref.count;
    }

    /** A pointer to the blob from one of the keys that reference it, or empty. */
    public Optional<Value.BlobPointer> pointer(BlobDigest digest) {
        Ref ref = refs.get(digest);
        return ref == null ? Optional.empty() : Optional.of(ref.pointer);
    }

    /** How many distinct blobs the live keys point to. */
    public int size() {
        return refs.size();
    }

    /** One pointer per referenced blob, in no particular order. */
    public List<Value.BlobPointer> pointers() {
        List<Value.BlobPointer> all = new ArrayList<>(refs.size());
        refs.values().forEach(ref -> all.add(ref.pointer));
        return all;
    }

    /** The digests live keys point to, as a copy. */
    public Set<BlobDigest> digests() {
        return new HashSet<>(refs.keySet());
    }

    /** Takes the blobs released since the last call, oldest first. */
    public List<Released> drainReleased() {
        List<Released> drained = new ArrayList<>(released);
        released.clear();
        return drained;
    }

    /** Whether {@code inline}'s bytes are the blob {@code pointer} names (size and SHA-256). */
    static boolean hashes(Value.Inline inline, Value.BlobPointer pointer) {
        if (inline.sizeBytes() != pointer.sizeBytes()) {
            return false;
        }
        return MessageDigest.isEqual(sha256(inline.bytes()), pointer.sha256());
    }

    static byte[] sha256(ByteBuffer bytes) {
        try {
            MessageDigest sha256 = MessageDigest.getInstance("SHA-256");
            sha256.update(bytes);
            return sha256.digest();
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every Java runtime has SHA-256", e);
        }
    }
}

package io.confman.store.command;

import java.util.Objects;

/**
 * A write to the config store, as carried in a log entry. The constructors validate
 * everything a replica could otherwise disagree about, so a command that exists is one
 * every replica applies the same way.
 */
public sealed interface Command {

    RequestId requestId();

    String namespace();

    String key();

    Precondition precondition();

    /** Stores {@code value} under {@code key} when {@code precondition} holds. */
    record Put(RequestId requestId, String namespace, String key, Value value, Precondition precondition)
            implements Command {
        public Put {
            Objects.requireNonNull(requestId, "requestId");
            Objects.requireNonNull(value, "value");
            Objects.requireNonNull(precondition, "precondition");
            Names.checkNamespace(namespace);
            Names.checkKey(key);
            if (value instanceof Value.Inline inline && inline.sizeBytes() > Names.INLINE_VALUE_BYTES_MAX) {
                throw new IllegalArgumentException("an inline value is at most " + Names.INLINE_VALUE_BYTES_MAX
                        + " bytes, this one has " + inline.sizeBytes());
            }
        }
    }

    /** Removes {@code key} when {@code precondition} holds; create-only makes no sense here. */
    record Delete(RequestId requestId, String namespace, String key, Precondition precondition)
            implements Command {
        public Delete {
            Objects.requireNonNull(requestId, "requestId");
            Objects.requireNonNull(precondition, "precondition");
            Names.checkNamespace(namespace);
            Names.checkKey(key);
            if (precondition instanceof Precondition.CreateOnly) {
                throw new IllegalArgumentException("a delete cannot be create-only");
            }
        }
    }

    /**
     * Moves a key's inline value into the blob store without changing it (the inline-to-blob
     * migration, NODE.md): applies only while the key's mod_revision is still
     * {@code precondition}'s and its inline bytes hash to {@code pointer}; the key keeps its
     * version and revisions, since its value is the same.
     */
    record Relocate(RequestId requestId, String namespace, String key, Value.BlobPointer pointer,
                    Precondition.IfModRevision precondition) implements Command {
        public Relocate {
            Objects.requireNonNull(requestId, "requestId");
            Objects.requireNonNull(pointer, "pointer");
            Objects.requireNonNull(precondition, "precondition");
            Names.checkNamespace(namespace);
            Names.checkKey(key);
        }
    }
}

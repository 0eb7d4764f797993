package io.confman.store.command;

/**
 * What must hold for a write to take effect. A failed precondition changes nothing and
 * does not advance the global revision (etcd's transaction semantics).
 */
public sealed interface Precondition {

    /** Always holds. */
    None NONE = new None();

    /** Holds only when the key does not exist ({@code If-None-Match: *}). */
    CreateOnly CREATE_ONLY = new CreateOnly();

    record None() implements Precondition {
    }

    record CreateOnly() implements Precondition {
    }

    /** Holds only when the key exists with this mod_revision ({@code If-Match: "<rev>"}). */
    record IfModRevision(long modRevision) implements Precondition {
        public IfModRevision {
            if (modRevision < 1) {
                throw new IllegalArgumentException("a mod_revision precondition must be >= 1, was " + modRevision);
            }
        }
    }
}

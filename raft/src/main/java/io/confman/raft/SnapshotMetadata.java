package io.confman.raft;

/**
 * What the core knows of a snapshot: the last entry it replaces (thesis §5.1,
 * "lastIncludedIndex" and "lastIncludedTerm") and its length. The bytes themselves stay
 * with the runtime; the core reads them chunk by chunk through {@link SnapshotSource}.
 * The membership is static, so a snapshot carries no configuration.
 */
public record SnapshotMetadata(long lastIncludedIndex, long lastIncludedTerm, long sizeBytes) {

    /** The snapshot of an empty log: nothing is included. */
    public static final SnapshotMetadata EMPTY = new SnapshotMetadata(0, 0, 0);

    public SnapshotMetadata {
        if (lastIncludedIndex < 0 || lastIncludedTerm < 0 || sizeBytes < 0) {
            throw new IllegalArgumentException("snapshot index, term and size must be >= 0: "
                    + lastIncludedIndex + "/" + lastIncludedTerm + "/" + sizeBytes);
        }
        if ((lastIncludedIndex == 0) != (lastIncludedTerm == 0)) {
            throw new IllegalArgumentException("a snapshot has index 0 exactly when it has term 0");
        }
    }
}

package io.confman.store;

import java.util.Objects;

/**
 * What the API reports about a stored key: the JSON object
 * {@code {ns,key,version,create_revision,mod_revision,size,blob}}.
 *
 * @param version 1 when the key was created, one more per update since; a delete resets it
 * @param createRevision the global revision of the write that created the key
 * @param modRevision the global revision of the last write to the key
 * @param sizeBytes the value's size, whether inline or in the blob store
 * @param blob whether the value is a pointer into the blob store
 */
public record KeyMeta(String namespace, String key, long version, long createRevision, long modRevision,
                      long sizeBytes, boolean blob) {
    public KeyMeta {
        Objects.requireNonNull(namespace, "namespace");
        Objects.requireNonNull(key, "key");
        if (version < 1) {
            throw new IllegalArgumentException("version must be >= 1, was " + version);
        }
        if (createRevision < 1) {
            throw new IllegalArgumentException("create_revision must be >= 1, was " + createRevision);
        }
        if (modRevision < createRevision) {
            throw new IllegalArgumentException("mod_revision " + modRevision + " is below create_revision "
                    + createRevision);
        }
        if (sizeBytes < 0) {
            throw new IllegalArgumentException("size must be >= 0, was " + sizeBytes);
        }
    }
}

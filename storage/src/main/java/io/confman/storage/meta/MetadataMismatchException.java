package io.confman.storage.meta;

import java.io.IOException;

/** The data directory belongs to another cluster or node; the node must not start on it. */
public final class MetadataMismatchException extends IOException {
    public MetadataMismatchException(String message) {
        super(message);
    }
}

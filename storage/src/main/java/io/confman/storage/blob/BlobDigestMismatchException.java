package io.confman.storage.blob;

import java.io.IOException;

/** An upload's bytes do not hash to the digest its sender named; nothing was published. */
public final class BlobDigestMismatchException extends IOException {

    private final BlobDigest expected;
    private final BlobDigest actual;

    public BlobDigestMismatchException(BlobDigest expected, BlobDigest actual) {
        super("the bytes hash to " + actual + ", not " + expected);
        this.expected = expected;
        this.actual = actual;
    }

    public BlobDigest expected() {
        return expected;
    }

    public BlobDigest actual() {
        return actual;
    }
}

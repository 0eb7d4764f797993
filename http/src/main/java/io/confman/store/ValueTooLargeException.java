package io.confman.store;

/** A client's value is over the configured maximum; the node answers 413. */
public final class ValueTooLargeException extends RuntimeException {
    private final long sizeBytes;
    private final long valueBytesMax;

    public ValueTooLargeException(long sizeBytes, long valueBytesMax) {
        super("value of " + sizeBytes + " bytes is over the maximum of " + valueBytesMax + " bytes");
        this.sizeBytes = sizeBytes;
        this.valueBytesMax = valueBytesMax;
    }

    public long sizeBytes() {
        return sizeBytes;
    }

    public long valueBytesMax() {
        return valueBytesMax;
    }
}

package io.confman.http;

/**
 * How large a request body may be. Until the blob store exists, a value above
 * {@code inlineMaxBytes} cannot be stored at all, so the connection stops reading at
 * {@code min(inlineMaxBytes, valueBytesMax)} and answers 413 {@code value_too_large}; the
 * message says which of the two limits the value passed.
 */
final class BodyLimits {

    private BodyLimits() {
    }

    /** The largest body the connection buffers. */
    static long bodyBytesMax(HttpConfig config) {
        return Math.min(config.inlineMaxBytes(), config.valueBytesMax());
    }

    /** Throws the 413 for a value of {@code sizeBytes} (or at least that many) that is too large. */
    static void checkValue(long sizeBytes, HttpConfig config) {
        if (sizeBytes > config.valueBytesMax()) {
            throw ApiError.valueTooLarge("a value of " + sizeBytes + " bytes or more is over the maximum of "
                    + config.valueBytesMax() + " bytes");
        }
        if (sizeBytes > config.inlineMaxBytes()) {
            throw ApiError.valueTooLarge("a value of " + sizeBytes + " bytes or more is over inline-max-bytes "
                    + config.inlineMaxBytes() + "; larger values go to the blob store, which is not built yet");
        }
    }
}

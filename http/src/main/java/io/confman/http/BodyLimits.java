package io.confman.http;

/**
 * How large a request body may be (HTTP.md, "Limits"). A value is at most
 * {@code valueBytesMax}; up to {@code inlineMaxBytes} it is buffered and stored in the log,
 * above that it streams into the blob store. Bodies of other requests are buffered and
 * bounded like inline values.
 */
final class BodyLimits {

    private BodyLimits() {
    }

    /** The largest body the connection buffers in memory. */
    static long bufferedBytesMax(HttpConfig config) {
        return Math.min(config.inlineMaxBytes(), config.valueBytesMax());
    }

    /** Throws the 413 for a value of {@code sizeBytes} (or at least that many) over the maximum. */
    static void checkValue(long sizeBytes, HttpConfig config) {
        if (sizeBytes > config.valueBytesMax()) {
            throw ApiError.valueTooLarge("a value of " + sizeBytes + " bytes or more is over the maximum of "
                    + config.valueBytesMax() + " bytes");
        }
    }
}

package io.confman.http;

/**
 * A single byte range of a value (RFC 9110 section 14): {@code bytes=a-b}, {@code bytes=a-}
 * or {@code bytes=-n}. Several ranges, other units and malformed headers are ignored (the
 * whole value is sent), as the RFC allows; only a well-formed range that selects nothing of
 * the value is unsatisfiable (416).
 *
 * @param first the first byte sent, inclusive
 * @param last  the last byte sent, inclusive
 */
record ByteRange(long first, long last) {

    /** What a Range header asks of a value of {@code sizeBytes}. */
    sealed interface Outcome {
    }

    /** Send everything with 200. */
    record Whole() implements Outcome {
    }

    /** Send {@code range} with 206. */
    record Partial(ByteRange range) implements Outcome {
    }

    /** Answer 416 with {@code Content-Range: bytes * /size}. */
    record Unsatisfiable() implements Outcome {
    }

    private static final String PREFIX = "bytes=";

    long lengthBytes() {
        return last - first + 1;
    }

    static Outcome parse(String header, long sizeBytes) {
        if (header == null || !header.regionMatches(true, 0, PREFIX, 0, PREFIX.length())) {
            return new Whole();
        }
        String spec = header.substring(PREFIX.length()).trim();
        int dash = spec.indexOf('-');
        if (spec.indexOf(',') >= 0 || dash < 0) {
            return new Whole();
        }
        String startText = spec.substring(0, dash).trim();
        String endText = spec.substring(dash + 1).trim();
        Long start = number(startText);
        Long end = number(endText);
        if (startText.isEmpty()) {
            return suffix(end, sizeBytes);
        }
        if (start == null || (!endText.isEmpty() && (end == null || end < start))) {
            return new Whole();
        }
        if (start >= sizeBytes) {
            return new Unsatisfiable();
        }
        long last = end == null ? sizeBytes - 1 : Math.min(end, sizeBytes - 1);
        return new Partial(new ByteRange(start, last));
    }

    /** {@code bytes=-n}: the last n bytes. */
    private static Outcome suffix(Long count, long sizeBytes) {
        if (count == null) {
            return new Whole();
        }
        if (count == 0 || sizeBytes == 0) {
            return new Unsatisfiable();
        }
        return new Partial(new ByteRange(Math.max(0, sizeBytes - count), sizeBytes - 1));
    }

    /** A non-negative decimal, or null when the text is not one (or empty). */
    private static Long number(String text) {
        if (text.isEmpty() || text.length() > 18) {
            return null;
        }
        for (int i = 0; i < text.length(); i++) {
            if (text.charAt(i) < '0' || text.charAt(i) > '9') {
                return null;
            }
        }
        return Long.parseLong(text);
    }
}

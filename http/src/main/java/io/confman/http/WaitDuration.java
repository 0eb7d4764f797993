package io.confman.http;

/**
 * Consul's {@code ?wait=} durations: a whole number with a unit, {@code ms}, {@code s} or
 * {@code m} (for example {@code 500ms}, {@code 30s}, {@code 5m}), capped at the server's
 * maximum as Consul does.
 */
final class WaitDuration {

    /** Consul's default when {@code wait} is absent. */
    static final long DEFAULT_WAIT_MS = 5 * 60_000;

    private WaitDuration() {
    }

    /** The wait in milliseconds, at most {@code waitMaxMs}; a 400 when the text is not a duration. */
    static long parseMs(String text, long waitMaxMs) {
        if (text == null || text.isEmpty()) {
            return Math.min(DEFAULT_WAIT_MS, waitMaxMs);
        }
        long unitMs;
        String digits;
        if (text.endsWith("ms")) {
            unitMs = 1;
            digits = text.substring(0, text.length() - 2);
        } else if (text.endsWith("s")) {
            unitMs = 1_000;
            digits = text.substring(0, text.length() - 1);
        } else if (text.endsWith("m")) {
            unitMs = 60_000;
            digits = text.substring(0, text.length() - 1);
        } else {
            throw ApiError.badRequest("wait must be a duration such as 500ms, 30s or 5m, was '" + text + "'");
        }
        if (digits.isEmpty() || digits.length() > 9 || !digits.chars().allMatch(c -> c >= '0' && c <= '9')) {
            throw ApiError.badRequest("wait must be a duration such as 500ms, 30s or 5m, was '" + text + "'");
        }
        return Math.min(Long.parseLong(digits) * unitMs, waitMaxMs);
    }
}

package io.confman.jepsen.checker;

/**
 * The answer of a check. {@code UNKNOWN} is never a pass: the search gave up (a time or
 * memory limit) before it found either a linearization or proof that there is none.
 */
public enum Verdict {
    TRUE,
    FALSE,
    UNKNOWN;

    /** How {@code :valid?} prints it: {@code true}, {@code false} or {@code :unknown}. */
    public String edn() {
        return switch (this) {
            case TRUE -> "true";
            case FALSE -> "false";
            case UNKNOWN -> ":unknown";
        };
    }
}

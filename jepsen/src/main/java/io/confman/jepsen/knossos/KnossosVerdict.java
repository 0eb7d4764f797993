package io.confman.jepsen.knossos;

/**
 * What a Knossos run says of a set of histories, or of one of them. Only {@link #VALID} is a
 * pass: an {@link #UNKNOWN} verdict means Knossos ran out of time or memory before deciding,
 * and {@link #UNAVAILABLE} means it could not be run at all, so neither may be read as
 * "no anomaly found".
 */
public enum KnossosVerdict {
    /** Every history is linearizable. */
    VALID,
    /** At least one history is not linearizable. */
    INVALID,
    /** No history is shown invalid, but some could not be decided: inconclusive. */
    UNKNOWN,
    /** Knossos did not run: no Clojure CLI, dependencies not resolved, or a failure before any verdict. */
    UNAVAILABLE
}

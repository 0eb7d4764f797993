package io.confman.jepsen.checker;

import java.util.List;

/**
 * The check of one register's history.
 *
 * @param key the register, null in a single-register history
 * @param verdict whether the key's history is linearizable
 * @param operationCount operations (invocations) of the key
 * @param elapsedNanos time spent on this key
 * @param counterexample why not, when the verdict is {@link Verdict#FALSE}; otherwise null
 * @param unknownReason why the search gave up, when the verdict is {@link Verdict#UNKNOWN}
 * @param operations the key's operations in invocation order, for the timeline
 */
public record KeyResult(Object key, Verdict verdict, int operationCount, long elapsedNanos,
                        Counterexample counterexample, String unknownReason, List<Operation> operations) {

    /** The counterexample's text, or an empty string when there is none. */
    public String counterexampleText() {
        return counterexample == null ? "" : counterexample.text();
    }
}

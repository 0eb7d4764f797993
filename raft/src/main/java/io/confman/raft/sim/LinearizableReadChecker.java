package io.confman.raft.sim;

import java.util.HashMap;
import java.util.Map;

/**
 * Linearizable reads (Raft thesis §6.4, ReadIndex): a read must reflect every write committed
 * before it was issued, so the read index the leader hands back is at least the highest
 * index any node knew committed at that moment; and the runtime answers the read only once
 * its state machine has applied up to that read index.
 */
final class LinearizableReadChecker {

    /** The property's short name, as a trace lists the checks of a tick. */
    static final String NAME = "Linearizable read";
    static final String PROPERTY = NAME + " (thesis §6.4)";

    /** How many times the property was checked, for the trace's list of the checks of a tick. */
    private long checks;

    private final Map<String, Long> committedAtIssue = new HashMap<>();

    void onIssue(String context, long committedMax) {
        committedAtIssue.put(context, committedMax);
    }

    void onReadIndex(String node, String context, long readIndex, long tick) {
        checks++;
        Long committed = committedAtIssue.get(context);
        if (committed == null) {
            throw new SafetyViolation(PROPERTY, node + " answered read " + context + ", never issued");
        }
        if (readIndex < committed) {
            throw new SafetyViolation(PROPERTY, node + " gave read " + context + " the read index "
                    + readIndex + ", but index " + committed + " was already committed when the read"
                    + " was issued: the read would miss a completed write (tick " + tick + ")");
        }
    }

    /** The core refused the read; a client would retry it as a new read. */
    void onFailed(String context) {
        committedAtIssue.remove(context);
    }

    void onServe(String node, String context, long readIndex, long appliedIndex, long tick) {
        checks++;
        if (appliedIndex < readIndex) {
            throw new SafetyViolation(PROPERTY, node + " answered read " + context + " with its state"
                    + " machine at " + appliedIndex + ", before its read index " + readIndex
                    + " (tick " + tick + ")");
        }
        committedAtIssue.remove(context);
    }

    long checks() {
        return checks;
    }
}

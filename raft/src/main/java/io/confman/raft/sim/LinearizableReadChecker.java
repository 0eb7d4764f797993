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

    static final String PROPERTY = "Linearizable read (thesis §6.4)";

    private final Map<String, Long> committedAtIssue = new HashMap<>();

    void onIssue(String context, long committedMax) {
        committedAtIssue.put(context, committedMax);
    }

    void onReadIndex(String node, String context, long readIndex, long tick) {
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
        if (appliedIndex < readIndex) {
            throw new SafetyViolation(PROPERTY, node + " answered read " + context + " with its state"
                    + " machine at " + appliedIndex + ", before its read index " + readIndex
                    + " (tick " + tick + ")");
        }
        committedAtIssue.remove(context);
    }
}

package io.confman.raft.sim;

import io.confman.raft.Entry;
import java.util.List;

/**
 * Leader Append-Only (Raft paper Figure 3, §5.3): a leader never overwrites or deletes entries
 * in its log; it only appends new entries. Checked on every Ready of a node that has been
 * leader of one term since its previous Ready: its new entries must start past its log's end.
 */
final class LeaderAppendOnlyChecker {

    /** The property's short name, as a trace lists the checks of a tick. */
    static final String NAME = "Leader Append-Only";
    static final String PROPERTY = NAME + " (Figure 3, §5.3)";

    /** How many times the property was checked, for the trace's list of the checks of a tick. */
    private long checks;

    void check(String id, long term, long lastIndexBefore, List<Entry> entries, long tick) {
        checks++;
        if (entries.isEmpty()) {
            return;
        }
        long first = entries.get(0).index();
        if (first <= lastIndexBefore) {
            throw new SafetyViolation(PROPERTY, id + ", leader of term " + term + ", rewrote its log"
                    + " from index " + first + " while it held entries up to " + lastIndexBefore
                    + " (new entries " + entries + ", tick " + tick + ")");
        }
    }

    long checks() {
        return checks;
    }
}

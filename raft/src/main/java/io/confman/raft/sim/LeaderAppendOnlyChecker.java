package io.confman.raft.sim;

import io.confman.raft.Entry;
import java.util.List;

/**
 * Leader Append-Only (Raft paper Figure 3, §5.3): a leader never overwrites or deletes entries
 * in its log; it only appends new entries. Checked on every Ready of a node that has been
 * leader of one term since its previous Ready: its new entries must start past its log's end.
 */
final class LeaderAppendOnlyChecker {

    static final String PROPERTY = "Leader Append-Only (Figure 3, §5.3)";

    void check(String id, long term, long lastIndexBefore, List<Entry> entries, long tick) {
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
}

package io.confman.raft.sim;

import java.util.HashMap;
import java.util.Map;

/**
 * Log Matching (Raft paper Figure 3, §5.3): if two logs contain an entry with the same index
 * and term, then the logs are identical in all entries up through that index. Every entry
 * that enters any node's log (from a Ready, or from the disk at restart) is checked: its
 * (index, term) must always come with the same prefix hash.
 */
final class LogMatchingChecker {

    /** The property's short name, as a trace lists the checks of a tick. */
    static final String NAME = "Log Matching";
    static final String PROPERTY = NAME + " (Figure 3, §5.3)";

    /** How many times the property was checked, for the trace's list of the checks of a tick. */
    private long checks;

    private record Position(long index, long term) {
    }

    private record Holder(String node, long chain) {
    }

    private final Map<Position, Holder> firstSeen = new HashMap<>();

    void observe(String node, long index, long term, long chain, long tick) {
        checks++;
        Holder earlier = firstSeen.putIfAbsent(new Position(index, term), new Holder(node, chain));
        if (earlier != null && earlier.chain() != chain) {
            throw new SafetyViolation(PROPERTY, "entry " + term + "/" + index + " is in the logs of "
                    + earlier.node() + " and " + node + " with different prefixes (prefix hashes "
                    + Long.toHexString(earlier.chain()) + " and " + Long.toHexString(chain)
                    + ", tick " + tick + ")");
        }
    }

    long checks() {
        return checks;
    }
}

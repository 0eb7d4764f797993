package io.confman.raft.sim;

import java.util.HashMap;
import java.util.Map;

/**
 * Election Safety (Raft paper Figure 3, §5.2): at most one leader can be elected in a given
 * term. Checked after every input to every node, so that the second leader is caught the
 * moment it wins, before it can act.
 */
final class ElectionSafetyChecker {

    /** The property's short name, as a trace lists the checks of a tick. */
    static final String NAME = "Election Safety";
    static final String PROPERTY = NAME + " (Figure 3, §5.2)";

    /** How many times the property was checked, for the trace's list of the checks of a tick. */
    private long checks;

    private final Map<Long, String> leaderByTerm = new HashMap<>();

    /** Returns true the first time {@code id} is seen leading {@code term}: a new election. */
    boolean observeLeader(String id, long term, long tick) {
        checks++;
        String earlier = leaderByTerm.putIfAbsent(term, id);
        if (earlier == null) {
            return true;
        }
        if (!earlier.equals(id)) {
            throw new SafetyViolation(PROPERTY, "term " + term + " has two leaders, " + earlier
                    + " and " + id + " (seen at tick " + tick + ")");
        }
        return false;
    }

    int elections() {
        return leaderByTerm.size();
    }

    long checks() {
        return checks;
    }
}

package io.confman.node;

/**
 * Why a client request to a {@link ConfmanNode} failed. Each kind maps to one HTTP answer
 * in the layer above; the "outcome unknown" kinds must never be reported as a failure,
 * because the command may still be, or already be, applied.
 */
public abstract sealed class NodeException extends RuntimeException {

    NodeException(String message) {
        super(message);
    }

    NodeException(String message, Throwable cause) {
        super(message, cause);
    }

    /** This node is not the leader; {@code leaderHint} is the leader it knows of, or null. */
    public static final class NotLeader extends NodeException {
        private final String leaderHint;

        public NotLeader(String nodeId, String leaderHint) {
            super("node " + nodeId + " is not the leader; leader hint: " + leaderHint);
            this.leaderHint = leaderHint;
        }

        public String leaderHint() {
            return leaderHint;
        }
    }

    /** The leader refused the command for a reason other than leadership (for example a transfer). */
    public static final class Rejected extends NodeException {
        public Rejected(String reason) {
            super("proposal rejected: " + reason);
        }
    }

    /**
     * The proposal was in this leader's log, but another term's entry now holds its index, or
     * a snapshot replaced the log: leadership was lost and the outcome is unknown.
     */
    public static final class LeadershipLost extends NodeException {
        public LeadershipLost(String detail) {
            super("leadership lost, outcome unknown: " + detail);
        }
    }

    /** No answer within requestTimeoutMs; the outcome is unknown. */
    public static final class Timeout extends NodeException {
        public Timeout(long requestTimeoutMs) {
            super("no answer within requestTimeoutMs " + requestTimeoutMs + ", outcome unknown");
        }

        /** A timeout of something other than a client request, such as a leadership transfer. */
        public Timeout(String what, long timeoutMs) {
            super(what + " did not finish within " + timeoutMs + " ms");
        }
    }

    /** The inbox or the pending-request table is full (HTTP 429). */
    public static final class Overloaded extends NodeException {
        public Overloaded(String what) {
            super("node overloaded: " + what);
        }
    }

    /** The node is stopped, or stopped because of {@code getCause()}; the outcome is unknown. */
    public static final class Stopped extends NodeException {
        public Stopped(String detail, Throwable cause) {
            super("node stopped, outcome unknown: " + detail, cause);
        }
    }
}

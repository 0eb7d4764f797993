package io.confman.jepsen.history;

/**
 * A history that cannot be checked: text that is not EDN, an event that is not an operation
 * of the compare-and-set register, or events that no run of clients could have produced (a
 * completion without an invocation, two invocations by one process without a completion
 * between them, a completion of another function than the one invoked). The message is one
 * line naming the line or index at fault.
 */
public final class MalformedHistoryException extends RuntimeException {
    public MalformedHistoryException(String message) {
        super(message);
    }
}

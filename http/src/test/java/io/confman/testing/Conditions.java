package io.confman.testing;

import io.confman.node.ConfmanNode;
import io.confman.raft.Role;
import java.time.Duration;
import java.util.Collection;
import java.util.function.Supplier;

/**
 * Waiting for a condition by polling it under a deadline, the one way tests here wait:
 * never a fixed sleep, and a clear message naming what did not happen in time.
 */
public final class Conditions {

    private Conditions() {
    }

    /** Polls {@code condition} every {@code poll} until it gives a value, or fails after {@code deadline}. */
    public static <T> T await(String what, Duration deadline, Duration poll, Supplier<T> condition) {
        long deadlineNanos = System.nanoTime() + deadline.toNanos();
        while (true) {
            T value = condition.get();
            if (value != null) {
                return value;
            }
            if (System.nanoTime() - deadlineNanos > 0) {
                throw new AssertionError("timed out after " + deadline + " waiting for " + what);
            }
            try {
                Thread.sleep(poll.toMillis()); // Polling a condition, not waiting a fixed time.
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new AssertionError("interrupted waiting for " + what, e);
            }
        }
    }

    /** The node that leads with every one of {@code nodes} agreeing on it and its term, or null. */
    public static ConfmanNode agreedLeader(Collection<ConfmanNode> nodes) {
        ConfmanNode leader = nodes.stream().filter(node -> node.status().role() == Role.LEADER).findFirst()
                .orElse(null);
        if (leader == null) {
            return null;
        }
        boolean agreed = nodes.stream().allMatch(node -> leader.id().equals(node.status().leaderId())
                && node.status().term() == leader.status().term());
        return agreed ? leader : null;
    }
}

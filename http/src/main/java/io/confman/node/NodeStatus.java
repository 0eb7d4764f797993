package io.confman.node;

import io.confman.raft.Role;

/**
 * A node's state as last published by its loop, readable from any thread.
 *
 * @param ticks         ticks the core has been given since start
 * @param failure       why the loop stopped, or null while it runs normally
 */
public record NodeStatus(
        String id,
        Role role,
        long term,
        String leaderId,
        long commitIndex,
        long appliedIndex,
        long lastIndex,
        long snapshotIndex,
        long ticks,
        String failure) {
}

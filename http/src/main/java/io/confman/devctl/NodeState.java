package io.confman.devctl;

import java.util.Locale;

/**
 * A node as the controller reports it. One value, the first that holds: {@code stopped}
 * (no process), {@code paused} (SIGSTOP), {@code isolated} (links cut), {@code running}.
 * Isolation is kept across a stop and a restart: a stopped node that was isolated comes
 * back isolated until it is healed.
 */
public enum NodeState {
    RUNNING, STOPPED, PAUSED, ISOLATED;

    /** The name in the JSON answers. */
    public String wireName() {
        return name().toLowerCase(Locale.ROOT);
    }
}

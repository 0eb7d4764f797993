package io.confman.devctl;

import java.util.Locale;
import java.util.Optional;

/** What the controller does to one node ({@code POST /dev/nodes/{id}/{action}}). */
public enum Action {
    /** SIGKILL, a crash, and wait for the process to end. */
    STOP,
    /** Start a stopped node again with the same command and data directory. */
    RESTART,
    /** SIGSTOP: the process freezes with its sockets open, as in a long GC pause. */
    PAUSE,
    /** SIGCONT to a paused node. */
    RESUME,
    /** Cut every link to and from the node. */
    ISOLATE,
    /** Restore the links an isolation cut. */
    HEAL;

    /** The name in the URL. */
    public String wireName() {
        return name().toLowerCase(Locale.ROOT);
    }

    /** The action a URL names, or empty. */
    public static Optional<Action> parse(String wireName) {
        for (Action action : values()) {
            if (action.wireName().equals(wireName)) {
                return Optional.of(action);
            }
        }
        return Optional.empty();
    }
}

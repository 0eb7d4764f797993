package io.confman.raft;

import java.util.List;

/**
 * The shape of a node's log, for views of the node (the live view, the simulator's trace):
 * where its snapshot ends, where the log ends, and its newest entries.
 *
 * @param snapshot the last index and term the snapshot covers ({@code 0/0} without one)
 * @param last the last index and term of the log (the snapshot's when no entry is above it)
 * @param tail the newest entries above the snapshot, oldest first
 */
public record LogView(LogPosition snapshot, LogPosition last, List<Entry> tail) {

    public LogView {
        tail = List.copyOf(tail);
    }
}

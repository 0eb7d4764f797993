package io.confman.raft;

import java.util.List;

/**
 * Everything the core asks of the runtime after some inputs, handed back with
 * {@link RaftNode#advance}. The runtime handles it in this order:
 * <ol>
 *   <li>write {@code snapshotChunks}; install {@code snapshotToInstall} (state machine and log);
 *       append {@code entries}; write {@code hardState}; make it all durable (fsync);</li>
 *   <li>send {@code messages} (these may go out before step 1 finishes) and then
 *       {@code messagesAfterPersist} (never before step 1 finished);</li>
 *   <li>apply {@code committedEntries} in order, then serve {@code readStates} once applied
 *       up to their index, and fail {@code failedReads};</li>
 *   <li>call {@link RaftNode#advance(Ready)}.</li>
 * </ol>
 *
 * @param hardState            the term, vote and commit index to persist, or {@code null} if unchanged
 * @param entries              log entries to persist, replacing any stored entry at the same or
 *                             later index
 * @param messages             messages that may be sent at once
 * @param messagesAfterPersist messages that acknowledge state which must be durable first (thesis
 *                             §3.8): votes, appended entries, snapshot chunks
 * @param committedEntries     entries now known committed, to apply in order
 * @param snapshotChunks       chunks of a snapshot being received from the leader, to write
 * @param snapshotToInstall    a complete received snapshot that replaces the log and the state
 *                             machine, or {@code null}
 * @param readStates           linearizable reads that became safe
 * @param failedReads          reads that will never become safe on this node
 * @param rejectedMessages     messages refused unread (another cluster identity, an unknown
 *                             sender or a wrong receiver)
 */
public record Ready(
        HardState hardState,
        List<Entry> entries,
        List<Message> messages,
        List<Message> messagesAfterPersist,
        List<Entry> committedEntries,
        List<SnapshotChunk> snapshotChunks,
        SnapshotMetadata snapshotToInstall,
        List<ReadState> readStates,
        List<FailedRead> failedReads,
        List<RejectedMessage> rejectedMessages) {

    public Ready {
        entries = List.copyOf(entries);
        messages = List.copyOf(messages);
        messagesAfterPersist = List.copyOf(messagesAfterPersist);
        committedEntries = List.copyOf(committedEntries);
        snapshotChunks = List.copyOf(snapshotChunks);
        readStates = List.copyOf(readStates);
        failedReads = List.copyOf(failedReads);
        rejectedMessages = List.copyOf(rejectedMessages);
    }

    /** True if something must reach the disk before {@code messagesAfterPersist} are sent. */
    public boolean mustSync() {
        return hardState != null || !entries.isEmpty() || !snapshotChunks.isEmpty()
                || snapshotToInstall != null;
    }
}

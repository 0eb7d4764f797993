package io.confman.raft;

import java.util.ArrayDeque;

/**
 * The command bytes a leader appended in its term and has not yet committed (etcd's
 * uncommitted-size limit). New proposals are refused while the total would pass the bound,
 * so that a leader cut off from its followers cannot grow its log without end.
 */
final class UncommittedBytes {

    private record Appended(long index, long bytes) {
    }

    private final long bytesMax;
    // Invariant: bytes == the sum of appended bytes; indexes increase along the queue. The
    // queue is bounded because every entry counts at least Entry.HEADER_BYTES.
    private final ArrayDeque<Appended> appended = new ArrayDeque<>();
    // Invariant: (bytes == 0) == appended.isEmpty(), and bytes <= bytesMax unless a single
    // entry larger than bytesMax is pending (admits lets one in when none is).
    private long bytes;

    UncommittedBytes(long bytesMax) {
        this.bytesMax = bytesMax;
    }

    /** True if an entry of {@code entryBytes} fits; one entry always fits when none is pending. */
    boolean admits(long entryBytes) {
        return bytes == 0 || bytes + entryBytes <= bytesMax;
    }

    void add(long index, long entryBytes) {
        if (!appended.isEmpty() && index <= appended.peekLast().index()) {
            throw new IllegalStateException("uncommitted indexes must increase, got " + index);
        }
        appended.add(new Appended(index, entryBytes));
        bytes += entryBytes;
        checkInvariants();
    }

    void committedTo(long commitIndex) {
        while (!appended.isEmpty() && appended.peek().index() <= commitIndex) {
            bytes -= appended.poll().bytes();
        }
        checkInvariants();
    }

    /**
     * Called at the end of every mutator. Summing the queue would cost a pass over every
     * uncommitted entry per proposal, so this checks what follows from the sum instead: every
     * entry counts at least one byte, and the bound holds.
     */
    private void checkInvariants() {
        if ((bytes == 0) != appended.isEmpty()) {
            throw new IllegalStateException(bytes + " uncommitted bytes in " + appended.size() + " entries");
        }
        if (bytes > bytesMax && appended.size() > 1) {
            throw new IllegalStateException(bytes + " uncommitted bytes in " + appended.size()
                    + " entries exceed uncommittedBytesMax " + bytesMax);
        }
    }
}

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
    }

    void committedTo(long commitIndex) {
        while (!appended.isEmpty() && appended.peek().index() <= commitIndex) {
            bytes -= appended.poll().bytes();
        }
    }
}

package io.confman.raft;

/**
 * The AppendEntries messages a leader has sent to one follower and not yet seen
 * acknowledged, as a bounded ring of (last index, bytes). Pipelining stops when either
 * bound is reached (etcd's tracker/inflights.go).
 */
final class Inflights {

    private final long[] lastIndexes;
    private final long[] sizes;
    private final long bytesMax;
    private int start;
    // Invariant: 0 <= count <= lastIndexes.length
    private int count;
    // Invariant: bytes == the sum of sizes of the counted messages
    private long bytes;

    Inflights(int messagesMax, long bytesMax) {
        this.lastIndexes = new long[messagesMax];
        this.sizes = new long[messagesMax];
        this.bytesMax = bytesMax;
    }

    boolean full() {
        return count == lastIndexes.length || bytes >= bytesMax;
    }

    int count() {
        return count;
    }

    void add(long lastIndex, long sizeBytes) {
        if (count == lastIndexes.length) {
            throw new IllegalStateException("inflight window of " + count + " messages is full");
        }
        // The byte bound is soft by this one message (PROTOCOL.md), never by more.
        if (bytes >= bytesMax) {
            throw new IllegalStateException("inflight window of " + bytes + " bytes is full");
        }
        if (count > 0 && lastIndex <= lastIndexes[(start + count - 1) % lastIndexes.length]) {
            throw new IllegalStateException("inflight last indexes must increase, got " + lastIndex);
        }
        int slot = (start + count) % lastIndexes.length;
        lastIndexes[slot] = lastIndex;
        sizes[slot] = sizeBytes;
        count++;
        bytes += sizeBytes;
        checkInvariants();
    }

    /** Forgets every message whose entries end at or before {@code index}: they arrived. */
    void freeLE(long index) {
        while (count > 0 && lastIndexes[start] <= index) {
            bytes -= sizes[start];
            start = (start + 1) % lastIndexes.length;
            count--;
        }
        checkInvariants();
    }

    /** Forgets the oldest message, so that a lost one cannot stall the pipeline forever. */
    void freeFirstOne() {
        if (count > 0) {
            freeLE(lastIndexes[start]);
        }
    }

    void reset() {
        start = 0;
        count = 0;
        bytes = 0;
        checkInvariants();
    }

    /** Called at the end of every mutator; the sum costs at most inflightMessagesMax additions. */
    private void checkInvariants() {
        if (count < 0 || count > lastIndexes.length) {
            throw new IllegalStateException("inflight count " + count + " outside [0, " + lastIndexes.length + "]");
        }
        long sum = 0;
        for (int i = 0; i < count; i++) {
            sum += sizes[(start + i) % sizes.length];
        }
        if (bytes != sum) {
            throw new IllegalStateException("inflight bytes " + bytes + " != " + sum + ", the sum of their sizes");
        }
    }
}

package io.confman.store;

/**
 * The bounds of one store.
 *
 * @param clientSessionsMax how many client sessions the store remembers for exactly-once
 *        writes; the least recently applied is forgotten first. This one is replicated
 *        state: every member must use the same value, and a snapshot records it and is
 *        refused by a node configured otherwise, because replicas that forgot different
 *        sessions would apply a retried write a different number of times.
 * @param watchersMax how many blocking reads may wait at once on this node (local state)
 * @param valueBytesMax the largest value a client may store, inline or as a blob. Checked
 *        by the node before it proposes a write ({@link #checkValueSize}), never while
 *        applying, so that replaying a log after this setting changed gives the same state.
 * @param listItemsMax the largest page a listing may return
 */
public record StoreLimits(int clientSessionsMax, int watchersMax, long valueBytesMax, int listItemsMax) {

    /** Values up to 4 GiB: larger ones than inline-max-bytes stream through the blob store in constant memory. */
    public static final StoreLimits DEFAULTS = new StoreLimits(16_384, 10_000, 4L << 30, 1_000);

    /**
     * The results one client session holds at most (STORE.md, session bounds): a sender's
     * newest request must stay less than this many sequences above its lowest pending one
     * (the node refuses a write that would pass it), so that only a sender breaking that
     * promise loses a result. Fixed by the snapshot format, not configurable.
     */
    public static final int RESULTS_PER_SESSION_MAX = 65_536;

    public StoreLimits {
        if (clientSessionsMax < 1) {
            throw new IllegalArgumentException("clientSessionsMax must be >= 1, was " + clientSessionsMax);
        }
        if (watchersMax < 0) {
            throw new IllegalArgumentException("watchersMax must be >= 0, was " + watchersMax);
        }
        if (valueBytesMax < 0) {
            throw new IllegalArgumentException("valueBytesMax must be >= 0, was " + valueBytesMax);
        }
        if (listItemsMax < 1) {
            throw new IllegalArgumentException("listItemsMax must be >= 1, was " + listItemsMax);
        }
    }

    /** Throws {@link ValueTooLargeException} (HTTP 413) for a value over {@link #valueBytesMax}. */
    public void checkValueSize(long sizeBytes) {
        if (sizeBytes > valueBytesMax) {
            throw new ValueTooLargeException(sizeBytes, valueBytesMax);
        }
    }
}

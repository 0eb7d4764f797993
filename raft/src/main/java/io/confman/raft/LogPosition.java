package io.confman.raft;

/** An index with the term of the entry there, as Figure 2 compares them. */
public record LogPosition(long index, long term) {
    @Override
    public String toString() {
        return term + "/" + index;
    }
}

package io.confman.raft;

import java.util.Arrays;
import java.util.Objects;

/**
 * One slot of the replicated log (thesis §3.5): the command, and the term of the leader
 * that created it. The core never mutates {@code data} after an entry is built.
 */
public record Entry(long index, long term, Type type, byte[] data) {

    /** What an entry carries. */
    public enum Type {
        /** A client command for the state machine. */
        NORMAL,
        /**
         * The empty entry a new leader appends at the start of its term, so that it can
         * commit an entry of its own term quickly (thesis §3.6.2 and §6.4).
         */
        NO_OP
    }

    /** Bytes an entry adds to a message beyond its data: index, term and type. */
    public static final int HEADER_BYTES = 17;

    public Entry {
        Objects.requireNonNull(type, "type");
        Objects.requireNonNull(data, "data");
        if (index < 1) {
            throw new IllegalArgumentException("entry index must be >= 1, was " + index);
        }
        if (term < 1) {
            throw new IllegalArgumentException("entry term must be >= 1, was " + term);
        }
        if (type == Type.NO_OP && data.length != 0) {
            throw new IllegalArgumentException("a no-op entry carries no data");
        }
    }

    public static Entry noOp(long index, long term) {
        return new Entry(index, term, Type.NO_OP, new byte[0]);
    }

    public static Entry normal(long index, long term, byte[] data) {
        return new Entry(index, term, Type.NORMAL, data);
    }

    /** The size this entry counts for against the byte limits of messages and batches. */
    public long sizeBytes() {
        return HEADER_BYTES + (long) data.length;
    }

    @Override
    public boolean equals(Object other) {
        return other instanceof Entry e
                && index == e.index && term == e.term && type == e.type
                && Arrays.equals(data, e.data);
    }

    @Override
    public int hashCode() {
        return Objects.hash(index, term, type) * 31 + Arrays.hashCode(data);
    }

    @Override
    public String toString() {
        return term + "/" + index + (type == Type.NO_OP ? " no-op" : " " + data.length + "B");
    }
}

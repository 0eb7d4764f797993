package io.confman.jepsen.history;

import java.util.Objects;

/**
 * One event of a history: a client process invoking an operation on the compare-and-set
 * register, or learning how it ended. A history is a list of these in real-time order,
 * the form Jepsen writes and Knossos reads.
 *
 * <p>{@code value} follows Jepsen's conventions: a read is invoked with nil and its
 * {@code :ok} carries the value read (possibly nil); a write carries the value written; a
 * compare-and-set carries a {@link CasValue}. A {@code :fail} or {@code :info} repeats the
 * invocation's value. Values are EDN values: {@link Long} (or {@link java.math.BigInteger}
 * beyond a long), {@link String}, {@link Keyword}, {@link Symbol}, {@link Boolean},
 * {@link Double}, {@link java.util.List}, {@link java.util.Map}, or null.
 *
 * <p>{@code key} is the register the operation is on in a multi-key history (Jepsen's
 * {@code independent} tuples, {@code :value [key value]}), and null in a history of one
 * register. Use the factories ({@link #invoke}, {@link #ok}, {@link #fail}, {@link #info})
 * rather than the constructor to say which kind of event it is.
 *
 * @param index the event's position in the history
 * @param process the client process (a process that got {@code :info} invokes nothing more)
 * @param type invocation or kind of completion
 * @param f read, write or compare-and-set
 * @param key the register, or null for a single-register history
 * @param value the value as described above
 * @param timeNanos when it happened, in nanoseconds from any origin
 * @param error why the operation failed or is indeterminate ({@code :timeout}), or null
 */
public record Op(long index, long process, OpType type, OpFunction f, Object key, Object value,
                 long timeNanos, Object error) {

    public Op {
        Objects.requireNonNull(type, "type");
        Objects.requireNonNull(f, "f");
        if (f == OpFunction.CAS && !(value instanceof CasValue)) {
            throw new IllegalArgumentException("a cas carries a CasValue [expected next], not " + Edn.write(value));
        }
    }

    /** A client starts an operation; for a read, {@code value} is null. */
    public static Op invoke(long index, long process, OpFunction f, Object key, Object value, long timeNanos) {
        return new Op(index, process, OpType.INVOKE, f, key, value, timeNanos, null);
    }

    /** The operation took effect; for a read, {@code value} is the value read. */
    public static Op ok(long index, long process, OpFunction f, Object key, Object value, long timeNanos) {
        return new Op(index, process, OpType.OK, f, key, value, timeNanos, null);
    }

    /** The operation certainly did not take effect; {@code value} repeats the invocation's. */
    public static Op fail(long index, long process, OpFunction f, Object key, Object value, long timeNanos,
                          Object error) {
        return new Op(index, process, OpType.FAIL, f, key, value, timeNanos, error);
    }

    /** Nobody knows whether the operation took effect; the process invokes nothing more. */
    public static Op info(long index, long process, OpFunction f, Object key, Object value, long timeNanos,
                          Object error) {
        return new Op(index, process, OpType.INFO, f, key, value, timeNanos, error);
    }

    /** The value of a compare-and-set from {@code expected} to {@code next}. */
    public static CasValue cas(Object expected, Object next) {
        return new CasValue(expected, next);
    }

    /** This event at another position. */
    public Op withIndex(long newIndex) {
        return new Op(newIndex, process, type, f, key, value, timeNanos, error);
    }

    /** This event without its key, as a single-register history holds it. */
    public Op withoutKey() {
        return new Op(index, process, type, f, null, value, timeNanos, error);
    }

    /** The event as one line of a Jepsen history. */
    @Override
    public String toString() {
        return History.line(this);
    }
}

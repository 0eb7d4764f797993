package io.confman.jepsen.harness;

import io.confman.jepsen.history.Keyword;
import io.confman.jepsen.history.Op;
import io.confman.jepsen.history.OpFunction;
import io.confman.jepsen.history.OpType;
import java.util.ArrayList;
import java.util.List;

/**
 * The history of a run as the clients saw it: each operation's invocation and completion,
 * appended in the order they happened, with a time in nanoseconds since the run began.
 * One lock orders the appends and takes the time, so the list is in real-time order and
 * its times never decrease: an operation completed before another was invoked comes first.
 * The whole history stays in memory until the check: its size is bounded by the workload's
 * {@code opsMax} (two events an operation) plus the final reads.
 */
public final class Recorder {

    private final long startNanos;
    private final List<Op> ops = new ArrayList<>();

    public Recorder(long startNanos) {
        this.startNanos = startNanos;
    }

    /** Nanoseconds since the run began. */
    public long now() {
        return System.nanoTime() - startNanos;
    }

    public synchronized Op invoke(long process, OpFunction f, String key, Object value) {
        Op op = Op.invoke(ops.size(), process, f, key, value, now());
        ops.add(op);
        return op;
    }

    /** A completion: {@code type} ok, fail or info; {@code error} a keyword's name or null. */
    public synchronized Op complete(long process, OpType type, OpFunction f, String key, Object value, String error) {
        Op op = new Op(ops.size(), process, type, f, key, value, now(), error == null ? null : new Keyword(error));
        ops.add(op);
        return op;
    }

    public synchronized List<Op> ops() {
        return List.copyOf(ops);
    }

    public synchronized int size() {
        return ops.size();
    }
}

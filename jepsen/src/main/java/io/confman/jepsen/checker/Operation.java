package io.confman.jepsen.checker;

import io.confman.jepsen.history.Edn;
import io.confman.jepsen.history.Op;
import io.confman.jepsen.history.OpFunction;
import io.confman.jepsen.history.OpType;

/**
 * One operation of a key's history: its invocation and the event that completed it, or no
 * completion if the history ended first. What the checker, the counterexample and the
 * timeline talk about, rather than single events.
 *
 * @param invocation the {@code :invoke} event
 * @param completion the {@code :ok}, {@code :fail} or {@code :info} event, or null
 */
public record Operation(Op invocation, Op completion) {

    public OpFunction f() {
        return invocation.f();
    }

    public long process() {
        return invocation.process();
    }

    /** How it ended: ok, fail, info, or null if it never completed. */
    public OpType outcome() {
        return completion == null ? null : completion.type();
    }

    /**
     * True if it may take effect at any point after its invocation, or never: it ended in
     * {@code :info} or not at all.
     */
    public boolean isIndeterminate() {
        return completion == null || completion.type() == OpType.INFO;
    }

    /** For a read, the value it returned; otherwise the invocation's value. */
    public Object value() {
        if (f() == OpFunction.READ) {
            return completion != null && completion.type() == OpType.OK ? completion.value() : null;
        }
        return invocation.value();
    }

    /**
     * A short EDN-ish map a person can follow, e.g.
     * {@code {:process 2, :f :read, :value 3, :outcome :ok, :invoke-index 40, :complete-index 45}}.
     */
    public String describe() {
        StringBuilder out = new StringBuilder("{:process ").append(process()).append(", :f :").append(f().keyword());
        if (f() != OpFunction.READ || outcome() == OpType.OK) {
            out.append(", :value ").append(Edn.write(value()));
        }
        out.append(", :outcome ").append(outcome() == null ? "nil" : ":" + outcome().keyword());
        out.append(", :invoke-index ").append(invocation.index());
        out.append(", :complete-index ").append(completion == null ? "nil" : Long.toString(completion.index()));
        if (completion != null && completion.error() != null) {
            out.append(", :error ").append(Edn.write(completion.error()));
        }
        return out.append('}').toString();
    }

    /** A label for the timeline: {@code w 5}, {@code r 3}, {@code cas 3→4}. */
    public String label() {
        return switch (f()) {
            case READ -> "r " + (outcome() == OpType.OK ? Edn.write(value()) : "?");
            case WRITE -> "w " + Edn.write(value());
            case CAS -> {
                var cas = (io.confman.jepsen.history.CasValue) invocation.value();
                yield "cas " + Edn.write(cas.expected()) + "\u2192" + Edn.write(cas.next());
            }
        };
    }
}

package io.confman.jepsen.checker;

import io.confman.jepsen.history.CasValue;
import io.confman.jepsen.history.History;
import io.confman.jepsen.history.Op;
import io.confman.jepsen.history.OpFunction;
import io.confman.jepsen.history.OpType;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The linearizability check of one compare-and-set register's history: the search of Wing
 * &amp; Gong ("Testing and verifying concurrent objects", 1993) with the memoisation of Lowe
 * ("Testing for linearizability", 2017), as Knossos's {@code wgl} and Porcupine run it.
 *
 * <p>The history becomes a list of call and return entries in history order. The search
 * walks it from the front: at a call it tries to linearize that operation now (the model
 * must allow it in the current state, and the resulting configuration, the set of
 * linearized operations with the state, must be new); it then removes the operation's
 * entries from the list and starts again from the front. Reaching a return means an
 * operation that has returned is not linearized, so the last choice was wrong: it is undone
 * and the walk goes on after it. The stack of choices is explicit, so the depth of a
 * history costs no Java stack.
 *
 * <p>An operation whose outcome is unknown ({@code :info}, or no completion at all) returns
 * at +infinity: it has a call entry and no return, so nothing ever forces it in, and the
 * search succeeds once every operation with a real return is linearized. {@code :fail}
 * operations did not take effect and are left out, as are reads without an {@code :ok}
 * (they changed nothing and told nothing). An indeterminate write or cas whose new value
 * nobody observes (no {@code :ok} read returns it, no cas expects it) is left out too: in
 * any linearization that contains it, the operation after it must be a write (anything
 * else would observe the value), so removing it leaves a linearization; without this,
 * each such operation would double the configurations a failing search must exhaust.
 *
 * <p>The model is Knossos's cas-register starting at nil: a read of v is legal iff the
 * register holds v; a write of v sets it; a cas [a b] is legal iff it holds a, and sets b.
 * Values are interned to ints (nil is 0) so that a state is one int.
 */
final class WglSearch {

    private static final int READ = 0;
    private static final int WRITE = 1;
    private static final int CAS = 2;
    private static final int HEAD = 0;
    private static final int NONE = -1;
    private static final int STATES_SHOWN_MAX = 8;

    private final Object key;
    private final List<Operation> all;
    /** The operations searched: those with a real return first, in invocation order, then the rest. */
    private final List<Operation> searched = new ArrayList<>();
    private final int finiteCount;
    private final List<Object> values = new ArrayList<>();
    private final Map<Object, Integer> valueIds = new HashMap<>();

    private final int[] function;
    private final int[] argument;
    private final int[] replacement;
    private final int[] bit;
    private final int[] callEntry;
    private final int[] returnEntry;
    private final int[] entryOperation;
    private final boolean[] entryIsCall;
    private final int[] next;
    private final int[] previous;

    private WglSearch(Object key, List<Op> events) {
        this.key = key;
        this.all = pair(events);
        valueId(null); // nil, the initial state, is value 0
        Set<Integer> observed = observedValues();
        List<Operation> indeterminate = new ArrayList<>();
        for (Operation op : all) {
            if (op.outcome() == OpType.FAIL || (op.f() == OpFunction.READ && op.outcome() != OpType.OK)) {
                continue;
            }
            if (op.isIndeterminate() && !observed.contains(valueId(newValue(op)))) {
                continue;
            }
            (op.isIndeterminate() ? indeterminate : searched).add(op);
        }
        finiteCount = searched.size();
        searched.addAll(indeterminate);
        int count = searched.size();
        function = new int[count];
        argument = new int[count];
        replacement = new int[count];
        bit = new int[count];
        callEntry = new int[count];
        returnEntry = new int[count];
        int entries = finiteCount * 2 + (count - finiteCount);
        entryOperation = new int[entries + 1];
        entryIsCall = new boolean[entries + 1];
        next = new int[entries + 1];
        previous = new int[entries + 1];
        Map<Op, Integer> positions = new HashMap<>();
        for (int i = 0; i < count; i++) {
            Operation op = searched.get(i);
            encode(i, op);
            bit[i] = LinearizedSet.bitOf(i, finiteCount);
            positions.put(op.invocation(), i);
            if (!op.isIndeterminate()) {
                positions.put(op.completion(), i);
            }
        }
        linkEntries(events, positions);
    }

    /** Pairs each invocation with its process's next completion (the history is valid). */
    private static List<Operation> pair(List<Op> events) {
        Map<Long, Integer> pending = new HashMap<>();
        List<Op> invocations = new ArrayList<>();
        List<Op> completions = new ArrayList<>();
        for (Op event : events) {
            if (event.type() == OpType.INVOKE) {
                pending.put(event.process(), invocations.size());
                invocations.add(event);
                completions.add(null);
            } else {
                Integer at = pending.remove(event.process());
                if (at == null) {
                    throw new IllegalStateException("a completion without invocation at :index " + event.index());
                }
                completions.set(at, event);
            }
        }
        List<Operation> ops = new ArrayList<>(invocations.size());
        for (int i = 0; i < invocations.size(); i++) {
            ops.add(new Operation(invocations.get(i), completions.get(i)));
        }
        return ops;
    }

    private Set<Integer> observedValues() {
        Set<Integer> observed = new HashSet<>();
        for (Operation op : all) {
            if (op.f() == OpFunction.READ && op.outcome() == OpType.OK) {
                observed.add(valueId(op.value()));
            } else if (op.f() == OpFunction.CAS && op.outcome() != OpType.FAIL) {
                observed.add(valueId(((CasValue) op.value()).expected()));
            }
        }
        return observed;
    }

    private static Object newValue(Operation op) {
        return op.f() == OpFunction.CAS ? ((CasValue) op.value()).next() : op.value();
    }

    private int valueId(Object value) {
        Object normalised = History.normalise(value);
        Integer id = valueIds.get(normalised);
        if (id == null) {
            id = values.size();
            valueIds.put(normalised, id);
            values.add(normalised);
        }
        return id;
    }

    private void encode(int i, Operation op) {
        switch (op.f()) {
            case READ -> {
                function[i] = READ;
                argument[i] = valueId(op.value());
            }
            case WRITE -> {
                function[i] = WRITE;
                argument[i] = valueId(op.value());
            }
            case CAS -> {
                CasValue cas = (CasValue) op.value();
                function[i] = CAS;
                argument[i] = valueId(cas.expected());
                replacement[i] = valueId(cas.next());
            }
        }
    }

    /** The doubly linked list of entries, in history order, after the head at 0. */
    private void linkEntries(List<Op> events, Map<Op, Integer> positions) {
        java.util.Arrays.fill(returnEntry, NONE);
        int last = HEAD;
        int entry = 0;
        for (Op event : events) {
            Integer op = positions.get(event);
            if (op == null) {
                continue;
            }
            entry++;
            boolean call = event.type() == OpType.INVOKE;
            entryOperation[entry] = op;
            entryIsCall[entry] = call;
            if (call) {
                callEntry[op] = entry;
            } else {
                returnEntry[op] = entry;
            }
            next[last] = entry;
            previous[entry] = last;
            last = entry;
        }
        next[last] = NONE;
    }

    /** The register's state after operation {@code op} in state {@code state}, or -1 if it is illegal there. */
    private int step(int state, int op) {
        return switch (function[op]) {
            case READ -> argument[op] == state ? state : -1;
            case WRITE -> argument[op];
            default -> argument[op] == state ? replacement[op] : -1;
        };
    }

    private void lift(int op) {
        unlink(callEntry[op]);
        if (returnEntry[op] != NONE) {
            unlink(returnEntry[op]);
        }
    }

    private void unlift(int op) {
        if (returnEntry[op] != NONE) {
            relink(returnEntry[op]);
        }
        relink(callEntry[op]);
    }

    private void unlink(int entry) {
        next[previous[entry]] = next[entry];
        if (next[entry] != NONE) {
            previous[next[entry]] = previous[entry];
        }
    }

    private void relink(int entry) {
        next[previous[entry]] = entry;
        if (next[entry] != NONE) {
            previous[next[entry]] = entry;
        }
    }

    /** Checks the events of one key (a valid history, in history order) under the limits. */
    static KeyResult check(Object key, List<Op> events, long deadlineNanos, long cacheBytesMax) {
        long started = System.nanoTime();
        WglSearch search = new WglSearch(key, events);
        return search.run(started, deadlineNanos, cacheBytesMax);
    }

    private KeyResult run(long started, long deadlineNanos, long cacheBytesMax) {
        int count = searched.size();
        LinearizedSet linearized = new LinearizedSet(finiteCount, count - finiteCount);
        ConfigurationCache cache = new ConfigurationCache();
        int[] stackOperation = new int[count];
        int[] stackState = new int[count];
        int depth = 0;
        int state = 0;
        int remaining = finiteCount;
        // The longest prefix found, for the counterexample: copied when the search first
        // backs out of a new maximum depth, so a passing search copies little.
        int maxDepth = 0;
        boolean bestSaved = true;
        int[] bestStack = new int[0];
        int bestState = 0;
        Set<Integer> bestStates = new LinkedHashSet<>(List.of(0));
        long steps = 0;
        int entry = next[HEAD];
        while (remaining > 0) {
            if ((++steps & 0x3FF) == 0 && System.nanoTime() - deadlineNanos > 0) {
                return unknown(started, "the time limit was reached after " + cache.size() + " configurations");
            }
            int op = entryOperation[entry];
            if (entryIsCall[entry]) {
                int after = step(state, op);
                if (after >= 0) {
                    linearized.set(bit[op]);
                    if (cache.add(linearized, after)) {
                        if (cache.bytes() > cacheBytesMax) {
                            return unknown(started, "the cache limit of " + (cacheBytesMax >> 20) + " MiB was reached"
                                    + " after " + cache.size() + " configurations");
                        }
                        stackOperation[depth] = op;
                        stackState[depth] = state;
                        depth++;
                        state = after;
                        lift(op);
                        if (returnEntry[op] != NONE) {
                            remaining--;
                        }
                        if (depth > maxDepth) {
                            maxDepth = depth;
                            bestSaved = false;
                            bestStates.clear();
                        }
                        if (depth == maxDepth && bestStates.size() < STATES_SHOWN_MAX) {
                            bestStates.add(state);
                        }
                        entry = next[HEAD];
                        continue;
                    }
                    linearized.clear(bit[op]);
                }
                entry = next[entry];
                continue;
            }
            // A returned operation is not linearized: undo the last choice.
            if (depth == 0) {
                if (!bestSaved) {
                    throw new IllegalStateException("the best prefix was not saved");
                }
                return refuted(started, bestStack, bestState, bestStates);
            }
            if (!bestSaved && depth == maxDepth) {
                bestStack = java.util.Arrays.copyOf(stackOperation, depth);
                bestState = state;
                bestSaved = true;
            }
            depth--;
            op = stackOperation[depth];
            state = stackState[depth];
            linearized.clear(bit[op]);
            unlift(op);
            if (returnEntry[op] != NONE) {
                remaining++;
            }
            entry = next[callEntry[op]];
        }
        return new KeyResult(key, Verdict.TRUE, all.size(), System.nanoTime() - started, null, null, all);
    }

    private KeyResult unknown(long started, String reason) {
        return new KeyResult(key, Verdict.UNKNOWN, all.size(), System.nanoTime() - started, null, reason, all);
    }

    /**
     * The counterexample at the longest prefix: the first operation (by return) not in it
     * cannot be linearized there, and neither can anything invoked before it returned.
     */
    private KeyResult refuted(long started, int[] bestStack, int bestState, Set<Integer> bestStates) {
        boolean[] inPrefix = new boolean[searched.size()];
        List<Operation> prefix = new ArrayList<>(bestStack.length);
        for (int op : bestStack) {
            inPrefix[op] = true;
            prefix.add(searched.get(op));
        }
        int failed = NONE;
        for (int op = 0; op < finiteCount; op++) {
            if (!inPrefix[op] && (failed == NONE || returnEntry[op] < returnEntry[failed])) {
                failed = op;
            }
        }
        if (failed == NONE) {
            throw new IllegalStateException("a refuted history has every operation in its longest prefix");
        }
        List<Operation> concurrent = new ArrayList<>();
        for (int op = 0; op < searched.size(); op++) {
            if (!inPrefix[op] && op != failed && callEntry[op] < returnEntry[failed]) {
                concurrent.add(searched.get(op));
            }
        }
        concurrent.sort(java.util.Comparator.comparingLong(o -> o.invocation().index()));
        Set<Integer> states = new LinkedHashSet<>();
        states.add(bestState);
        states.addAll(bestStates);
        List<Object> possible = new ArrayList<>();
        for (int s : states) {
            possible.add(values.get(s));
        }
        Counterexample counterexample = new Counterexample(key, prefix, searched.get(failed), possible, concurrent);
        return new KeyResult(key, Verdict.FALSE, all.size(), System.nanoTime() - started, counterexample, null, all);
    }
}

package io.confman.jepsen.checker;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.confman.jepsen.history.CasValue;
import io.confman.jepsen.history.History;
import io.confman.jepsen.history.HistoryGenerator;
import io.confman.jepsen.history.Op;
import io.confman.jepsen.history.OpFunction;
import io.confman.jepsen.history.OpType;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Assume;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.IntRange;

/**
 * Histories from {@link HistoryGenerator} are linearizable by construction, so the checker
 * must accept every one; and one read's value changed to a value it provably cannot have
 * read must make the checker refuse it.
 */
class GeneratedHistoryProperties {

    @Provide
    Arbitrary<HistoryGenerator.Config> configs() {
        return Combinators.combine(
                Arbitraries.integers().between(1, 3),
                Arbitraries.integers().between(2, 300),
                Arbitraries.integers().between(1, 6),
                Arbitraries.doubles().between(0, 0.15),
                Arbitraries.doubles().between(0, 0.15))
                .as(HistoryGenerator.Config::new);
    }

    private static CheckResult check(List<Op> ops) {
        return LinearizabilityChecker.check(ops, CheckOptions.DEFAULTS.withThreads(1));
    }

    @Property(tries = 200, seed = "20261126")
    void generatedHistoriesAreAccepted(@ForAll long seed, @ForAll("configs") HistoryGenerator.Config config) {
        CheckResult result = check(HistoryGenerator.generate(seed, config));
        assertEquals(Verdict.TRUE, result.verdict(), String.join("\n", result.report()));
    }

    @Property(tries = 100, seed = "20261126")
    void aReadOfAValueNeverWrittenIsRefused(@ForAll long seed, @ForAll("configs") HistoryGenerator.Config config,
                                            @ForAll @IntRange(min = 0, max = 10_000) int pick) {
        List<Op> ops = new ArrayList<>(HistoryGenerator.generate(seed, config));
        List<Integer> reads = new ArrayList<>();
        for (int i = 0; i < ops.size(); i++) {
            if (ops.get(i).type() == OpType.OK && ops.get(i).f() == OpFunction.READ) {
                reads.add(i);
            }
        }
        Assume.that(!reads.isEmpty());
        int at = reads.get(pick % reads.size());
        ops.set(at, withValue(ops.get(at), -1L));
        CheckResult result = check(ops);
        assertEquals(Verdict.FALSE, result.verdict(), "altered read at :index " + at);
        assertEquals(ops.get(at), result.failedKeys().get(0).counterexample().failed().completion());
    }

    /**
     * A read changed to return v, where v's only writer W completed before another write W2
     * was invoked, and W2 completed before the read was invoked: real time forces W, W2, read.
     */
    @Property(tries = 100, seed = "20261126")
    void aReadOfAValueOverwrittenBeforeItIsRefused(@ForAll long seed,
                                                   @ForAll("configs") HistoryGenerator.Config config,
                                                   @ForAll @IntRange(min = 0, max = 10_000) int pick) {
        List<Op> ops = new ArrayList<>(HistoryGenerator.generate(seed, config));
        List<int[]> candidates = overwrittenReads(ops);
        Assume.that(!candidates.isEmpty());
        int[] candidate = candidates.get(pick % candidates.size());
        Op write = ops.get(candidate[1]);
        Object stale = write.f() == OpFunction.WRITE ? write.value() : ((CasValue) write.value()).next();
        ops.set(candidate[0], withValue(ops.get(candidate[0]), stale));
        CheckResult result = check(ops);
        assertEquals(Verdict.FALSE, result.verdict(),
                "read at :index " + candidate[0] + " changed to " + stale + ", written at :index " + candidate[1]);
    }

    /** Pairs (the :ok of a read, the :ok of a write or cas whose value is stale when the read starts). */
    private static List<int[]> overwrittenReads(List<Op> ops) {
        List<int[]> candidates = new ArrayList<>();
        Map<Long, Integer> invokedAt = new HashMap<>();
        Map<Object, List<int[]>> effects = new HashMap<>(); // per key: {invoke, complete} of ok writes and cas
        for (int i = 0; i < ops.size(); i++) {
            Op op = ops.get(i);
            if (op.type() == OpType.INVOKE) {
                invokedAt.put(op.process(), i);
                continue;
            }
            int invoke = invokedAt.remove(op.process());
            if (op.type() != OpType.OK) {
                continue;
            }
            List<int[]> done = effects.computeIfAbsent(op.key(), k -> new ArrayList<>());
            if (op.f() != OpFunction.READ) {
                done.add(new int[] {invoke, i});
                continue;
            }
            // The latest W2 completed before the read began, then any W completed before W2 began.
            int[] overwrite = null;
            for (int[] effect : done) {
                if (effect[1] < invoke && (overwrite == null || effect[0] > overwrite[0])) {
                    overwrite = effect;
                }
            }
            if (overwrite == null) {
                continue;
            }
            for (int[] effect : done) {
                if (effect[1] < overwrite[0]) {
                    candidates.add(new int[] {i, effect[1]});
                }
            }
        }
        return candidates;
    }

    private static Op withValue(Op read, Object value) {
        return Op.ok(read.index(), read.process(), read.f(), read.key(), value, read.timeNanos());
    }

    @Property(tries = 3, seed = "20261126")
    void aLargeHistoryIsAcceptedAndOneBadReadIsFound(@ForAll @IntRange(min = 0, max = 1000) int seed) {
        List<Op> ops = new ArrayList<>(HistoryGenerator.generate(seed, HistoryGenerator.Config.of(4, 5_000)));
        assertEquals(Verdict.TRUE, LinearizabilityChecker.check(ops, CheckOptions.DEFAULTS).verdict());
        List<int[]> candidates = overwrittenReads(ops);
        int[] candidate = candidates.get(candidates.size() / 2);
        Op write = ops.get(candidate[1]);
        Object stale = write.f() == OpFunction.WRITE ? write.value() : ((CasValue) write.value()).next();
        ops.set(candidate[0], withValue(ops.get(candidate[0]), stale));
        CheckResult result = LinearizabilityChecker.check(ops, CheckOptions.DEFAULTS);
        assertEquals(Verdict.FALSE, result.verdict(), String.join("\n", result.report()));
        assertEquals(List.of(ops.get(candidate[0]).key()), result.failedKeys().stream().map(KeyResult::key).toList());
        History.validate(ops);
    }
}

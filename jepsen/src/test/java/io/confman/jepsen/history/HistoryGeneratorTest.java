package io.confman.jepsen.history;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

class HistoryGeneratorTest {

    @Test
    void theSameSeedGivesTheSameHistory() {
        HistoryGenerator.Config config = HistoryGenerator.Config.of(3, 300);
        assertEquals(HistoryGenerator.generate(11, config), HistoryGenerator.generate(11, config));
        assertNotEquals(HistoryGenerator.generate(11, config), HistoryGenerator.generate(12, config));
    }

    @Test
    void historiesAreWellFormedWithTheRequestedShape() {
        HistoryGenerator.Config config = new HistoryGenerator.Config(4, 2_000, 5, 0.05, 0.03);
        List<Op> ops = HistoryGenerator.generate(3, config);
        History.validate(ops);
        Map<Object, List<Op>> byKey = History.byKey(ops);
        assertEquals(Set.of("k0", "k1", "k2", "k3"), byKey.keySet());
        long time = Long.MIN_VALUE;
        for (int i = 0; i < ops.size(); i++) {
            assertEquals(i, ops.get(i).index());
            assertTrue(ops.get(i).timeNanos() >= time, "in time order");
            time = ops.get(i).timeNanos();
        }
        for (List<Op> key : byKey.values()) {
            assertEquals(2_000, key.stream().filter(op -> op.type() == OpType.INVOKE).count());
            Op first = key.get(0);
            assertEquals(OpFunction.WRITE, first.f());
            assertEquals(OpType.OK, key.get(1).type(), "the initial write completes before anything else starts");
            Set<Object> written = new HashSet<>();
            for (Op op : key) {
                if (op.type() == OpType.INVOKE && op.f() != OpFunction.READ) {
                    Object value = op.f() == OpFunction.WRITE ? op.value() : ((CasValue) op.value()).next();
                    assertTrue(written.add(value), "written values are unique per key: " + value);
                }
            }
            assertTrue(key.stream().anyMatch(op -> op.type() == OpType.FAIL && op.f() == OpFunction.READ
                    && new Keyword("timeout").equals(op.error())), "reads that timed out");
            assertTrue(key.stream().anyMatch(op -> op.type() == OpType.INFO), "indeterminate operations");
            assertTrue(key.stream().anyMatch(op -> op.type() == OpType.OK && op.f() == OpFunction.CAS));
        }
        // A process that got :info never invokes again (validate says so); its client continues as
        // process + 20, unless that was its last operation.
        Set<Long> retired = new HashSet<>();
        Set<Long> processes = new HashSet<>();
        for (Op op : ops) {
            processes.add(op.process());
            if (op.type() == OpType.INFO) {
                retired.add(op.process());
            }
        }
        assertTrue(retired.stream().filter(p -> processes.contains(p + 20)).count() > retired.size() / 2,
                "clients continue under a new process number");
        assertTrue(processes.stream().allMatch(p -> p < 20 || retired.contains(p - 20)),
                "a new process number only for a client whose process retired");
    }
}

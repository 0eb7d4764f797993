package io.confman.jepsen.history;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.PriorityQueue;
import java.util.Random;

/**
 * Linearizable multi-key histories made up from a seed, for the checker's property tests
 * and benchmark. Each key is a sequential compare-and-set register driven by
 * {@code processesPerKey} simulated clients: every operation takes effect on the register
 * at a random instant between its invocation and its completion, so the order of those
 * instants is a linearization and the history is linearizable by construction.
 *
 * <p>Each key is written once (value 1) before the concurrent part; after that, reads,
 * writes and cas overlap at random. Written values are unique per key (1, 2, 3, ...), so a
 * value read names its one writer. Some operations fail: a read that timed out
 * ({@code :fail :timeout}, no effect), a write or cas refused before it took effect, and a
 * cas whose expected value was not there. Some end in {@code :info :timeout}: half of those
 * took effect, half did not; the process then retires and its client continues as process
 * {@code old + keys * processesPerKey}, as Jepsen numbers them.
 *
 * <p>Keys are {@code "k0"}, {@code "k1"}, ...; values are {@link Long}s.
 */
public final class HistoryGenerator {

    /**
     * The shape of a generated history.
     *
     * @param keys registers
     * @param operationsPerKey operations (invocations) per key, the initial write included
     * @param processesPerKey concurrent clients per key
     * @param failRate chance that an operation fails without effect (reads: a timeout)
     * @param infoRate chance that a write or cas ends in {@code :info}
     */
    public record Config(int keys, int operationsPerKey, int processesPerKey, double failRate, double infoRate) {

        public Config {
            if (keys < 1 || operationsPerKey < 1 || processesPerKey < 1) {
                throw new IllegalArgumentException("keys, operations per key and processes must be at least 1");
            }
            if (failRate < 0 || infoRate < 0 || failRate + infoRate > 0.5) {
                throw new IllegalArgumentException("failRate and infoRate must be non-negative, at most 0.5 together");
            }
        }

        /** {@code keys} keys of {@code operationsPerKey} operations by 5 processes each, 5 % failures, 2 % info. */
        public static Config of(int keys, int operationsPerKey) {
            return new Config(keys, operationsPerKey, 5, 0.05, 0.02);
        }
    }

    private HistoryGenerator() {
    }

    /** A linearizable history for {@code seed} and {@code config}, in real-time order. */
    public static List<Op> generate(long seed, Config config) {
        List<Timed> events = new ArrayList<>();
        Random seeds = new Random(seed);
        for (int key = 0; key < config.keys(); key++) {
            new KeySimulation(key, config, new Random(seeds.nextLong()), events).run();
        }
        events.sort(Comparator.comparingLong(Timed::time).thenComparingInt(Timed::key)
                .thenComparingLong(Timed::sequence));
        List<Op> ops = new ArrayList<>(events.size());
        for (Timed event : events) {
            ops.add(event.op().withIndex(ops.size()));
        }
        return ops;
    }

    /** An event before it has its index: ordered by time, then key, then its order within its key. */
    private record Timed(long time, int key, long sequence, Op op) {
    }

    /** What the clients of one key do, replayed in time order. */
    private static final class KeySimulation {
        private static final int INVOKE = 0;
        private static final int EFFECT = 1;
        private static final int COMPLETE = 2;
        private static final long MICROS = 1_000L;

        private final int key;
        private final String keyName;
        private final Config config;
        private final Random random;
        private final List<Timed> out;
        private final PriorityQueue<long[]> queue = new PriorityQueue<>(
                Comparator.<long[]>comparingLong(e -> e[0]).thenComparingLong(e -> e[1]));
        private final long[] process;
        private final Pending[] pending;
        private final List<Long> written = new ArrayList<>();
        private Long state;
        private long nextValue = 1;
        private long invoked;
        private long sequence;
        private long queued;

        KeySimulation(int key, Config config, Random random, List<Timed> out) {
            this.key = key;
            this.keyName = "k" + key;
            this.config = config;
            this.random = random;
            this.out = out;
            this.process = new long[config.processesPerKey()];
            this.pending = new Pending[config.processesPerKey()];
            for (int slot = 0; slot < process.length; slot++) {
                process[slot] = (long) key * config.processesPerKey() + slot;
            }
        }

        /** The operation a client has in flight, and how it will end. */
        private static final class Pending {
            OpFunction f;
            Object value;
            OpType outcome;
            boolean applies;
            Object read;
        }

        void run() {
            // The initial write, alone, before the concurrent part.
            long start = 1_000 * MICROS + random.nextInt(1_000) * MICROS;
            Pending first = new Pending();
            first.f = OpFunction.WRITE;
            first.value = nextValue++;
            first.outcome = OpType.OK;
            first.applies = true;
            pending[0] = first;
            invoked++;
            emit(start, Op.invoke(0, process[0], OpFunction.WRITE, keyName, first.value, start));
            state = (Long) first.value;
            written.add(state);
            long done = start + 2_000 * MICROS;
            emit(done, Op.ok(0, process[0], OpFunction.WRITE, keyName, first.value, done));
            pending[0] = null;
            for (int slot = 0; slot < process.length; slot++) {
                schedule(done + 1 + random.nextInt(2_000) * MICROS, INVOKE, slot);
            }
            while (!queue.isEmpty()) {
                long[] event = queue.poll();
                int slot = (int) event[3];
                switch ((int) event[2]) {
                    case INVOKE -> invoke(event[0], slot);
                    case EFFECT -> effect(slot);
                    default -> complete(event[0], slot);
                }
            }
        }

        private void schedule(long time, int kind, int slot) {
            queue.add(new long[] {time, queued++, kind, slot});
        }

        private void emit(long time, Op op) {
            out.add(new Timed(time, key, sequence++, op));
        }

        private void invoke(long now, int slot) {
            if (invoked == config.operationsPerKey()) {
                return;
            }
            invoked++;
            Pending op = new Pending();
            double kind = random.nextDouble();
            double fate = random.nextDouble();
            if (kind < 0.5) {
                op.f = OpFunction.READ;
                op.outcome = fate < config.failRate() ? OpType.FAIL : OpType.OK;
                op.applies = op.outcome == OpType.OK;
            } else {
                if (kind < 0.75) {
                    op.f = OpFunction.WRITE;
                    op.value = nextValue++;
                } else {
                    op.f = OpFunction.CAS;
                    op.value = new CasValue(expectedValue(), nextValue++);
                }
                if (fate < config.failRate()) {
                    op.outcome = OpType.FAIL;
                    op.applies = false;
                } else if (fate < config.failRate() + config.infoRate()) {
                    op.outcome = OpType.INFO;
                    op.applies = random.nextBoolean();
                } else {
                    op.outcome = OpType.OK;
                    op.applies = true;
                }
            }
            pending[slot] = op;
            emit(now, Op.invoke(0, process[slot], op.f, keyName, op.f == OpFunction.READ ? null : op.value, now));
            long effectAt = now + 1 + random.nextInt(5_000) * MICROS;
            schedule(effectAt, EFFECT, slot);
            long took = op.outcome == OpType.INFO ? 10_000 * MICROS : 5_000 * MICROS;
            schedule(effectAt + 1 + random.nextInt((int) (took / MICROS)) * MICROS, COMPLETE, slot);
        }

        /** Mostly the value the register holds now, so that many cas succeed; sometimes an older one. */
        private Object expectedValue() {
            if (random.nextDouble() < 0.6) {
                return state;
            }
            return written.get(random.nextInt(written.size()));
        }

        private void effect(int slot) {
            Pending op = pending[slot];
            if (!op.applies) {
                return;
            }
            switch (op.f) {
                case READ -> op.read = state;
                case WRITE -> {
                    state = (Long) op.value;
                    written.add(state);
                }
                case CAS -> {
                    CasValue cas = (CasValue) op.value;
                    if (java.util.Objects.equals(cas.expected(), state)) {
                        state = (Long) cas.next();
                        written.add(state);
                    } else if (op.outcome == OpType.OK) {
                        op.outcome = OpType.FAIL;
                    }
                }
            }
        }

        private void complete(long now, int slot) {
            Pending op = pending[slot];
            pending[slot] = null;
            long p = process[slot];
            Object value = op.f == OpFunction.READ ? null : op.value;
            switch (op.outcome) {
                case OK -> emit(now, Op.ok(0, p, op.f, keyName, op.f == OpFunction.READ ? op.read : value, now));
                case FAIL -> emit(now, Op.fail(0, p, op.f, keyName, value, now,
                        op.f == OpFunction.READ ? new Keyword("timeout") : failError(op)));
                default -> {
                    emit(now, Op.info(0, p, op.f, keyName, value, now, new Keyword("timeout")));
                    process[slot] = p + (long) config.keys() * config.processesPerKey();
                }
            }
            schedule(now + 1 + random.nextInt(2_000) * MICROS, INVOKE, slot);
        }

        private static Object failError(Pending op) {
            return op.applies ? null : new Keyword("refused");
        }
    }
}

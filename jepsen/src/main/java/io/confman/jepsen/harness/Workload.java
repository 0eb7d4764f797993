package io.confman.jepsen.harness;

import io.confman.jepsen.history.CasValue;
import io.confman.jepsen.history.OpFunction;
import io.confman.jepsen.history.OpType;
import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The clients of a run: workers that read, write and compare-and-set registers, recording
 * every operation in a {@link Recorder} by Knossos's rules so that its verdicts apply:
 * <ul>
 *   <li>workers form groups of at most {@link Settings#workersPerKey} (the search is
 *       exponential in the concurrency of one key); a group works on one key at a time and
 *       moves to a fresh key after {@link Settings#opsPerKey} operations, so a long run uses
 *       many small histories rather than one huge one;</li>
 *   <li>each key is written once, alone, before its group's concurrent phase, and every
 *       value written to a key is unique, so a stale read is provably wrong;</li>
 *   <li>a write or cas whose outcome is unknown completes as {@code :info} and its process
 *       never invokes again: the worker goes on as process {@code old + workers};</li>
 *   <li>a read invokes with nil; a read that fails or times out completes as {@code :fail}.</li>
 * </ul>
 * Worker {@code w} talks to node {@code w mod N}, so a group of three on three nodes spans
 * every node and forwarded writes and reads are exercised throughout.
 */
public final class Workload {

    /**
     * @param workersPerNode concurrent clients per node
     * @param workersPerKey  at most this many workers share a key
     * @param opsPerKey      operations on a key (its initial write included) before the group moves on
     * @param thinkMillisMax each worker waits a random 0..this between operations, so the
     *                       clients do not saturate the two cores the nodes need for timing
     * @param timeout        the client's deadline for one HTTP call
     * @param staleReads     read with {@code consistency=stale}: a self-test that the check fails
     * @param opsMax         the run invokes at most this many operations, whatever its time
     */
    public record Settings(int workersPerNode, int workersPerKey, int opsPerKey, int thinkMillisMax, Duration timeout,
                           boolean staleReads, long opsMax) {
        public static final Settings DEFAULTS = new Settings(3, 5, 200, 20, Duration.ofSeconds(5), false,
                1_000_000);

        public Settings {
            if (workersPerNode < 1 || workersPerKey < 1 || workersPerKey > 8 || opsPerKey < 2 || thinkMillisMax < 0
                    || opsMax < 1) {
                throw new IllegalArgumentException("workload settings out of range: " + workersPerNode + " "
                        + workersPerKey + " " + opsPerKey + " " + thinkMillisMax + " " + opsMax);
            }
        }

        public Settings withStaleReads(boolean stale) {
            return new Settings(workersPerNode, workersPerKey, opsPerKey, thinkMillisMax, timeout, stale, opsMax);
        }
    }

    /** After a refused connection (a killed node) a worker waits this long before its next operation. */
    static final long UNREACHABLE_PAUSE_MS = 100;

    private final Settings settings;
    private final Recorder recorder;
    private final List<URI> nodes;
    private final int workers;
    private final SplittableRandom seeds;
    private final AtomicInteger keyCounter = new AtomicInteger();
    private final Map<String, AtomicLong> nextValue = new ConcurrentHashMap<>();
    private final List<String> keys = new ArrayList<>();
    private final List<Thread> threads = new ArrayList<>();
    private final AtomicLong invoked = new AtomicLong();
    private volatile long stopAtNanos;

    public Workload(Settings settings, Recorder recorder, List<URI> nodes, long seed) {
        this.settings = settings;
        this.recorder = recorder;
        this.nodes = List.copyOf(nodes);
        this.workers = settings.workersPerNode() * nodes.size();
        this.seeds = new SplittableRandom(seed);
    }

    public int workers() {
        return workers;
    }

    /** Every key a group used, in the order they were taken. */
    public synchronized List<String> keys() {
        return List.copyOf(keys);
    }

    /** Starts every worker; they stop invoking at {@code stopAtNanos} (System.nanoTime). */
    public void start(long stopAtNanos) {
        this.stopAtNanos = stopAtNanos;
        int groups = (workers + settings.workersPerKey() - 1) / settings.workersPerKey();
        int worker = 0;
        for (int g = 0; g < groups; g++) {
            int size = Math.min(settings.workersPerKey(), workers - worker);
            Group group = new Group();
            for (int member = 0; member < size; member++, worker++) {
                int id = worker;
                SplittableRandom random = seeds.split();
                Thread thread = new Thread(() -> group.run(id, random), "jepsen-worker-" + id);
                thread.setDaemon(true);
                threads.add(thread);
            }
        }
        threads.forEach(Thread::start);
    }

    /** Ends the run now: no worker invokes another operation. */
    public void stop() {
        stopAtNanos = Long.MIN_VALUE; // Compared directly, never subtracted: before any nanoTime.
    }

    /** Waits for every worker to finish its operation in flight. */
    public boolean await(Duration deadline) throws InterruptedException {
        long end = System.nanoTime() + deadline.toNanos();
        for (Thread thread : threads) {
            long left = end - System.nanoTime();
            if (left <= 0) {
                return false;
            }
            TimeUnit.NANOSECONDS.timedJoin(thread, left);
            if (thread.isAlive()) {
                return false;
            }
        }
        return true;
    }

    /** Until the run's time is over or its operations are all invoked, whichever comes first. */
    private boolean timeLeft() {
        return System.nanoTime() < stopAtNanos && invoked.get() < settings.opsMax();
    }

    private void invoke(long process, OpFunction f, String key, Object value) {
        invoked.incrementAndGet();
        recorder.invoke(process, f, key, value);
    }

    private synchronized String newKey() {
        String key = "k" + keyCounter.getAndIncrement();
        keys.add(key);
        nextValue.put(key, new AtomicLong());
        return key;
    }

    /** One key's turn: its name, its operations so far, and whether its first write is done. */
    private static final class KeyState {
        final String key;
        final AtomicInteger ops = new AtomicInteger();
        final CountDownLatch written = new CountDownLatch(1);
        volatile boolean abandoned;
        volatile long lastSeen;

        KeyState(String key) {
            this.key = key;
        }
    }

    /**
     * Workers sharing one key at a time. The worker that finds the key's operations used up
     * takes a fresh key and writes it alone; the others wait for that write, not for each
     * other, so one worker stuck on a paused node does not hold its group back.
     */
    private final class Group {
        private KeyState current;

        void run(int worker, SplittableRandom random) {
            RegisterClient client = new RegisterClient(nodes.get(worker % nodes.size()), settings.timeout());
            long[] process = {worker};
            try {
                while (timeLeft()) {
                    KeyState state;
                    boolean first = false;
                    synchronized (this) {
                        if (current == null || current.ops.get() >= settings.opsPerKey()) {
                            current = new KeyState(newKey());
                            first = true;
                        }
                        state = current;
                    }
                    if (first) {
                        boolean written = initialWrite(client, process, state);
                        state.abandoned = !written;
                        state.written.countDown();
                        continue;
                    }
                    if (!state.written.await(100, TimeUnit.MILLISECONDS) || state.abandoned
                            || state.ops.incrementAndGet() > settings.opsPerKey()) {
                        continue;
                    }
                    think(random);
                    operate(client, process, state, random);
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }

        /** Writes the key until a write is acknowledged; false when the run ends first. */
        private boolean initialWrite(RegisterClient client, long[] process, KeyState state)
                throws InterruptedException {
            String key = state.key;
            while (timeLeft()) {
                long value = nextValue.get(key).getAndIncrement();
                invoke(process[0], OpFunction.WRITE, key, value);
                RegisterClient.Outcome outcome = client.write(key, value);
                complete(process, OpFunction.WRITE, key, value, outcome);
                state.ops.incrementAndGet();
                if (outcome.type().equals("ok")) {
                    state.lastSeen = value;
                    return true;
                }
                Thread.sleep(100);
            }
            return false;
        }

        private void operate(RegisterClient client, long[] process, KeyState state, SplittableRandom random)
                throws InterruptedException {
            String key = state.key;
            RegisterClient.Outcome outcome;
            int pick = random.nextInt(10);
            if (pick < 4) {
                invoke(process[0], OpFunction.READ, key, null);
                outcome = client.read(key, settings.staleReads());
                if (outcome.type().equals("ok") && outcome.value() != null) {
                    state.lastSeen = outcome.value();
                }
                complete(process, OpFunction.READ, key, outcome.value(), outcome);
            } else if (pick < 7) {
                long value = nextValue.get(key).getAndIncrement();
                invoke(process[0], OpFunction.WRITE, key, value);
                outcome = client.write(key, value);
                if (outcome.type().equals("ok")) {
                    state.lastSeen = value;
                }
                complete(process, OpFunction.WRITE, key, value, outcome);
            } else {
                long expected = state.lastSeen;
                long value = nextValue.get(key).getAndIncrement();
                CasValue cas = new CasValue(expected, value);
                invoke(process[0], OpFunction.CAS, key, cas);
                outcome = client.cas(key, expected, value);
                if (outcome.type().equals("ok")) {
                    state.lastSeen = value;
                }
                complete(process, OpFunction.CAS, key, cas, outcome);
            }
            if (outcome.unreachable()) {
                Thread.sleep(UNREACHABLE_PAUSE_MS); // A killed node: do not spin on refused connections.
            }
        }

        private void complete(long[] process, OpFunction f, String key, Object value,
                              RegisterClient.Outcome outcome) {
            OpType type = OpType.ofKeyword(outcome.type());
            Object recorded = f == OpFunction.READ ? (type == OpType.OK ? outcome.value() : null) : value;
            recorder.complete(process[0], type, f, key, recorded, outcome.error());
            if (type == OpType.INFO) {
                process[0] += workers; // Knossos: a process whose operation may still happen never invokes again.
            }
        }

        private void think(SplittableRandom random) throws InterruptedException {
            if (settings.thinkMillisMax() > 0) {
                Thread.sleep(random.nextInt(settings.thinkMillisMax() + 1));
            }
        }
    }
}

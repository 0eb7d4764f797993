package io.confman.jepsen.harness;

import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.SplittableRandom;

/**
 * The faults of a run, one at a time on a seeded schedule: a quiet start (the baseline
 * for the timing check), then faults of random kind and length separated by quiet gaps,
 * and everything healed when the workload ends.
 * <ul>
 *   <li>{@code partition}: through the link proxies, one of: random halves; the leader
 *       isolated; a majority ring (five nodes or more: each node reaches a majority, no two
 *       the same); one-way (a node that can hear but not speak, or speak but not hear);</li>
 *   <li>{@code kill}: {@code kill -9} of a random node or of the leader, restarted when the
 *       fault ends;</li>
 *   <li>{@code pause}: {@code SIGSTOP} of a random node or of the leader, {@code SIGCONT}
 *       when the fault ends.</li>
 * </ul>
 * The lengths and kinds come from the seed; which node is the leader comes from the
 * cluster at the time, so a replay with the same seed draws the same schedule.
 */
public final class Nemesis {

    public enum Kind {
        PARTITION, KILL, PAUSE;

        /** {@code partition,kill,pause} (or {@code none}) to a set. */
        public static Set<Kind> parse(String list) {
            EnumSet<Kind> kinds = EnumSet.noneOf(Kind.class);
            if (list.isBlank() || list.strip().equals("none")) {
                return kinds;
            }
            for (String item : list.split(",")) {
                try {
                    kinds.add(Kind.valueOf(item.strip().toUpperCase(Locale.ROOT)));
                } catch (IllegalArgumentException e) {
                    throw new IllegalArgumentException("unknown nemesis '" + item.strip()
                            + "' (partition, kill, pause or none)");
                }
            }
            return kinds;
        }
    }

    /** A fault, with its times in nanoseconds since the run began (end -1 while active). */
    public record Event(long startNanos, long endNanos, String kind, String description) {
    }

    /**
     * @param settle   quiet time before the first fault
     * @param faultMin shortest fault
     * @param faultMax longest fault
     * @param quietMin shortest gap between faults
     * @param quietMax longest gap between faults
     */
    public record Schedule(Duration settle, Duration faultMin, Duration faultMax, Duration quietMin,
                           Duration quietMax) {
        public static final Schedule DEFAULTS = new Schedule(Duration.ofSeconds(5), Duration.ofSeconds(3),
                Duration.ofSeconds(8), Duration.ofSeconds(3), Duration.ofSeconds(6));
    }

    private final NodeCluster cluster;
    private final List<Kind> kinds;
    private final Schedule schedule;
    private final Recorder clock;
    private final SplittableRandom random;
    private final List<Event> events = new ArrayList<>();
    private final List<String> errors = new ArrayList<>();
    private Runnable undo;
    private Thread thread;
    private volatile boolean stopping;

    public Nemesis(NodeCluster cluster, Set<Kind> kinds, Schedule schedule, Recorder clock, long seed) {
        this.cluster = cluster;
        this.kinds = List.copyOf(EnumSet.copyOf(kinds.isEmpty() ? EnumSet.noneOf(Kind.class) : kinds));
        this.schedule = schedule;
        this.clock = clock;
        this.random = new SplittableRandom(seed);
    }

    /** Starts injecting faults in a thread of its own until {@code stopAtNanos} (System.nanoTime). */
    public void start(long stopAtNanos) {
        thread = new Thread(() -> run(stopAtNanos), "jepsen-nemesis");
        thread.setDaemon(true);
        thread.start();
    }

    private void run(long stopAtNanos) {
        try {
            if (!sleepUntil(System.nanoTime() + schedule.settle().toNanos(), stopAtNanos) || kinds.isEmpty()) {
                return;
            }
            while (true) {
                long length = between(schedule.faultMin(), schedule.faultMax());
                long gap = between(schedule.quietMin(), schedule.quietMax());
                Kind kind = kinds.get(random.nextInt(kinds.size()));
                int variant = random.nextInt(1 << 20);
                inject(kind, variant);
                boolean more = sleepUntil(System.nanoTime() + length, stopAtNanos);
                heal();
                if (!more || !sleepUntil(System.nanoTime() + gap, stopAtNanos)) {
                    return;
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (RuntimeException | IOException e) {
            synchronized (this) {
                errors.add("nemesis stopped: " + e);
            }
        }
    }

    private long between(Duration min, Duration max) {
        return min.toNanos() + random.nextLong(Math.max(1, max.toNanos() - min.toNanos() + 1));
    }

    /**
     * Sleeps until {@code wakeAt} or {@code stopAt}, whichever is first, or until
     * {@link #healAll()} asks it to stop; false unless {@code wakeAt} came first.
     */
    private boolean sleepUntil(long wakeAt, long stopAt) throws InterruptedException {
        long until = Math.min(wakeAt, stopAt);
        long left;
        while ((left = until - System.nanoTime()) > 0 && !stopping) {
            Thread.sleep(Math.max(1, Math.min(100, left / 1_000_000)));
        }
        return wakeAt < stopAt && !stopping;
    }

    /**
     * Injects one fault. Its start time is taken before the first signal or cut, and a
     * partition is recorded (with its healer) before its first link is cut, so an election
     * the fault causes always falls inside the fault's recorded period.
     */
    private void inject(Kind kind, int variant) throws IOException, InterruptedException {
        List<String> ids = new ArrayList<>(cluster.ids());
        switch (kind) {
            case PARTITION -> partition(ids, variant);
            case KILL -> {
                String victim = victim(ids, variant);
                long start = clock.now();
                cluster.kill(victim);
                begin(start, "kill", "kill -9 " + victim, () -> restart(victim));
            }
            case PAUSE -> {
                String victim = victim(ids, variant);
                long start = clock.now();
                cluster.pause(victim);
                begin(start, "pause", "SIGSTOP " + victim, () -> resume(victim));
            }
        }
    }

    /** Half the time the leader (when one is known), else a node drawn from the seed. */
    private String victim(List<String> ids, int variant) {
        if ((variant & 1) == 0) {
            String leader = cluster.leader();
            if (leader != null) {
                return leader;
            }
        }
        return ids.get((variant >>> 1) % ids.size());
    }

    private void partition(List<String> ids, int variant) {
        shuffle(ids, variant);
        int n = ids.size();
        int shape = (variant >>> 8) % (n >= 5 ? 4 : 3);
        List<String[]> cuts = new ArrayList<>();
        String description;
        switch (shape) {
            case 0 -> {
                List<String> minority = ids.subList(0, n / 2);
                for (String a : ids) {
                    for (String b : ids) {
                        if (!a.equals(b) && minority.contains(a) != minority.contains(b)) {
                            cuts.add(new String[] {a, b});
                        }
                    }
                }
                description = "halves " + minority + " | " + ids.subList(n / 2, n);
            }
            case 1 -> {
                String leader = cluster.leader();
                String isolated = leader != null ? leader : ids.get(0);
                isolate(cuts, isolated, true, true);
                description = "isolate " + (isolated.equals(leader) ? "leader " : "") + isolated;
            }
            case 2 -> {
                boolean mute = ((variant >>> 12) & 1) == 0;
                isolate(cuts, ids.get(0), mute, !mute);
                description = "one-way " + ids.get(0) + (mute ? " cannot send" : " cannot receive");
            }
            default -> {
                // A ring in the shuffled order: each node reaches the nodes within distance d,
                // itself plus 2d of them a majority, and no two nodes see the same majority.
                int d = (n / 2 + 1) / 2;
                for (int i = 0; i < n; i++) {
                    for (int j = 0; j < n; j++) {
                        int distance = Math.min(Math.abs(i - j), n - Math.abs(i - j));
                        if (i != j && distance > d) {
                            cuts.add(new String[] {ids.get(i), ids.get(j)});
                        }
                    }
                }
                description = "majority ring " + ids;
            }
        }
        begin(clock.now(), "partition", description, cluster::healAll);
        for (String[] cut : cuts) {
            cluster.cut(cut[0], cut[1]);
        }
    }

    private void isolate(List<String[]> cuts, String node, boolean outbound, boolean inbound) {
        for (String other : cluster.ids()) {
            if (!other.equals(node)) {
                if (outbound) {
                    cuts.add(new String[] {node, other});
                }
                if (inbound) {
                    cuts.add(new String[] {other, node});
                }
            }
        }
    }

    private static void shuffle(List<String> ids, int variant) {
        SplittableRandom order = new SplittableRandom(variant);
        for (int i = ids.size() - 1; i > 0; i--) {
            int j = order.nextInt(i + 1);
            String held = ids.get(i);
            ids.set(i, ids.get(j));
            ids.set(j, held);
        }
    }

    private void restart(String id) {
        try {
            cluster.restart(id);
        } catch (IOException e) {
            throw new IllegalStateException("restarting " + id + ": " + e.getMessage(), e);
        }
    }

    private void resume(String id) {
        try {
            cluster.resume(id);
        } catch (IOException e) {
            throw new IllegalStateException("resuming " + id + ": " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private synchronized void begin(long startNanos, String kind, String description, Runnable healer) {
        events.add(new Event(startNanos, -1, kind, description));
        undo = healer;
    }

    /** Ends the active fault, if any. */
    private synchronized void heal() {
        if (undo == null) {
            return;
        }
        Runnable healer = undo;
        undo = null;
        try {
            healer.run();
        } finally {
            // Ended even when healing failed (that failure is the run's error), so that the
            // fault does not excuse every later election.
            Event last = events.remove(events.size() - 1);
            events.add(new Event(last.startNanos(), clock.now(), last.kind(), last.description()));
        }
    }

    /**
     * Stops the fault thread and ends everything: the active fault, every cut link, every
     * paused node resumed, every killed node restarted.
     */
    public void healAll() throws InterruptedException {
        stopping = true;
        if (thread != null) {
            // No interrupt: a fault being injected (a signal sent, a process reaped) completes
            // and is recorded, then the thread heals it and ends.
            thread.join(STOP_WAIT_MS);
            if (thread.isAlive()) {
                error("the nemesis did not stop within " + STOP_WAIT_MS + " ms");
                thread.interrupt();
                thread.join(STOP_WAIT_MS);
            }
        }
        try {
            heal();
        } catch (RuntimeException e) {
            error("healing the last fault: " + e.getMessage());
        }
        cluster.healAll();
        for (NodeCluster.Node node : cluster.nodes()) {
            try {
                if (node.running()) {
                    cluster.resume(node.id()); // SIGCONT to every live node: harmless if it was not stopped.
                } else {
                    cluster.restart(node.id());
                }
            } catch (IOException | RuntimeException e) {
                error("bringing " + node.id() + " back: " + e.getMessage());
            }
        }
    }

    private synchronized void error(String message) {
        errors.add(message);
    }

    /** Stops the fault thread without healing (the cluster is about to be closed anyway). */
    public void stop() throws InterruptedException {
        stopping = true;
        if (thread != null) {
            thread.join(STOP_WAIT_MS);
        }
    }

    /** How long {@link #healAll()} waits for the fault thread to finish what it is doing. */
    static final long STOP_WAIT_MS = 60_000;

    public synchronized List<Event> events() {
        return List.copyOf(events);
    }

    public synchronized List<String> errors() {
        return List.copyOf(errors);
    }
}

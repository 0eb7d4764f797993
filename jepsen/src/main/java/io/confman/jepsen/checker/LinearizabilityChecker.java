package io.confman.jepsen.checker;

import io.confman.jepsen.history.History;
import io.confman.jepsen.history.Op;
import io.confman.jepsen.history.OpType;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/**
 * Checks a history of compare-and-set registers for linearizability (Herlihy &amp; Wing,
 * 1990) against Knossos's cas-register model with initial value nil.
 *
 * <p>Usage, from a harness that recorded {@link Op}s:
 *
 * <pre>{@code
 * CheckResult result = LinearizabilityChecker.check(ops, CheckOptions.DEFAULTS);
 * switch (result.verdict()) {
 *     case TRUE -> ...;                               // linearizable
 *     case FALSE -> result.writeHtml(outDir);         // timelines of the failing keys
 *     case UNKNOWN -> ...;                            // gave up: never a pass
 * }
 * result.report().forEach(System.out::println);       // what `confman jepsen check` prints
 * }</pre>
 *
 * <p>A multi-key history (every op has a key) is split by key and each key is checked on
 * its own, in parallel on {@link CheckOptions#threads} threads. That is sound and complete:
 * linearizability is local (Herlihy &amp; Wing), and Horn &amp; Kroening ("Faster
 * linearizability checking via P-compositionality", 2015) extend the argument to
 * partitions of one object's operations such as the keys of a map. The whole history is
 * valid only if every key is. Each key is searched by {@link WglSearch}.
 */
public final class LinearizabilityChecker {

    private LinearizabilityChecker() {
    }

    /**
     * Checks {@code history} (in real-time order) under {@code options}' limits.
     *
     * @throws io.confman.jepsen.history.MalformedHistoryException if the history is not one
     *     that sequential clients could have written
     */
    public static CheckResult check(List<Op> history, CheckOptions options) {
        History.validate(history);
        long started = System.nanoTime();
        long deadline = started + options.timeLimit().toNanos();
        Map<Object, List<Op>> byKey = History.byKey(history);
        List<Map.Entry<Object, List<Op>>> keys = new ArrayList<>(byKey.entrySet());
        List<KeyResult> results = new ArrayList<>(keys.size());
        if (options.threads() == 1 || keys.size() <= 1) {
            for (Map.Entry<Object, List<Op>> key : keys) {
                results.add(WglSearch.check(key.getKey(), key.getValue(), deadline, options.cacheBytesMax()));
            }
        } else {
            results.addAll(checkInParallel(keys, deadline, options));
        }
        Verdict verdict = Verdict.TRUE;
        for (KeyResult result : results) {
            if (result.verdict() == Verdict.FALSE) {
                verdict = Verdict.FALSE;
            } else if (result.verdict() == Verdict.UNKNOWN && verdict == Verdict.TRUE) {
                verdict = Verdict.UNKNOWN;
            }
        }
        int operations = (int) history.stream().filter(op -> op.type() == OpType.INVOKE).count();
        return new CheckResult(verdict, List.copyOf(results), operations, history.size(),
                System.nanoTime() - started);
    }

    private static List<KeyResult> checkInParallel(List<Map.Entry<Object, List<Op>>> keys, long deadline,
                                                   CheckOptions options) {
        ExecutorService pool = Executors.newFixedThreadPool(Math.min(options.threads(), keys.size()), r -> {
            Thread thread = new Thread(r, "linearizability-check");
            thread.setDaemon(true);
            return thread;
        });
        try {
            // The largest keys first, so that a long one does not start last.
            List<Integer> order = new ArrayList<>();
            for (int i = 0; i < keys.size(); i++) {
                order.add(i);
            }
            order.sort(Comparator.comparingInt((Integer i) -> keys.get(i).getValue().size()).reversed());
            List<Future<KeyResult>> futures = new ArrayList<>(keys.size());
            for (int i = 0; i < keys.size(); i++) {
                futures.add(null);
            }
            for (int i : order) {
                Map.Entry<Object, List<Op>> key = keys.get(i);
                futures.set(i, pool.submit(() -> WglSearch.check(key.getKey(), key.getValue(), deadline,
                        options.cacheBytesMax())));
            }
            List<KeyResult> results = new ArrayList<>(keys.size());
            for (Future<KeyResult> future : futures) {
                results.add(future.get());
            }
            return results;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while checking", e);
        } catch (ExecutionException e) {
            if (e.getCause() instanceof RuntimeException runtime) {
                throw runtime;
            }
            if (e.getCause() instanceof Error error) {
                throw error;
            }
            throw new IllegalStateException(e.getCause());
        } finally {
            pool.shutdownNow();
        }
    }
}

package io.confman.node;

import io.confman.store.ApplyResult;
import io.confman.store.ConfigStore;
import java.lang.System.Logger.Level;
import java.time.Instant;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

/**
 * The inline-to-blob migration (NODE.md, "Blobs"; the runbook in papers/): moves every
 * inline value of at least {@code minSizeBytes} into the blob store through ordinary Raft
 * commands ({@code Relocate}), while reads and writes go on.
 *
 * <p>It scans the store in (namespace, key) order in bounded steps, each a linearizable read,
 * and relocates what it finds a few at a time. A relocate applies only while the key's
 * mod_revision is still the one scanned, so a key written meanwhile keeps its new value (it
 * is counted as changed); a key already relocated answers as relocated again. That makes the
 * migration idempotent: running it again after a crash, a leader change or a failure moves
 * only what is still inline, which is how it resumes. One run per node at a time.
 */
public final class InlineToBlobMigration {

    private static final System.Logger LOG = System.getLogger(InlineToBlobMigration.class.getName());
    /** Keys looked at per scan step (one linearizable read on the loop). */
    static final int SCAN_KEYS_MAX = 500;
    /** Relocations in flight at once. */
    static final int IN_FLIGHT_MAX = 4;
    /** Attempts per key, and per scan step, before the run stops as failed. */
    static final int ATTEMPTS_MAX = 8;

    /** A stopped node answers nothing more: retrying it only delays the run's end. */
    private static boolean stopped(Throwable failure) {
        for (Throwable cause = failure; cause != null; cause = cause.getCause()) {
            if (cause instanceof NodeException.Stopped) {
                return true;
            }
        }
        return false;
    }

    /** The pause before attempt {@code attempt + 1}: 250 ms more each time, at most 2 s (7 s over the seven pauses). */
    static long backoffMs(int attempt) {
        return Math.min(2_000, 250L * attempt);
    }

    /** What a status call shows. */
    public record Progress(String state, long minSizeBytes, long keysScanned, long migrated, long changed,
                           long bytesMoved, long failedAttempts, String startedAt, String finishedAt,
                           String position, String error) {
    }

    private final ConfmanNode node;
    private final AtomicReference<Run> current = new AtomicReference<>();

    InlineToBlobMigration(ConfmanNode node) {
        this.node = node;
    }

    /**
     * Starts a run unless one is under way; returns the progress of the run that is now
     * going (the new one, or the one already running with its own size).
     */
    public Progress start(long minSizeBytes) {
        if (minSizeBytes < 1) {
            throw new IllegalArgumentException("min_size must be at least 1 byte, was " + minSizeBytes);
        }
        while (true) {
            Run running = current.get();
            if (running != null && running.state.get().equals("running")) {
                return running.progress();
            }
            Run run = new Run(minSizeBytes);
            if (current.compareAndSet(running, run)) {
                run.start();
                return run.progress();
            }
        }
    }

    /** The latest run's progress, or an idle one when none ran since the node started. */
    public Progress progress() {
        Run run = current.get();
        return run == null ? new Progress("idle", 0, 0, 0, 0, 0, 0, null, null, null, null) : run.progress();
    }

    /** Keys moved into blobs since the node started, over every run (a metric). */
    public long migratedKeysTotal() {
        return migratedKeys.get();
    }

    /** Bytes moved into blobs since the node started, over every run (a metric). */
    public long migratedBytesTotal() {
        return migratedBytes.get();
    }

    /** Whether a run is under way (a metric). */
    public boolean running() {
        Run run = current.get();
        return run != null && run.state.get().equals("running");
    }

    private final AtomicLong migratedKeys = new AtomicLong();
    private final AtomicLong migratedBytes = new AtomicLong();

    private final class Run {
        final long minSizeBytes;
        final AtomicReference<String> state = new AtomicReference<>("running");
        final AtomicLong scanned = new AtomicLong();
        final AtomicLong migrated = new AtomicLong();
        final AtomicLong changed = new AtomicLong();
        final AtomicLong bytesMoved = new AtomicLong();
        final AtomicLong failedAttempts = new AtomicLong();
        final Instant startedAt = Instant.now();
        volatile Instant finishedAt;
        volatile String position;
        volatile String error;
        final Semaphore inFlight = new Semaphore(IN_FLIGHT_MAX);

        Run(long minSizeBytes) {
            this.minSizeBytes = minSizeBytes;
        }

        void start() {
            Thread thread = new Thread(this::run, "confman-migration-" + node.id());
            thread.setDaemon(true);
            thread.start();
        }

        private void run() {
            String namespace = null;
            String key = null;
            try {
                while (error == null) {
                    ConfigStore.InlineScan scan = scan(namespace, key);
                    scanned.addAndGet(scan.keysScanned());
                    for (ConfigStore.InlineValue value : scan.values()) {
                        inFlight.acquire();
                        if (error != null) {
                            inFlight.release();
                            break; // A relocation failed for good: start no more.
                        }
                        relocate(value, 1);
                    }
                    namespace = scan.nextNamespace();
                    key = scan.nextKey();
                    position = namespace == null ? null : namespace + "/" + key;
                    if (scan.done()) {
                        break;
                    }
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                fail("interrupted");
            } catch (RuntimeException e) {
                Throwable cause = e.getCause() == null ? e : e.getCause();
                fail("scanning failed after " + position + ": " + cause.getMessage());
            } finally {
                // Every relocation answered before the run says it ended: no second run overlaps it.
                inFlight.acquireUninterruptibly(IN_FLIGHT_MAX);
                finish(error == null ? "done" : "failed");
            }
        }

        /** One scan step, retried with a pause while there is no leader or the read times out. */
        private ConfigStore.InlineScan scan(String afterNamespace, String afterKey) throws InterruptedException {
            for (int attempt = 1; ; attempt++) {
                try {
                    return node.linearizableRead(store -> store.scanInline(afterNamespace, afterKey, minSizeBytes,
                            SCAN_KEYS_MAX)).join();
                } catch (RuntimeException e) {
                    if (attempt >= ATTEMPTS_MAX || stopped(e)) {
                        throw e;
                    }
                    failedAttempts.incrementAndGet();
                    Thread.sleep(backoffMs(attempt));
                }
            }
        }

        private void relocate(ConfigStore.InlineValue value, int attempt) {
            CompletableFuture<ApplyResult> answer;
            try {
                answer = node.blobs().relocate(value.namespace(), value.key(), value.modRevision(), value.bytes(),
                        "application/octet-stream");
            } catch (RuntimeException e) {
                answer = CompletableFuture.failedFuture(e);
            }
            answer.whenComplete((result, failure) -> {
                if (failure == null && result instanceof ApplyResult.Relocated) {
                    migrated.incrementAndGet();
                    migratedKeys.incrementAndGet();
                    bytesMoved.addAndGet(value.bytes().remaining());
                    migratedBytes.addAndGet(value.bytes().remaining());
                } else if (failure == null) {
                    changed.incrementAndGet(); // Written or deleted since the scan: not this run's to move.
                } else if (attempt < ATTEMPTS_MAX && error == null && !stopped(failure)) {
                    failedAttempts.incrementAndGet();
                    // Idempotent: the same relocate again, after a pause that lets an election end.
                    CompletableFuture.delayedExecutor(backoffMs(attempt), TimeUnit.MILLISECONDS)
                            .execute(() -> relocate(value, attempt + 1));
                    return;
                } else {
                    failedAttempts.incrementAndGet();
                    Throwable cause = failure.getCause() == null ? failure : failure.getCause();
                    fail("relocating " + value.namespace() + "/" + value.key() + " failed " + attempt
                            + " times, last: " + cause.getMessage());
                }
                inFlight.release();
            });
        }

        /** Records the run's first failure; later ones are consequences. */
        private synchronized void fail(String why) {
            if (error == null) {
                error = why;
            }
        }

        private void finish(String outcome) {
            finishedAt = Instant.now();
            state.set(outcome);
            LOG.log(outcome.equals("done") ? Level.INFO : Level.WARNING, "node " + node.id()
                    + ": inline-to-blob migration " + outcome + ": " + progress());
        }

        Progress progress() {
            return new Progress(state.get(), minSizeBytes, scanned.get(), migrated.get(), changed.get(),
                    bytesMoved.get(), failedAttempts.get(), startedAt.toString(),
                    finishedAt == null ? null : finishedAt.toString(), position, error);
        }
    }
}

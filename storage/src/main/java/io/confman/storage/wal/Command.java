package io.confman.storage.wal;

import java.util.List;
import java.util.concurrent.CompletableFuture;

/**
 * What callers hand to the writer thread. Every change to the log goes through the one
 * queue, so appends, truncations, compactions and resets take effect in the order they
 * were submitted, without locks around I/O.
 */
sealed interface Command {
    CompletableFuture<?> done();

    /** Completes with the last index of {@code records} once they are fsynced. */
    record Append(List<LogRecord> records, long frameBytes, CompletableFuture<Long> done) implements Command {
    }

    record TruncateSuffix(long fromIndex, CompletableFuture<Void> done) implements Command {
    }

    record CompactPrefix(long snapshotIndex, CompletableFuture<Void> done) implements Command {
    }

    record Reset(long snapshotIndex, CompletableFuture<Void> done) implements Command {
    }

    record Close(CompletableFuture<Void> done) implements Command {
    }
}

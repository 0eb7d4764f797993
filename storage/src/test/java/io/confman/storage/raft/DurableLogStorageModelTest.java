package io.confman.storage.raft;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.confman.raft.ClusterIdentity;
import io.confman.raft.Entry;
import io.confman.raft.HardState;
import io.confman.raft.MemoryLogStorage;
import io.confman.raft.Ready;
import io.confman.raft.SnapshotChunk;
import io.confman.raft.SnapshotMetadata;
import io.confman.storage.wal.WalOptions;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.io.TempDir;

/**
 * The same random sequence of Ready handling, snapshots, installs and reopens, applied to
 * {@link DurableLogStorage} and to the core's {@link MemoryLogStorage} as the reference
 * model, must give the same answers to every {@link io.confman.raft.LogStorage} question.
 * Seeds are fixed; a failure names its seed and step.
 *
 * <p>One documented difference: a reopened durable storage reports the snapshot's index as
 * its commit index (it does not persist the commit index), so the model is told the same.
 */
class DurableLogStorageModelTest {

    private static final List<String> MEMBERS = List.of("s1", "s2", "s3");
    private static final ClusterIdentity CLUSTER = ClusterIdentity.of(MEMBERS);
    /** Tiny segments, a tiny cache and a few trailing entries, so every path runs often. */
    private static final StorageOptions OPTIONS = new StorageOptions(new WalOptions(4096, 64, 4096), 3, 8, 1024, 2);
    private static final int STEPS = 250;

    @TempDir
    Path root;

    private SplittableRandom random;
    private DurableLogStorage durable;
    private final MemoryLogStorage model = new MemoryLogStorage();
    private SnapshotStore leaderSnapshots;
    private long term;
    private String vote;
    private long commitIndex;

    @ParameterizedTest(name = "seed {0}")
    @ValueSource(longs = {1, 2, 3, 4, 5, 6, 7, 8})
    void answersLikeTheMemoryModel(long seed) throws IOException {
        random = new SplittableRandom(seed);
        Path dir = root.resolve("node");
        durable = DurableLogStorage.open(dir, CLUSTER, "s1", OPTIONS);
        leaderSnapshots = SnapshotStore.open(root.resolve("leader-snapshots"), 2);
        try {
            for (int step = 0; step < STEPS; step++) {
                String op = step(dir);
                compare("seed " + seed + " step " + step + " after " + op);
            }
        } finally {
            durable.close();
            leaderSnapshots.close();
        }
    }

    private String step(Path dir) throws IOException {
        int choice = random.nextInt(100);
        if (choice < 45) {
            return append();
        } else if (choice < 65) {
            return commit();
        } else if (choice < 72) {
            return newTerm();
        } else if (choice < 82) {
            return takeSnapshot();
        } else if (choice < 90) {
            return installSnapshot();
        } else {
            durable.close();
            durable = DurableLogStorage.open(dir, CLUSTER, "s1", OPTIONS);
            commitIndex = model.snapshot().lastIncludedIndex();
            model.setHardState(new HardState(term, vote, commitIndex));
            return "reopen";
        }
    }

    /** Entries of the current term at or after the first uncommitted index, maybe replacing a suffix. */
    private String append() throws IOException {
        if (term == 0) {
            return newTerm();
        }
        long lo = Math.max(commitIndex + 1, model.firstIndex());
        long first = lo + random.nextLong(model.lastIndex() + 2 - lo);
        int count = 1 + random.nextInt(8);
        List<Entry> entries = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            long index = first + i;
            if (random.nextInt(5) == 0) {
                entries.add(Entry.noOp(index, term));
            } else {
                byte[] data = new byte[random.nextInt(300)];
                random.nextBytes(data);
                entries.add(Entry.normal(index, term, data));
            }
        }
        persist(ready(null, entries, List.of(), null));
        return "append " + count + " at " + first;
    }

    private String commit() throws IOException {
        long next = commitIndex + random.nextLong(model.lastIndex() - commitIndex + 1);
        if (next == commitIndex) {
            return "commit unchanged";
        }
        commitIndex = next;
        persist(ready(new HardState(term, vote, commitIndex), List.of(), List.of(), null));
        return "commit " + commitIndex;
    }

    private String newTerm() throws IOException {
        term += 1 + random.nextInt(2);
        vote = random.nextBoolean() ? null : MEMBERS.get(random.nextInt(MEMBERS.size()));
        persist(ready(new HardState(term, vote, commitIndex), List.of(), List.of(), null));
        return "term " + term + " vote " + vote;
    }

    private String takeSnapshot() throws IOException {
        long snapshotIndex = model.snapshot().lastIncludedIndex();
        if (commitIndex <= snapshotIndex) {
            return "no snapshot (nothing new committed)";
        }
        long index = snapshotIndex + 1 + random.nextLong(commitIndex - snapshotIndex);
        byte[] body = new byte[random.nextInt(2000)];
        random.nextBytes(body);
        SnapshotMetadata taken = durable.takeSnapshot(index, out -> out.write(body));
        model.compact(taken);
        return "take snapshot " + taken;
    }

    /** A leader's snapshot beyond the commit index, received in random chunks, then installed. */
    private String installSnapshot() throws IOException {
        if (term == 0) {
            return newTerm();
        }
        long index = commitIndex + 1 + random.nextLong(model.lastIndex() - commitIndex + 5);
        byte[] body = new byte[random.nextInt(3000)];
        random.nextBytes(body);
        SnapshotMetadata snapshot = leaderSnapshots.write(index, term, out -> out.write(body));
        List<SnapshotChunk> chunks = new ArrayList<>();
        for (long offset = 0; offset < snapshot.sizeBytes(); ) {
            byte[] data = leaderSnapshots.read(snapshot, offset, 1 + random.nextInt(1500));
            chunks.add(new SnapshotChunk(snapshot, offset, data, offset + data.length == snapshot.sizeBytes()));
            offset += data.length;
        }
        // Chunks may come in several Readys; the last one names the snapshot to install.
        int split = random.nextInt(chunks.size());
        if (split > 0) {
            persist(ready(null, List.of(), chunks.subList(0, split), null));
        }
        commitIndex = index;
        persist(ready(new HardState(term, vote, commitIndex), List.of(), chunks.subList(split, chunks.size()),
                snapshot));
        return "install " + snapshot + " in " + chunks.size() + " chunks";
    }

    private void persist(Ready ready) throws IOException {
        durable.persist(ready);
        model.persist(ready);
    }

    private static Ready ready(HardState hardState, List<Entry> entries, List<SnapshotChunk> chunks,
                               SnapshotMetadata install) {
        return new Ready(hardState, entries, List.of(), List.of(), List.of(), chunks, install, List.of(), List.of(),
                List.of());
    }

    private void compare(String where) {
        assertEquals(model.hardState(), durable.hardState(), where);
        assertEquals(model.snapshot(), durable.snapshot(), where);
        assertEquals(model.firstIndex(), durable.firstIndex(), where);
        assertEquals(model.lastIndex(), durable.lastIndex(), where);
        for (long index = model.firstIndex() - 1; index <= model.lastIndex(); index++) {
            assertEquals(model.term(index), durable.term(index), where + ": term(" + index + ")");
        }
        if (model.lastIndex() < model.firstIndex()) {
            return;
        }
        for (int i = 0; i < 4; i++) {
            long span = model.lastIndex() - model.firstIndex() + 1;
            long lo = model.firstIndex() + random.nextLong(span);
            long hi = lo + 1 + random.nextLong(model.lastIndex() + 1 - lo);
            long maxBytes = switch (random.nextInt(3)) {
                case 0 -> 1;
                case 1 -> random.nextLong(2000);
                default -> Long.MAX_VALUE;
            };
            assertEquals(model.entries(lo, hi, maxBytes), durable.entries(lo, hi, maxBytes),
                    where + ": entries(" + lo + ", " + hi + ", " + maxBytes + ")");
        }
    }
}

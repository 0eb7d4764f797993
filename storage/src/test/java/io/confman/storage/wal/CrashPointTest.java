package io.confman.storage.wal;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.CompletableFuture;

import static io.confman.storage.wal.WalTesting.await;
import static io.confman.storage.wal.WalTesting.readAll;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * Runs a random sequence of appends (with rollovers), truncations, compactions and resets
 * through {@link RecordingIo}, then, for every prefix of the recorded file-system changes,
 * builds what a crash there may leave on disk (un-forced writes lost or kept page by page,
 * un-fsynced directory changes lost) and recovers it. Every crash state must open without
 * corruption; every acknowledged entry must survive; the operation in flight may have
 * taken effect only in the ways FORMAT.md section 5 allows; and so no truncated entry can
 * come back after a newer acknowledged one. A missing force or directory fsync in the log
 * shows up here as a lost acknowledged entry or a corrupt log.
 */
class CrashPointTest {
    private static final long SEGMENT_BYTES = 4096;
    private static final int OPERATIONS = 24;

    /** The log as a list of records from firstIndex on. */
    private record State(long firstIndex, List<LogRecord> records) {
        long lastIndex() {
            return firstIndex + records.size() - 1;
        }
    }

    /** One operation of the sequence; fields unused by a kind are 0 or empty. */
    private record Operation(String kind, long argument, List<LogRecord> records) {
    }

    @ParameterizedTest(name = "seed {0}")
    @ValueSource(longs = {1, 2, 3, 4})
    void everyCrashPointRecoversTheAcknowledgedLog(long seed, @TempDir Path root) throws IOException {
        Random random = new Random(seed);
        RecordingIo io = new RecordingIo();
        Path dir = root.resolve("log");
        WalOptions options = new WalOptions(SEGMENT_BYTES, 16, 4096, io);
        List<State> acknowledged = new ArrayList<>();
        List<Operation> operations = new ArrayList<>();
        try (SegmentedLog log = SegmentedLog.open(dir, options)) {
            State state = new State(1, List.of());
            acknowledged.add(state);
            io.mark("ack 0");
            long truncateIndexMin = 1;
            for (int i = 1; i <= OPERATIONS; i++) {
                Operation operation = nextOperation(state, truncateIndexMin, random);
                operations.add(operation);
                io.mark("begin " + i);
                state = run(log, state, operation, random);
                if (operation.kind().equals("compact")) {
                    truncateIndexMin = Math.max(truncateIndexMin, operation.argument() + 1);
                } else if (operation.kind().equals("reset")) {
                    truncateIndexMin = operation.argument() + 1;
                }
                assertEquals(state.firstIndex(), log.firstIndex());
                assertEquals(state.records(), readAll(log));
                acknowledged.add(state);
                io.mark("ack " + i);
            }
        }
        List<RecordingIo.Event> events = io.events();
        for (int crash = 0; crash <= events.size(); crash++) {
            checkCrash(root, events, crash, acknowledged, operations, new Random(seed * 1_000_003 + crash));
        }
    }

    private static Operation nextOperation(State state, long truncateIndexMin, Random random) {
        int choice = random.nextInt(10);
        long fromMin = Math.max(state.firstIndex(), truncateIndexMin);
        if (choice < 6 || state.records().isEmpty()) {
            long term = state.records().isEmpty() ? 1 : state.records().get(state.records().size() - 1).term();
            return new Operation("append", 0, WalTesting.records(state.lastIndex() + 1, term,
                    1 + random.nextInt(8), 700, random));
        }
        if (choice < 8 && fromMin <= state.lastIndex() + 1) {
            long from = fromMin + random.nextInt((int) (state.lastIndex() + 2 - fromMin));
            return new Operation("truncate", from, List.of());
        }
        if (choice < 9) {
            return new Operation("compact", state.firstIndex() + random.nextInt(state.records().size()), List.of());
        }
        return new Operation("reset", Math.max(0, state.lastIndex() - 5 + random.nextInt(15)), List.of());
    }

    /** Runs one operation and returns the state it leaves; appends go in two concurrent halves. */
    private static State run(SegmentedLog log, State state, Operation operation, Random random) {
        switch (operation.kind()) {
            case "append" -> {
                List<LogRecord> records = operation.records();
                int split = random.nextInt(records.size() + 1);
                List<CompletableFuture<Long>> futures = new ArrayList<>();
                if (split > 0) {
                    futures.add(log.append(records.subList(0, split)));
                }
                if (split < records.size()) {
                    futures.add(log.append(records.subList(split, records.size())));
                }
                futures.forEach(WalTesting::await);
                List<LogRecord> all = new ArrayList<>(state.records());
                all.addAll(records);
                return new State(state.firstIndex(), all);
            }
            case "truncate" -> {
                await(log.truncateSuffix(operation.argument()));
                int kept = (int) (operation.argument() - state.firstIndex());
                return new State(state.firstIndex(), List.copyOf(state.records().subList(0, kept)));
            }
            case "compact" -> {
                await(log.compactPrefix(operation.argument()));
                long first = log.firstIndex();
                return new State(first, List.copyOf(state.records().subList((int) (first - state.firstIndex()),
                        state.records().size())));
            }
            case "reset" -> {
                await(log.reset(operation.argument()));
                return new State(operation.argument() + 1, List.of());
            }
            default -> throw new IllegalStateException(operation.kind());
        }
    }

    private static void checkCrash(Path root, List<RecordingIo.Event> events, int crash, List<State> acknowledged,
                                   List<Operation> operations, Random random) throws IOException {
        int ackedCount = 0;
        boolean begun = false;
        for (RecordingIo.Event event : events.subList(0, crash)) {
            if (event instanceof RecordingIo.Mark mark && mark.label().startsWith("ack ")) {
                ackedCount = Integer.parseInt(mark.label().substring(4));
                begun = false;
            } else if (event instanceof RecordingIo.Mark mark && mark.label().startsWith("begin ")) {
                begun = true;
            }
        }
        State acked = acknowledged.get(ackedCount);
        Operation inFlight = begun ? operations.get(ackedCount) : null;
        Path dir = root.resolve("crash-" + crash);
        Files.createDirectories(dir);
        for (Map.Entry<String, byte[]> file : RecordingIo.durableAfterCrash(events, crash, random).entrySet()) {
            Files.write(dir.resolve(file.getKey()), file.getValue());
        }
        String where = "crash after event " + crash + " of " + events.size() + ", acknowledged " + ackedCount
                + ", in flight " + inFlight;
        State recovered;
        try (SegmentedLog log = SegmentedLog.open(dir, new WalOptions(SEGMENT_BYTES, 16, 4096, new RecordingIo()))) {
            recovered = new State(log.firstIndex(), readAll(log));
            long next = log.lastIndex() + 1;
            await(log.append(List.of(new LogRecord(next, Long.MAX_VALUE / 2, 1, new byte[] {1}))));
        } catch (IOException failure) {
            throw new AssertionError(where + ": recovery failed", failure);
        }
        checkRecovered(acked, inFlight, recovered, where);
        CorruptionTest.deleteTree(dir);
    }

    /** The recovered log is the acknowledged one, changed only as the operation in flight may. */
    private static void checkRecovered(State acked, Operation inFlight, State recovered, String where) {
        String message = where + ": expected " + acked + " but recovered " + recovered;
        if (inFlight == null) {
            assertEquals(acked, recovered, message);
            return;
        }
        switch (inFlight.kind()) {
            case "append" -> {
                assertEquals(acked.firstIndex(), recovered.firstIndex(), message);
                List<LogRecord> longest = new ArrayList<>(acked.records());
                longest.addAll(inFlight.records());
                assertTrue(recovered.records().size() >= acked.records().size(), message);
                assertEquals(longest.subList(0, recovered.records().size()), recovered.records(), message);
            }
            case "truncate" -> {
                assertEquals(acked.firstIndex(), recovered.firstIndex(), message);
                assertTrue(recovered.lastIndex() >= inFlight.argument() - 1, message);
                assertEquals(acked.records().subList(0, recovered.records().size()), recovered.records(), message);
            }
            case "compact" -> checkSuffix(acked, recovered, message);
            case "reset" -> {
                boolean empty = recovered.records().isEmpty() && (recovered.firstIndex() == inFlight.argument() + 1
                        || recovered.firstIndex() == 1 || recovered.firstIndex() == acked.lastIndex() + 1);
                if (!empty) {
                    checkSuffix(acked, recovered, message);
                }
            }
            default -> fail(inFlight.kind());
        }
    }

    private static void checkSuffix(State acked, State recovered, String message) {
        assertEquals(acked.lastIndex(), recovered.lastIndex(), message);
        assertTrue(recovered.firstIndex() >= acked.firstIndex(), message);
        int dropped = (int) (recovered.firstIndex() - acked.firstIndex());
        assertEquals(acked.records().subList(dropped, acked.records().size()), recovered.records(), message);
    }

    /** A new log in a directory that did not exist: each new directory's parent is fsynced after it. */
    @Test
    void newDirectoriesAreFsyncedIntoTheirParents(@TempDir Path root) throws IOException {
        RecordingIo io = new RecordingIo();
        Path dir = root.resolve("a").resolve("b");
        try (SegmentedLog log = SegmentedLog.open(dir, new WalOptions(SEGMENT_BYTES, 16, 4096, io))) {
            assertEquals(0, log.lastIndex());
        }
        List<RecordingIo.Event> events = io.events();
        Path a = root.resolve("a").toAbsolutePath().normalize();
        Path b = dir.toAbsolutePath().normalize();
        int createdA = events.indexOf(new RecordingIo.DirectoryCreate(a));
        int createdB = events.indexOf(new RecordingIo.DirectoryCreate(b));
        assertTrue(createdA >= 0 && createdB > createdA, events.toString());
        assertTrue(events.subList(createdA, createdB).contains(new RecordingIo.DirectoryFsync(root.toAbsolutePath()
                .normalize())), "the root is fsynced after a is created: " + events);
        assertTrue(events.subList(createdB, events.size()).contains(new RecordingIo.DirectoryFsync(a)),
                "a is fsynced after b is created: " + events);
    }
}

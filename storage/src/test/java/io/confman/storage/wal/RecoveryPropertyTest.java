package io.confman.storage.wal;

import io.confman.storage.cli.WalCommand;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.LongRange;
import net.jqwik.api.statistics.Statistics;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

import static io.confman.storage.wal.WalTesting.await;
import static io.confman.storage.wal.WalTesting.readAll;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

/**
 * Writes random records (acknowledged after fsync), then damages the files the way a crash
 * or a bad disk would, reopens, and checks recovery against a model computed from the
 * known layout: exactly the acknowledged prefix comes back (plus any unacknowledged frame
 * that was written whole), or corruption is reported at the right segment and offset.
 * The seed is fixed so that the run is deterministic; jqwik prints it on failure. The
 * number of tries is kept low because every try costs tens of fsyncs, and the suite must
 * stay fast on a busy disk; raise it locally (or vary the seed) when changing recovery.
 */
class RecoveryPropertyTest {
    enum Damage {
        /** A crash during an unsynced append: its frames are cut at a random byte, rest zeros. */
        TORN_WRITE_ZEROED,
        /** The same, but the file system also lost the file's tail (the file is shorter). */
        TORN_WRITE_SHORTENED,
        /** One bit flipped at a random place in the written part of a random segment. */
        BIT_FLIP,
    }

    /** One frame of the undamaged log and the segment it is in. */
    private record Placed(String segment, Format.Frame frame, long alignedEnd) {
    }

    @Property(tries = 100, seed = "20261125")
    void recoveryReturnsTheFsyncedPrefixOrReportsCorruption(
            @ForAll @IntRange(min = 1, max = 40) int ackedCount,
            @ForAll @IntRange(min = 1, max = 6) int unackedCount,
            @ForAll @IntRange(min = 0, max = 2) int segmentSizeChoice,
            @ForAll Damage damage,
            @ForAll @LongRange(min = 0, max = Long.MAX_VALUE) long seed) throws IOException {
        Random random = new Random(seed);
        long segmentSizeBytes = new long[] {4096, 8192, 65536}[segmentSizeChoice];
        Path dir = Files.createTempDirectory("wal-property");
        try {
            List<LogRecord> acked = WalTesting.records(1, ackedCount, 400, random);
            try (SegmentedLog log = SegmentedLog.open(dir, WalTesting.options(segmentSizeBytes))) {
                appendInRandomBatches(log, acked, random);
            }
            List<Placed> placed = placedFrames(dir);
            switch (damage) {
                case TORN_WRITE_ZEROED, TORN_WRITE_SHORTENED ->
                        checkTornWrite(dir, segmentSizeBytes, acked, unackedCount, damage, random);
                case BIT_FLIP -> checkBitFlip(dir, segmentSizeBytes, acked, placed, random);
            }
        } finally {
            CorruptionTest.deleteTree(dir);
        }
    }

    private static void appendInRandomBatches(SegmentedLog log, List<LogRecord> records, Random random) {
        int next = 0;
        while (next < records.size()) {
            int count = 1 + random.nextInt(Math.min(8, records.size() - next));
            await(log.append(records.subList(next, next + count)));
            next += count;
        }
    }

    /** Writes unacknowledged frames after the log's end in the open segment, cut at a random byte. */
    private static void checkTornWrite(Path dir, long segmentSizeBytes, List<LogRecord> acked, int unackedCount,
                                       Damage damage, Random random) throws IOException {
        Path open = WalTesting.openSegment(dir);
        LogScanner.ScannedSegment last = lastSegment(dir);
        List<LogRecord> unacked = WalTesting.records(acked.size() + 1, unackedCount, 400, random);
        ByteBuffer image = ByteBuffer.allocate((int) segmentSizeBytes);
        image.position((int) last.writePosition());
        List<LogRecord> fitting = new ArrayList<>();
        List<Integer> frameStarts = new ArrayList<>();
        for (LogRecord record : unacked) {
            if (image.position() + Format.frameBytes(record.payload().length) > segmentSizeBytes) {
                break;
            }
            frameStarts.add(image.position());
            Format.encodeFrame(image, record);
            fitting.add(record);
        }
        int start = (int) last.writePosition();
        int cut = start + random.nextInt(image.position() - start + 1);
        try (FileChannel channel = FileChannel.open(open, StandardOpenOption.WRITE)) {
            channel.write(image.duplicate().position(start).limit(cut), start);
            if (damage == Damage.TORN_WRITE_SHORTENED) {
                channel.truncate(cut);
            }
        }
        List<LogRecord> expected = new ArrayList<>(acked);
        TailState expectedTail = new TailState.Clean();
        for (int i = 0; i < fitting.size(); i++) {
            int frameEnd = frameStarts.get(i) + Format.FRAME_HEADER_BYTES + fitting.get(i).payload().length;
            if (cut >= frameEnd) {
                expected.add(fitting.get(i));
            } else if (cut > frameStarts.get(i)) {
                expectedTail = new TailState.TornTail(open.getFileName().toString(), frameStarts.get(i));
            }
        }
        checkRecovers(dir, segmentSizeBytes, expected, expectedTail);
    }

    private static void checkBitFlip(Path dir, long segmentSizeBytes, List<LogRecord> acked, List<Placed> placed,
                                     Random random) throws IOException {
        List<Path> segments = WalTesting.segments(dir);
        Path victim = segments.get(random.nextInt(segments.size()));
        String name = victim.getFileName().toString();
        boolean closed = !name.startsWith("open-");
        List<Placed> inVictim = placed.stream().filter(p -> p.segment().equals(name)).toList();
        long usedEnd = inVictim.isEmpty() ? Format.SEGMENT_HEADER_BYTES : inVictim.get(inVictim.size() - 1).alignedEnd();
        long offset = random.nextInt((int) Math.min(Files.size(victim), usedEnd + 64));
        WalTesting.flipBit(victim, offset, random.nextInt(8));
        if (offset < Format.SEGMENT_HEADER_BYTES) {
            checkCorrupt(dir, segmentSizeBytes, name, 0);
            return;
        }
        int hit = -1;
        for (int i = 0; i < inVictim.size(); i++) {
            if (offset >= inVictim.get(i).frame().offset() && offset < inVictim.get(i).alignedEnd()) {
                hit = i;
            }
        }
        boolean inPayloadOrHeader = hit >= 0 && offset < inVictim.get(hit).frame().endOffset();
        // FORMAT.md section 4: damage is reported where valid frames stop accounting for the
        // bytes: the damaged frame's start, the bad padding byte, or the end of the last frame.
        long damageOffset = inPayloadOrHeader ? inVictim.get(hit).frame().offset() : hit >= 0 ? offset : usedEnd;
        boolean lastOfLog = hit == inVictim.size() - 1 || (hit < 0 && offset >= usedEnd);
        if (closed || !lastOfLog) {
            checkCorrupt(dir, segmentSizeBytes, name, damageOffset);
            return;
        }
        List<LogRecord> expected = inPayloadOrHeader ? acked.subList(0, acked.size() - 1) : acked;
        checkRecovers(dir, segmentSizeBytes, expected, new TailState.TornTail(name, damageOffset));
    }

    private static void checkRecovers(Path dir, long segmentSizeBytes, List<LogRecord> expected,
                                      TailState expectedTail) throws IOException {
        Statistics.label("outcome").collect(expectedTail.getClass().getSimpleName());
        assertEquals(WalCommand.EXIT_OK, dump(dir));
        long nextIndex = expected.size() + 1;
        try (SegmentedLog log = SegmentedLog.open(dir, WalTesting.options(segmentSizeBytes))) {
            assertEquals(expectedTail, log.recoveredTail());
            assertEquals(expected, readAll(log));
            await(log.append(List.of(WalTesting.record(nextIndex, 99, "after recovery"))));
        }
        try (SegmentedLog log = SegmentedLog.open(dir, WalTesting.options(segmentSizeBytes))) {
            assertEquals(new TailState.Clean(), log.recoveredTail());
            assertEquals(nextIndex, log.lastIndex());
        }
    }

    private static void checkCorrupt(Path dir, long segmentSizeBytes, String segment, long offset) {
        Statistics.label("outcome").collect("Corrupt");
        assertEquals(WalCommand.EXIT_CORRUPT, dump(dir));
        WalCorruptionException thrown = assertThrows(WalCorruptionException.class,
                () -> SegmentedLog.open(dir, WalTesting.options(segmentSizeBytes)));
        assertEquals(segment, thrown.segment(), thrown.getMessage());
        assertEquals(offset, thrown.offset(), thrown.getMessage());
    }

    private static int dump(Path dir) {
        ByteArrayOutputStream sink = new ByteArrayOutputStream();
        PrintStream stream = new PrintStream(sink);
        return WalCommand.run(new String[] {"dump", dir.toString()}, stream, stream);
    }

    private static List<Placed> placedFrames(Path dir) throws IOException {
        List<Placed> placed = new ArrayList<>();
        LogScanner.scan(dir, (segment, frame, payload) -> placed.add(new Placed(segment, frame,
                frame.offset() + Format.frameBytes(frame.payloadLength()))));
        return placed;
    }

    private static LogScanner.ScannedSegment lastSegment(Path dir) throws IOException {
        List<LogScanner.ScannedSegment> segments = LogScanner.scan(dir, (s, f, p) -> { }).segments();
        return segments.get(segments.size() - 1);
    }
}

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
 * The expected offsets and batch boundaries come from {@link Layout}, which places frames
 * by the rules of FORMAT.md sections 2 and 5, never from the scanner under test.
 * The seed is fixed so that the run is deterministic; jqwik prints it on failure. The
 * number of tries is kept low because every try costs tens of fsyncs, and the suite must
 * stay fast on a busy disk; raise it locally (or vary the seed) when changing recovery.
 */
class RecoveryPropertyTest {
    private static final int PAGE_BYTES = 4096;

    enum Damage {
        /** A crash during an unsynced append: its frames are cut at a random byte, rest zeros. */
        TORN_WRITE_ZEROED,
        /** The same, but the file system also lost the file's tail (the file is shorter). */
        TORN_WRITE_SHORTENED,
        /** A crash during an unsynced batch whose first page was lost and later pages kept. */
        LOST_FIRST_PAGE_OF_LAST_BATCH,
        /** The same first page lost, but a later batch is on disk: the lost one was fsynced. */
        LOST_FIRST_PAGE_BEFORE_LATER_BATCH,
        /** One bit flipped at a random place in the written part of a random segment. */
        BIT_FLIP,
    }

    /** One frame as the writer places it: its segment (by position), offset and batch role. */
    private record Placed(int segmentPosition, LogRecord record, long offset, boolean batchStart) {
        long endOffset() {
            return offset + Format.FRAME_HEADER_BYTES + record.payload().length;
        }

        long alignedEnd() {
            return offset + Format.frameBytes(record.payload().length);
        }
    }

    /**
     * Where the writer puts frames: contiguous and aligned from the segment header on, a new
     * segment when a frame does not fit, a batch start at the first frame of each append
     * (every append is awaited alone here) and at the first frame of every segment.
     */
    private static final class Layout {
        final long segmentSizeBytes;
        final List<Placed> frames = new ArrayList<>();
        int segmentPosition;
        long writePosition = Format.SEGMENT_HEADER_BYTES;

        Layout(long segmentSizeBytes) {
            this.segmentSizeBytes = segmentSizeBytes;
        }

        void appendBatch(List<LogRecord> batch) {
            boolean first = true;
            for (LogRecord record : batch) {
                long bytes = Format.frameBytes(record.payload().length);
                if (writePosition + bytes > segmentSizeBytes) {
                    segmentPosition++;
                    writePosition = Format.SEGMENT_HEADER_BYTES;
                    first = true;
                }
                frames.add(new Placed(segmentPosition, record, writePosition, first));
                writePosition += bytes;
                first = false;
            }
        }

        List<Placed> inSegment(int position) {
            return frames.stream().filter(f -> f.segmentPosition() == position).toList();
        }

        /** The file name the segment at this position has; only the last is open. */
        String name(int position, Path dir) {
            if (position == segmentPosition) {
                return WalTesting.openSegment(dir).getFileName().toString();
            }
            List<Placed> in = inSegment(position);
            return SegmentName.closed(in.get(0).record().index(), in.get(in.size() - 1).record().index()).fileName();
        }
    }

    @Property(tries = 100, seed = "20261125")
    void recoveryReturnsTheFsyncedPrefixOrReportsCorruption(
            @ForAll @IntRange(min = 1, max = 40) int ackedCount,
            @ForAll @IntRange(min = 1, max = 12) int unackedCount,
            @ForAll @IntRange(min = 0, max = 2) int segmentSizeChoice,
            @ForAll Damage damage,
            @ForAll @LongRange(min = 0, max = Long.MAX_VALUE) long seed) throws IOException {
        Random random = new Random(seed);
        long segmentSizeBytes = new long[] {4096, 8192, 65536}[segmentSizeChoice];
        Path dir = Files.createTempDirectory("wal-property");
        try {
            List<LogRecord> acked = WalTesting.records(1, ackedCount, 400, random);
            Layout layout = new Layout(segmentSizeBytes);
            try (SegmentedLog log = SegmentedLog.open(dir, WalTesting.options(segmentSizeBytes))) {
                appendInRandomBatches(log, layout, acked, random);
            }
            long lastTerm = acked.get(acked.size() - 1).term();
            List<LogRecord> unacked = WalTesting.records(acked.size() + 1, lastTerm, unackedCount, 400, random);
            switch (damage) {
                case TORN_WRITE_ZEROED, TORN_WRITE_SHORTENED ->
                        checkTornWrite(dir, layout, acked, unacked, damage, random);
                case LOST_FIRST_PAGE_OF_LAST_BATCH, LOST_FIRST_PAGE_BEFORE_LATER_BATCH ->
                        checkLostFirstPage(dir, layout, acked, unacked, damage);
                case BIT_FLIP -> checkBitFlip(dir, layout, acked, random);
            }
        } finally {
            CorruptionTest.deleteTree(dir);
        }
    }

    private static void appendInRandomBatches(SegmentedLog log, Layout layout, List<LogRecord> records,
                                              Random random) {
        int next = 0;
        while (next < records.size()) {
            int count = 1 + random.nextInt(Math.min(8, records.size() - next));
            List<LogRecord> batch = records.subList(next, next + count);
            await(log.append(batch));
            layout.appendBatch(batch);
            next += count;
        }
    }

    /** Encodes the records that fit after the open segment's end as one batch; returns their offsets. */
    private static List<Long> encodeBatch(ByteBuffer image, List<LogRecord> records, long segmentSizeBytes) {
        List<Long> starts = new ArrayList<>();
        for (LogRecord record : records) {
            if (image.position() + Format.frameBytes(record.payload().length) > segmentSizeBytes) {
                break;
            }
            starts.add((long) image.position());
            Format.encodeFrame(image, record, starts.size() == 1 ? Format.FLAG_BATCH_START : 0);
        }
        return starts;
    }

    /** Writes unacknowledged frames after the log's end in the open segment, cut at a random byte. */
    private static void checkTornWrite(Path dir, Layout layout, List<LogRecord> acked, List<LogRecord> unacked,
                                       Damage damage, Random random) throws IOException {
        Path open = WalTesting.openSegment(dir);
        ByteBuffer image = ByteBuffer.allocate((int) layout.segmentSizeBytes);
        int start = (int) layout.writePosition;
        image.position(start);
        List<Long> frameStarts = encodeBatch(image, unacked, layout.segmentSizeBytes);
        int cut = start + random.nextInt(image.position() - start + 1);
        try (FileChannel channel = FileChannel.open(open, StandardOpenOption.WRITE)) {
            channel.write(image.duplicate().position(start).limit(cut), start);
            if (damage == Damage.TORN_WRITE_SHORTENED) {
                channel.truncate(cut);
            }
        }
        List<LogRecord> expected = new ArrayList<>(acked);
        TailState expectedTail = new TailState.Clean();
        for (int i = 0; i < frameStarts.size(); i++) {
            long frameEnd = frameStarts.get(i) + Format.FRAME_HEADER_BYTES + unacked.get(i).payload().length;
            if (cut >= frameEnd) {
                expected.add(unacked.get(i));
            } else if (cut > frameStarts.get(i)) {
                expectedTail = new TailState.TornTail(open.getFileName().toString(), frameStarts.get(i));
            }
        }
        checkRecovers(dir, layout.segmentSizeBytes, expected, expectedTail);
    }

    /**
     * Writes an unacknowledged batch after the log's end, then loses the part of it on its
     * first page, as a crash before the fdatasync may do on a disk that persists pages out
     * of order. With nothing after it, that is a torn last batch; when a later batch is on
     * disk too, the damaged one had been fsynced, and the loss is corruption.
     */
    private static void checkLostFirstPage(Path dir, Layout layout, List<LogRecord> acked, List<LogRecord> unacked,
                                           Damage damage) throws IOException {
        Path open = WalTesting.openSegment(dir);
        String name = open.getFileName().toString();
        ByteBuffer image = ByteBuffer.allocate((int) layout.segmentSizeBytes);
        long start = layout.writePosition;
        image.position((int) start);
        boolean laterBatch = damage == Damage.LOST_FIRST_PAGE_BEFORE_LATER_BATCH;
        int split = laterBatch ? Math.max(1, unacked.size() / 2) : unacked.size();
        List<Long> firstBatch = encodeBatch(image, unacked.subList(0, split), layout.segmentSizeBytes);
        List<Long> secondBatch = laterBatch && firstBatch.size() == split
                ? encodeBatch(image, unacked.subList(split, unacked.size()), layout.segmentSizeBytes) : List.of();
        int end = image.position();
        long lostEnd = Math.min(end, (start / PAGE_BYTES + 1) * PAGE_BYTES);
        image.put((int) start, new byte[(int) (lostEnd - start)]);
        try (FileChannel channel = FileChannel.open(open, StandardOpenOption.WRITE)) {
            channel.write(image.duplicate().position((int) start).limit(end), start);
        }
        boolean laterBatchSurvives = !secondBatch.isEmpty() && secondBatch.get(0) >= lostEnd;
        if (allZero(image, start, end)) {
            checkRecovers(dir, layout.segmentSizeBytes, acked, new TailState.Clean());
        } else if (laterBatchSurvives) {
            checkCorrupt(dir, layout.segmentSizeBytes, name, start);
        } else {
            checkRecovers(dir, layout.segmentSizeBytes, acked, new TailState.TornTail(name, start));
        }
    }

    private static boolean allZero(ByteBuffer image, long from, long to) {
        for (long i = from; i < to; i++) {
            if (image.get((int) i) != 0) {
                return false;
            }
        }
        return true;
    }

    private static void checkBitFlip(Path dir, Layout layout, List<LogRecord> acked, Random random)
            throws IOException {
        int victimPosition = random.nextInt(layout.segmentPosition + 1);
        String name = layout.name(victimPosition, dir);
        Path victim = dir.resolve(name);
        boolean closed = victimPosition < layout.segmentPosition;
        List<Placed> inVictim = layout.inSegment(victimPosition);
        long usedEnd = inVictim.isEmpty() ? Format.SEGMENT_HEADER_BYTES : inVictim.get(inVictim.size() - 1).alignedEnd();
        long offset = random.nextInt((int) Math.min(Files.size(victim), usedEnd + 64));
        WalTesting.flipBit(victim, offset, random.nextInt(8));
        if (offset < Format.SEGMENT_HEADER_BYTES) {
            checkCorrupt(dir, layout.segmentSizeBytes, name, 0);
            return;
        }
        int hit = -1;
        for (int i = 0; i < inVictim.size(); i++) {
            if (offset >= inVictim.get(i).offset() && offset < inVictim.get(i).alignedEnd()) {
                hit = i;
            }
        }
        boolean inPayloadOrHeader = hit >= 0 && offset < inVictim.get(hit).endOffset();
        // FORMAT.md section 4: damage is reported where valid frames stop accounting for the
        // bytes: the damaged frame's start, the bad padding byte, or the end of the last frame.
        long damageOffset = inPayloadOrHeader ? inVictim.get(hit).offset() : hit >= 0 ? offset : usedEnd;
        int firstAfter = hit >= 0 ? hit + 1 : inVictim.size();
        boolean laterBatchStart = inVictim.subList(firstAfter, inVictim.size()).stream().anyMatch(Placed::batchStart);
        if (closed || laterBatchStart) {
            checkCorrupt(dir, layout.segmentSizeBytes, name, damageOffset);
            return;
        }
        // The damage is in the last batch of the open segment: everything from it on is cut.
        int kept = (int) inVictim.subList(0, inPayloadOrHeader ? hit : firstAfter).size();
        long keptCount = (inVictim.isEmpty() ? acked.size() : inVictim.get(0).record().index() - 1) + kept;
        checkRecovers(dir, layout.segmentSizeBytes, acked.subList(0, (int) keptCount),
                new TailState.TornTail(name, damageOffset));
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
        return WalCommand.run(new String[] {"dump", "--write-batch-bytes-max", String.valueOf(WalTesting.WRITE_BATCH_BYTES),
                dir.toString()}, stream, stream);
    }
}

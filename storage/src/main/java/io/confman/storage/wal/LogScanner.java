package io.confman.storage.wal;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.stream.Stream;

/**
 * Steps 1 to 6 of the recovery procedure in FORMAT.md section 4, strictly read-only:
 * it finds what is in a log directory and how the log ends, and changes nothing. Opening
 * a log acts on the result; {@code wal dump} prints it. Keeping one scanner for both is
 * what makes the dump's report the truth about what recovery will do.
 */
public final class LogScanner {
    /**
     * Receives each valid, in-place frame in log order, with its payload. The payload is a
     * view of the segment's mapping, which is unmapped once the segment is scanned: it is
     * valid only during the call, and must be copied to be kept.
     */
    public interface RecordVisitor {
        void record(String segment, Format.Frame frame, ByteBuffer payload);
    }

    /** One segment's entries as far as the scan accepted them. */
    public record ScannedSegment(Path path, SegmentName name, long firstIndex, int[] offsets, long[] terms,
                                 int count, int writePosition, long fileLengthBytes) {
        public long lastIndex() {
            return firstIndex + count - 1;
        }
    }

    /**
     * What the scan found.
     *
     * @param segments the segments in log order, up to the corrupt one (excluded) if any
     * @param tail how the log ends
     * @param preparedSegments prepared segments (no entries, deleted on open)
     * @param counterMax the largest open or prepared counter seen, 0 if none
     * @param logSegmentCount how many closed and open segment files the directory holds;
     *     0 means it is not a log (prepared segments hold no entries)
     */
    public record ScanResult(List<ScannedSegment> segments, TailState tail,
                             List<Path> preparedSegments, long counterMax, int logSegmentCount) {
    }

    private LogScanner() {
    }

    /**
     * Scans {@code dir} without modifying it.
     *
     * @param writeBatchBytesMax the bound on one write batch the log was written with; damage
     *     in the open segment followed by valid frames within this span (and none starting a
     *     batch) is a torn last batch (FORMAT.md section 4, step 6)
     */
    public static ScanResult scan(Path dir, long writeBatchBytesMax, RecordVisitor visitor) throws IOException {
        if (writeBatchBytesMax < 1) {
            throw new IllegalArgumentException("writeBatchBytesMax must be >= 1, was " + writeBatchBytesMax);
        }
        List<Path> closed = new ArrayList<>();
        List<Path> open = new ArrayList<>();
        List<Path> prepared = new ArrayList<>();
        long counterMax = listSegments(dir, closed, open, prepared);
        List<ScannedSegment> scanned = new ArrayList<>();
        int fileCount = closed.size() + open.size();
        if (open.size() > 1) {
            return new ScanResult(scanned, new TailState.Corrupt(name(open.get(1)), 0,
                    "more than one open segment (" + name(open.get(0)) + ", " + name(open.get(1)) + ")"),
                    prepared, counterMax, fileCount);
        }
        List<Path> ordered = new ArrayList<>(closed);
        ordered.addAll(open);
        long expectedFirst = -1;
        long lastTerm = 0;
        for (Path path : ordered) {
            SegmentScan result = scanSegment(path, expectedFirst, lastTerm, writeBatchBytesMax, visitor);
            if (result.segment != null) {
                scanned.add(result.segment);
                expectedFirst = result.segment.lastIndex() + 1;
                if (result.segment.count() > 0) {
                    lastTerm = result.segment.terms()[result.segment.count() - 1];
                }
            }
            if (!(result.tail instanceof TailState.Clean)) {
                return new ScanResult(scanned, result.tail, prepared, counterMax, fileCount);
            }
        }
        return new ScanResult(scanned, new TailState.Clean(), prepared, counterMax, fileCount);
    }

    private static long listSegments(Path dir, List<Path> closed, List<Path> open, List<Path> prepared)
            throws IOException {
        long counterMax = 0;
        try (Stream<Path> files = Files.list(dir)) {
            for (Path path : (Iterable<Path>) files::iterator) {
                Optional<SegmentName> name = SegmentName.parse(name(path));
                if (name.isEmpty()) {
                    continue;
                }
                switch (name.get().kind()) {
                    case CLOSED -> closed.add(path);
                    case OPEN -> open.add(path);
                    case PREPARED -> prepared.add(path);
                }
                counterMax = Math.max(counterMax, name.get().counter());
            }
        }
        closed.sort(Comparator.comparingLong(p -> SegmentName.parse(name(p)).orElseThrow().firstIndex()));
        open.sort(Comparator.comparingLong(p -> SegmentName.parse(name(p)).orElseThrow().counter()));
        return counterMax;
    }

    private record SegmentScan(ScannedSegment segment, TailState tail) {
    }

    private static SegmentScan scanSegment(Path path, long expectedFirst, long lastTerm, long writeBatchBytesMax,
                                           RecordVisitor visitor) throws IOException {
        SegmentName name = SegmentName.parse(name(path)).orElseThrow();
        long length = Files.size(path);
        if (length > WalOptions.SEGMENT_SIZE_BYTES_MAX) {
            return corrupt(path, 0, "segment file of " + length + " bytes is larger than any segment can be");
        }
        MappedByteBuffer mapped = map(path, length);
        try {
            return scanMapped(path, name, mapped.order(ByteOrder.LITTLE_ENDIAN), expectedFirst, lastTerm,
                    writeBatchBytesMax, visitor);
        } finally {
            Unmapper.unmap(mapped);
        }
    }

    private static SegmentScan scanMapped(Path path, SegmentName name, ByteBuffer bytes, long expectedFirst,
                                          long lastTerm, long writeBatchBytesMax, RecordVisitor visitor) {
        long firstIndex;
        try {
            firstIndex = Format.decodeSegmentHeader(bytes);
        } catch (IllegalArgumentException badHeader) {
            return corrupt(path, 0, badHeader.getMessage());
        }
        if (name.kind() == SegmentName.Kind.CLOSED && firstIndex != name.firstIndex()) {
            return corrupt(path, 0, "header firstIndex " + firstIndex + " differs from the name's " + name.firstIndex());
        }
        if (expectedFirst != -1 && firstIndex != expectedFirst) {
            return corrupt(path, 0, "segment starts at index " + firstIndex + " but the previous one ends at "
                    + (expectedFirst - 1));
        }
        Damage rule = new Damage(name.kind() == SegmentName.Kind.CLOSED, writeBatchBytesMax);
        return scanFrames(path, name, bytes, firstIndex, lastTerm, rule, visitor);
    }

    /** How damage in this segment is judged: closed segments never hold a torn write. */
    private record Damage(boolean closed, long writeBatchBytesMax) {
    }

    /** Steps 4 to 6: walk the frames, stopping at the first that is not valid and in place. */
    private static SegmentScan scanFrames(Path path, SegmentName name, ByteBuffer bytes, long firstIndex,
                                          long lastTermBefore, Damage rule, RecordVisitor visitor) {
        int end = bytes.limit();
        IntLongList frames = new IntLongList();
        int position = Format.SEGMENT_HEADER_BYTES;
        int writePosition = Format.SEGMENT_HEADER_BYTES;
        long expectedIndex = firstIndex;
        long lastTerm = lastTermBefore;
        while (true) {
            position = skipZeros(bytes, position, end);
            if (position == end) {
                break;
            }
            Format.Frame frame = Format.decodeFrame(bytes, position, end);
            if (frame == null || frame.index() != expectedIndex) {
                ScannedSegment partial = segment(path, name, firstIndex, frames, writePosition, end);
                String what = frame == null ? "invalid frame"
                        : "valid frame not in place (index " + frame.index() + " where " + expectedIndex
                        + " was expected)";
                return damaged(path, partial, bytes, position, frame, expectedIndex, lastTerm, rule, what);
            }
            visitor.record(name(path), frame, bytes.duplicate().position(frame.offset() + Format.FRAME_HEADER_BYTES)
                    .limit(frame.endOffset()).slice());
            frames.add(frame.offset(), frame.term());
            expectedIndex++;
            lastTerm = frame.term();
            writePosition = (int) frame.alignedEndOffset();
            position = frame.endOffset();
        }
        ScannedSegment segment = segment(path, name, firstIndex, frames, writePosition, end);
        if (rule.closed() && segment.lastIndex() != name.lastIndex()) {
            return new SegmentScan(segment, new TailState.Corrupt(name(path), end, "closed segment holds entries "
                    + firstIndex + ".." + segment.lastIndex() + ", its name says .." + name.lastIndex()));
        }
        return new SegmentScan(segment, new TailState.Clean());
    }

    /**
     * Steps 5 and 6: damage at {@code badByte} (an invalid frame, or a valid one not in
     * place) is corruption, unless it is in the open segment and can only be the torn last
     * write batch: no later valid frame starts a batch, and the span from the damage to the
     * end of the last later valid frame fits in one batch. Every batch is fsynced before the
     * next is written, so only the last one can be partly on disk, in any order of its pages.
     */
    private static SegmentScan damaged(Path path, ScannedSegment partial, ByteBuffer bytes, int badByte,
                                       Format.Frame misplaced, long expectedIndex, long lastTerm, Damage rule,
                                       String what) {
        // The damage starts at the first byte no valid frame accounts for: the end of the
        // last valid frame with its padding, or earlier when a padding byte is the bad one.
        // (A type byte flipped to zero makes the scan land a few bytes into the frame.)
        int position = Math.min(badByte, partial.writePosition());
        if (rule.closed()) {
            return new SegmentScan(partial, new TailState.Corrupt(name(path), position, what + " in a closed segment"));
        }
        // A valid frame out of place is itself one of the frames after the damage.
        LaterFrames later = misplaced == null ? findLaterFrames(bytes, badByte + 1, position, expectedIndex, lastTerm)
                : misplaced.batchStart() ? new LaterFrames(badByte, misplaced.alignedEndOffset())
                : findLaterFrames(bytes, misplaced.endOffset(), position, expectedIndex, lastTerm)
                        .orEndingAt(misplaced.alignedEndOffset());
        if (later.batchStartOffset() >= 0) {
            return new SegmentScan(partial, new TailState.Corrupt(name(path), position, what
                    + " followed by a valid frame that starts a later write batch at offset "
                    + later.batchStartOffset()));
        }
        if (later.lastEndOffset() - position > rule.writeBatchBytesMax()) {
            return new SegmentScan(partial, new TailState.Corrupt(name(path), position, what
                    + " followed by a valid frame ending at offset " + later.lastEndOffset()
                    + ", farther than one write batch of " + rule.writeBatchBytesMax() + " bytes"));
        }
        return new SegmentScan(partial, new TailState.TornTail(name(path), position));
    }

    /**
     * What valid frames follow damage: the first that starts a write batch (-1 if none) and
     * the aligned end of the last one (the damage offset if none).
     */
    record LaterFrames(long batchStartOffset, long lastEndOffset) {
        /** The same, with {@code endOffset} as the last end when no later frame was found. */
        LaterFrames orEndingAt(long endOffset) {
            return new LaterFrames(batchStartOffset, Math.max(lastEndOffset, endOffset));
        }
    }

    /**
     * Finds the valid frames at or after {@code from}. Only candidates whose index could
     * stand at their offset (at least {@code expectedIndex}, at most one more per
     * FRAME_BYTES_MIN bytes after the damage) and whose term is not below
     * {@code lastTerm} (terms never decrease along a log) get a CRC check, so that a large
     * damaged region costs one pass of cheap reads rather than a CRC per byte.
     */
    static LaterFrames findLaterFrames(ByteBuffer bytes, int from, int damageOffset, long expectedIndex,
                                       long lastTerm) {
        int end = bytes.limit();
        long lastEnd = damageOffset;
        int offset = from;
        while ((long) offset + Format.FRAME_HEADER_BYTES <= end) {
            long indexMax = expectedIndex + (offset - damageOffset) / Format.FRAME_BYTES_MIN;
            if (!plausibleFrame(bytes, offset, end, expectedIndex, indexMax, lastTerm)) {
                offset++;
                continue;
            }
            Format.Frame frame = Format.decodeFrame(bytes, offset, end);
            if (frame == null) {
                offset++;
                continue;
            }
            if (frame.batchStart()) {
                return new LaterFrames(offset, frame.alignedEndOffset());
            }
            lastEnd = frame.alignedEndOffset();
            offset = frame.endOffset();
        }
        return new LaterFrames(-1, lastEnd);
    }

    /** The checks of FORMAT.md section 2.3 that need no CRC, plus the index and term bounds. */
    private static boolean plausibleFrame(ByteBuffer bytes, int offset, int end, long indexMin, long indexMax,
                                          long termMin) {
        if (bytes.get(offset) == 0 || (bytes.get(offset + Format.FRAME_FLAGS_OFFSET) & ~Format.FLAGS_KNOWN) != 0
                || bytes.get(offset + 2) != 0 || bytes.get(offset + 3) != 0) {
            return false;
        }
        long payloadLength = Integer.toUnsignedLong(bytes.getInt(offset + 4));
        if (offset + Format.FRAME_HEADER_BYTES + payloadLength > end) {
            return false;
        }
        long term = bytes.getLong(offset + 8);
        long index = bytes.getLong(offset + 16);
        return term >= Math.max(1, termMin) && index >= indexMin && index <= indexMax;
    }

    static int skipZeros(ByteBuffer bytes, int from, int end) {
        int position = from;
        while (position < end && bytes.get(position) == 0) {
            position++;
        }
        return position;
    }

    private static ScannedSegment segment(Path path, SegmentName name, long firstIndex, IntLongList frames,
                                          int writePosition, int end) {
        return new ScannedSegment(path, name, firstIndex, frames.ints(), frames.longs(), frames.size(),
                writePosition, end);
    }

    private static SegmentScan corrupt(Path path, long offset, String reason) {
        return new SegmentScan(null, new TailState.Corrupt(name(path), offset, reason));
    }

    /** Maps the file; absolute reads of header fields then set the format's byte order. */
    private static MappedByteBuffer map(Path path, long length) throws IOException {
        try (FileChannel channel = FileChannel.open(path, StandardOpenOption.READ)) {
            return channel.map(FileChannel.MapMode.READ_ONLY, 0, length);
        }
    }

    static String name(Path path) {
        return path.getFileName().toString();
    }
}

package io.confman.storage.wal;

import java.io.IOException;
import java.nio.ByteBuffer;
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
    /** Receives each valid, in-place frame in log order, with its payload. */
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
     * @param segmentFileCount how many segment files (of any kind) the directory holds
     */
    public record ScanResult(List<ScannedSegment> segments, TailState tail,
                             List<Path> preparedSegments, long counterMax, int segmentFileCount) {
    }

    private LogScanner() {
    }

    /** Scans {@code dir} without modifying it. */
    public static ScanResult scan(Path dir, RecordVisitor visitor) throws IOException {
        List<Path> closed = new ArrayList<>();
        List<Path> open = new ArrayList<>();
        List<Path> prepared = new ArrayList<>();
        long counterMax = listSegments(dir, closed, open, prepared);
        List<ScannedSegment> scanned = new ArrayList<>();
        int fileCount = closed.size() + open.size() + prepared.size();
        if (open.size() > 1) {
            return new ScanResult(scanned, new TailState.Corrupt(name(open.get(1)), 0,
                    "more than one open segment (" + name(open.get(0)) + ", " + name(open.get(1)) + ")"),
                    prepared, counterMax, fileCount);
        }
        List<Path> ordered = new ArrayList<>(closed);
        ordered.addAll(open);
        long expectedFirst = -1;
        for (Path path : ordered) {
            SegmentScan result = scanSegment(path, expectedFirst, visitor);
            if (result.segment != null) {
                scanned.add(result.segment);
                expectedFirst = result.segment.lastIndex() + 1;
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

    private static SegmentScan scanSegment(Path path, long expectedFirst, RecordVisitor visitor) throws IOException {
        SegmentName name = SegmentName.parse(name(path)).orElseThrow();
        long length = Files.size(path);
        if (length > WalOptions.SEGMENT_SIZE_BYTES_MAX) {
            return corrupt(path, 0, "segment file of " + length + " bytes is larger than any segment can be");
        }
        ByteBuffer bytes = map(path, length);
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
        return scanFrames(path, name, bytes, firstIndex, visitor);
    }

    /** Steps 4 to 6: walk the frames, stopping at the first that is not valid and in place. */
    private static SegmentScan scanFrames(Path path, SegmentName name, ByteBuffer bytes, long firstIndex,
                                          RecordVisitor visitor) {
        boolean closed = name.kind() == SegmentName.Kind.CLOSED;
        int end = bytes.limit();
        IntLongList frames = new IntLongList();
        int position = Format.SEGMENT_HEADER_BYTES;
        int writePosition = Format.SEGMENT_HEADER_BYTES;
        long expectedIndex = firstIndex;
        while (true) {
            position = skipZeros(bytes, position, end);
            if (position == end) {
                break;
            }
            Format.Frame frame = Format.decodeFrame(bytes, position, end);
            if (frame == null) {
                ScannedSegment partial = segment(path, name, firstIndex, frames, writePosition, end);
                return badFrame(path, partial, bytes, position, expectedIndex, closed);
            }
            if (frame.index() != expectedIndex) {
                return new SegmentScan(segment(path, name, firstIndex, frames, writePosition, end),
                        new TailState.Corrupt(name(path), position, "frame holds index " + frame.index()
                                + " where index " + expectedIndex + " was expected"));
            }
            visitor.record(name(path), frame, bytes.duplicate().position(frame.offset() + Format.FRAME_HEADER_BYTES)
                    .limit(frame.endOffset()).slice());
            frames.add(frame.offset(), frame.term());
            expectedIndex++;
            writePosition = (int) (frame.offset() + Format.frameBytes(frame.payloadLength()));
            position = frame.endOffset();
        }
        ScannedSegment segment = segment(path, name, firstIndex, frames, writePosition, end);
        if (closed && segment.lastIndex() != name.lastIndex()) {
            return new SegmentScan(segment, new TailState.Corrupt(name(path), end, "closed segment holds entries "
                    + firstIndex + ".." + segment.lastIndex() + ", its name says .." + name.lastIndex()));
        }
        return new SegmentScan(segment, new TailState.Clean());
    }

    /** Step 5 and 6: a frame that is not valid is corruption unless it is a torn tail. */
    private static SegmentScan badFrame(Path path, ScannedSegment partial, ByteBuffer bytes, int badByte,
                                        long expectedIndex, boolean closed) {
        // The damage starts at the first byte no valid frame accounts for: the end of the
        // last valid frame with its padding, or earlier when a padding byte is the bad one.
        // (A type byte flipped to zero makes the scan land a few bytes into the frame.)
        int position = Math.min(badByte, partial.writePosition());
        if (closed) {
            return new SegmentScan(partial, new TailState.Corrupt(name(path), position,
                    "invalid frame in a closed segment"));
        }
        int end = bytes.limit();
        int later = findValidFrame(bytes, badByte + 1, end, expectedIndex);
        if (later >= 0) {
            return new SegmentScan(partial, new TailState.Corrupt(name(path), position,
                    "invalid frame followed by a valid frame at offset " + later));
        }
        return new SegmentScan(partial, new TailState.TornTail(name(path), position));
    }

    /** The first offset at or after {@code from} where a valid frame with an index >= {@code indexMin} starts. */
    static int findValidFrame(ByteBuffer bytes, int from, int end, long indexMin) {
        for (int offset = from; offset + Format.FRAME_HEADER_BYTES <= end; offset++) {
            if (bytes.get(offset) == 0) {
                continue;
            }
            Format.Frame frame = Format.decodeFrame(bytes, offset, end);
            if (frame != null && frame.index() >= indexMin) {
                return offset;
            }
        }
        return -1;
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

    private static ByteBuffer map(Path path, long length) throws IOException {
        try (FileChannel channel = FileChannel.open(path, StandardOpenOption.READ)) {
            MappedByteBuffer mapped = channel.map(FileChannel.MapMode.READ_ONLY, 0, length);
            return mapped;
        }
    }

    static String name(Path path) {
        return path.getFileName().toString();
    }
}

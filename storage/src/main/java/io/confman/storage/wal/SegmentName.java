package io.confman.storage.wal;

import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The three kinds of segment file names (FORMAT.md section 1). Closed names carry the
 * index range in 20 zero-padded digits so that a plain directory listing sorts by index.
 */
public record SegmentName(Kind kind, long firstIndex, long lastIndex, long counter) {
    public enum Kind { CLOSED, OPEN, PREPARED }

    private static final Pattern CLOSED = Pattern.compile("(\\d{20})-(\\d{20})\\.seg");
    private static final Pattern OPEN = Pattern.compile("open-(\\d{1,18})\\.seg");
    private static final Pattern PREPARED = Pattern.compile("prepared-(\\d{1,18})\\.seg");
    private static final String LONG_MAX_20_DIGITS = String.format("%020d", Long.MAX_VALUE);

    /** The name a segment gets when it is full: its index range, which never changes again. */
    public static SegmentName closed(long firstIndex, long lastIndex) {
        if (firstIndex < 1 || lastIndex < firstIndex) {
            throw new IllegalArgumentException("closed segment needs 1 <= first <= last, got " + firstIndex + ".." + lastIndex);
        }
        return new SegmentName(Kind.CLOSED, firstIndex, lastIndex, -1);
    }

    /** The segment being appended to; its first index is in its header, its last is still moving. */
    public static SegmentName open(long counter) {
        return new SegmentName(Kind.OPEN, -1, -1, counter);
    }

    /** A preallocated, all-zero file that will become {@code open-<counter>.seg}. */
    public static SegmentName prepared(long counter) {
        return new SegmentName(Kind.PREPARED, -1, -1, counter);
    }

    /** Parses a file name; empty when it is not a segment's name. */
    public static Optional<SegmentName> parse(String fileName) {
        Matcher m = CLOSED.matcher(fileName);
        if (m.matches()) {
            // Twenty digits can exceed Long.MAX_VALUE; such a name is no segment's (FORMAT.md
            // section 1 says other files are ignored), not an error.
            if (!fitsInLong(m.group(1)) || !fitsInLong(m.group(2))) {
                return Optional.empty();
            }
            long first = Long.parseLong(m.group(1));
            long last = Long.parseLong(m.group(2));
            return first >= 1 && last >= first ? Optional.of(closed(first, last)) : Optional.empty();
        }
        m = OPEN.matcher(fileName);
        if (m.matches()) {
            return Optional.of(open(Long.parseLong(m.group(1))));
        }
        m = PREPARED.matcher(fileName);
        if (m.matches()) {
            return Optional.of(prepared(Long.parseLong(m.group(1))));
        }
        return Optional.empty();
    }

    /** Whether a zero-padded 20-digit decimal is at most Long.MAX_VALUE (compared as text). */
    private static boolean fitsInLong(String twentyDigits) {
        return twentyDigits.compareTo(LONG_MAX_20_DIGITS) <= 0;
    }

    /** The file name, e.g. {@code 00000000000000000001-00000000000000004096.seg}. */
    public String fileName() {
        return switch (kind) {
            case CLOSED -> String.format("%020d-%020d.seg", firstIndex, lastIndex);
            case OPEN -> "open-" + counter + ".seg";
            case PREPARED -> "prepared-" + counter + ".seg";
        };
    }

    @Override
    public String toString() {
        return fileName();
    }
}

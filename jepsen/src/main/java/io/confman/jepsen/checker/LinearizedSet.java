package io.confman.jepsen.checker;

/**
 * The set of operations linearized so far, as a bitset with a hash kept up to date on
 * every change (a Zobrist hash: the exclusive or of a fixed random word per member), so
 * that looking a configuration up in the {@link ConfigurationCache} costs no pass over the
 * words.
 *
 * <p>Operations are numbered in the order of their invocations, which makes the set of a
 * search in progress look like a run of full words, a short window where the search is,
 * then zeros. Operations with a real return and indeterminate ones (which may never be
 * linearized) are numbered in two regions of their own, so that an indeterminate one left
 * out does not stop the run of full words of the others. The cache stores only each
 * region's window; see {@link #compactLength}.
 */
final class LinearizedSet {

    private final long[] words;
    /** Region 0 is words [0, split), region 1 is [split, words.length). */
    private final int split;
    /** Invariant, per region: every word of the region below it is all ones. */
    private final int[] firstNotFull = new int[2];
    /** Invariant, per region: every word of the region above it is zero; region start - 1 if all are. */
    private final int[] lastNonZero = new int[2];
    private long hash;

    LinearizedSet(int finiteCount, int indeterminateCount) {
        this.split = (finiteCount + 63) / 64;
        this.words = new long[split + (indeterminateCount + 63) / 64];
        firstNotFull[0] = 0;
        lastNonZero[0] = -1;
        firstNotFull[1] = split;
        lastNonZero[1] = split - 1;
    }

    /** The bit of finite operation {@code i} or indeterminate operation {@code i - finiteCount}. */
    static int bitOf(int position, int finiteCount) {
        if (position < finiteCount) {
            return position;
        }
        return ((finiteCount + 63) / 64) * 64 + (position - finiteCount);
    }

    private int start(int region) {
        return region == 0 ? 0 : split;
    }

    private int end(int region) {
        return region == 0 ? split : words.length;
    }

    void set(int bit) {
        int word = bit >>> 6;
        long mask = 1L << bit;
        if ((words[word] & mask) != 0) {
            throw new IllegalStateException("bit " + bit + " is already set");
        }
        words[word] |= mask;
        hash ^= zobrist(bit);
        int region = word < split ? 0 : 1;
        if (word > lastNonZero[region]) {
            lastNonZero[region] = word;
        }
        int end = end(region);
        while (firstNotFull[region] < end && words[firstNotFull[region]] == -1L) {
            firstNotFull[region]++;
        }
    }

    void clear(int bit) {
        int word = bit >>> 6;
        long mask = 1L << bit;
        if ((words[word] & mask) == 0) {
            throw new IllegalStateException("bit " + bit + " is not set");
        }
        words[word] &= ~mask;
        hash ^= zobrist(bit);
        int region = word < split ? 0 : 1;
        if (word < firstNotFull[region]) {
            firstNotFull[region] = word;
        }
        int start = start(region);
        while (lastNonZero[region] >= start && words[lastNonZero[region]] == 0) {
            lastNonZero[region]--;
        }
    }

    boolean get(int bit) {
        return (words[bit >>> 6] & (1L << bit)) != 0;
    }

    long hash() {
        return hash;
    }

    private int windowLength(int region) {
        return Math.max(0, lastNonZero[region] - firstNotFull[region] + 1);
    }

    /**
     * The length of the compact form: for the region of operations with a real return, the
     * index of its first word not full, its window's length and the window (the words from
     * there to the last non-zero one); then the same for the indeterminate region without
     * the length, which the total gives. Two sets are equal exactly when their compact
     * forms are.
     */
    int compactLength() {
        return 3 + windowLength(0) + windowLength(1);
    }

    /** Writes the compact form into {@code into} from {@code offset}. */
    void writeCompact(long[] into, int offset) {
        int window0 = windowLength(0);
        into[offset] = firstNotFull[0];
        into[offset + 1] = window0;
        System.arraycopy(words, firstNotFull[0], into, offset + 2, window0);
        into[offset + 2 + window0] = firstNotFull[1];
        System.arraycopy(words, firstNotFull[1], into, offset + 3 + window0, windowLength(1));
    }

    /** True if {@code from[offset, offset + length)} is this set's compact form. */
    boolean equalsCompact(long[] from, int offset, int length) {
        int window0 = windowLength(0);
        if (length != compactLength() || from[offset] != firstNotFull[0] || from[offset + 1] != window0
                || from[offset + 2 + window0] != firstNotFull[1]) {
            return false;
        }
        for (int i = 0; i < window0; i++) {
            if (from[offset + 2 + i] != words[firstNotFull[0] + i]) {
                return false;
            }
        }
        int window1 = windowLength(1);
        for (int i = 0; i < window1; i++) {
            if (from[offset + 3 + window0 + i] != words[firstNotFull[1] + i]) {
                return false;
            }
        }
        return true;
    }

    /** A fixed pseudo-random word per bit (SplitMix64's finaliser). */
    static long zobrist(long bit) {
        long z = bit * 0x9E3779B97F4A7C15L + 0x632BE59BD9B4E019L;
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }
}

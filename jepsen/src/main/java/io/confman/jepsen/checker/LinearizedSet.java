package io.confman.jepsen.checker;

/**
 * The set of operations linearized so far, as a bitset with a hash kept up to date on
 * every change (a Zobrist hash: the exclusive or of a fixed random word per member), so
 * that looking a configuration up in the {@link ConfigurationCache} costs no pass over the
 * words.
 *
 * <p>Operations with a real return are numbered in the order of their invocations, which
 * makes the set of a search in progress look like a run of full words, a short window where
 * the search is, then zeros. The indeterminate ones (which may never be linearized) are
 * numbered apart, in words of their own after those, so that one of them left out does not
 * stop the run of full words. The cache stores only the window and those last words; see
 * {@link #compactLength}.
 */
final class LinearizedSet {

    private final long[] words;
    /** Words {@code [0, finiteWords)} hold the operations with a real return. */
    private final int finiteWords;
    /** Invariant: every finite word below it is all ones; it is at most finiteWords. */
    private int firstNotFull;
    /** Invariant: every finite word above it is zero; -1 if all are. */
    private int lastNonZero = -1;
    private long hash;

    LinearizedSet(int finiteCount, int indeterminateCount) {
        this.finiteWords = (finiteCount + 63) / 64;
        this.words = new long[finiteWords + (indeterminateCount + 63) / 64];
    }

    /** The bit of finite operation {@code i} or indeterminate operation {@code i - finiteCount}. */
    static int bitOf(int position, int finiteCount) {
        if (position < finiteCount) {
            return position;
        }
        return ((finiteCount + 63) / 64) * 64 + (position - finiteCount);
    }

    void set(int bit) {
        int word = bit >>> 6;
        long mask = 1L << bit;
        if ((words[word] & mask) != 0) {
            throw new IllegalStateException("bit " + bit + " is already set");
        }
        words[word] |= mask;
        hash ^= zobrist(bit);
        if (word < finiteWords) {
            if (word > lastNonZero) {
                lastNonZero = word;
            }
            while (firstNotFull < finiteWords && words[firstNotFull] == -1L) {
                firstNotFull++;
            }
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
        if (word < finiteWords) {
            if (word < firstNotFull) {
                firstNotFull = word;
            }
            while (lastNonZero >= 0 && words[lastNonZero] == 0) {
                lastNonZero--;
            }
        }
    }

    boolean get(int bit) {
        return (words[bit >>> 6] & (1L << bit)) != 0;
    }

    long hash() {
        return hash;
    }

    /**
     * The length of the compact form: the index of the first finite word not full, the
     * finite words from there to the last non-zero one, then every indeterminate word. Two
     * sets are equal exactly when their compact forms are.
     */
    int compactLength() {
        return 1 + windowLength() + (words.length - finiteWords);
    }

    private int windowLength() {
        return Math.max(0, lastNonZero - firstNotFull + 1);
    }

    /** Writes the compact form into {@code into} from {@code offset}. */
    void writeCompact(long[] into, int offset) {
        into[offset] = firstNotFull;
        int window = windowLength();
        System.arraycopy(words, firstNotFull, into, offset + 1, window);
        System.arraycopy(words, finiteWords, into, offset + 1 + window, words.length - finiteWords);
    }

    /** True if {@code from[offset, offset + length)} is this set's compact form. */
    boolean equalsCompact(long[] from, int offset, int length) {
        if (length != compactLength() || from[offset] != firstNotFull) {
            return false;
        }
        int window = windowLength();
        for (int i = 0; i < window; i++) {
            if (from[offset + 1 + i] != words[firstNotFull + i]) {
                return false;
            }
        }
        for (int i = finiteWords; i < words.length; i++) {
            if (from[offset + 1 + window + i - finiteWords] != words[i]) {
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

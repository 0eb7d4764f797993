package io.confman.bench.load;

/**
 * A stateless mix of a seed and an index (SplitMix64's finaliser), so that each operation's
 * choices and each value's bytes follow from {@code --seed} whatever thread draws them and
 * in whatever order.
 */
final class Mix {

    private static final long GOLDEN_GAMMA = 0x9e3779b97f4a7c15L;

    private Mix() {
    }

    static long hash(long seed, long index) {
        long z = seed + (index + 1) * GOLDEN_GAMMA;
        z = (z ^ (z >>> 30)) * 0xbf58476d1ce4e5b9L;
        z = (z ^ (z >>> 27)) * 0x94d049bb133111ebL;
        return z ^ (z >>> 31);
    }

    /** A double in [0, 1) from a hash. */
    static double unit(long hash) {
        return (hash >>> 11) * 0x1.0p-53;
    }
}

package io.confman.bench.load;

import java.util.Locale;

/**
 * What each operation of a run does. Reads and compare-and-set need keys that exist, so
 * those workloads first write every key of their key space once (the load phase), outside
 * the measured figures.
 */
enum Workload {
    /** One PUT per operation: key i for operation i, or key i mod K with {@code --keys K}. */
    PUT(false),
    /** One GET per operation of a key drawn from the K loaded keys. */
    GET(true),
    /** A GET or, with the remaining probability, a PUT of a key drawn from the K loaded keys. */
    MIXED(true),
    /**
     * A read of a key's ETag followed by a PUT with {@code If-Match}: contention on few keys.
     * A 412 is a lost race, which is what the workload provokes, so it counts as a conflict,
     * not as an error.
     */
    CAS(true);

    private final boolean loadsKeys;

    Workload(boolean loadsKeys) {
        this.loadsKeys = loadsKeys;
    }

    boolean loadsKeys() {
        return loadsKeys;
    }

    String flagName() {
        return name().toLowerCase(Locale.ROOT);
    }
}

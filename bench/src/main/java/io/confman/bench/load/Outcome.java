package io.confman.bench.load;

/** How one operation ended, as the summary counts it. */
enum Outcome {
    /** Every request of the operation answered 2xx. */
    OK,
    /** A compare-and-set lost its race (412): expected under contention, not a failure. */
    CONFLICT,
    /** A non-2xx answer other than a conflict, or an I/O error (no answer at all). */
    ERROR
}

package io.confman.storage.wal;

/**
 * How recovery found the end of the log (FORMAT.md section 4, step 8). {@code wal dump}
 * prints it; opening the log acts on it.
 */
public sealed interface TailState {
    /** Every segment ended in zeros after its last valid frame. */
    record Clean() implements TailState {
        @Override
        public String toString() {
            return "clean";
        }
    }

    /** An interrupted append at {@code offset} of the open segment; recovery zeroes it. */
    record TornTail(String segment, long offset) implements TailState {
        @Override
        public String toString() {
            return "torn tail truncated at segment " + segment + " offset " + offset;
        }
    }

    /** Damage that is not an interrupted append; the log refuses to open. */
    record Corrupt(String segment, long offset, String reason) implements TailState {
        @Override
        public String toString() {
            return "corrupt at segment " + segment + " offset " + offset + ": " + reason;
        }
    }
}

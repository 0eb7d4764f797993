package io.confman.jepsen.history;

/**
 * The argument of a compare-and-set, written {@code [expected next]} in a history: set the
 * register to {@code next} if it holds {@code expected}. Either may be nil.
 */
public record CasValue(Object expected, Object next) {
    @Override
    public String toString() {
        return "[" + Edn.write(expected) + " " + Edn.write(next) + "]";
    }
}

package io.confman.jepsen.history;

import java.util.Objects;

/**
 * An EDN keyword such as {@code :timeout}. A value of its own type (not a string) so that
 * {@code :a} and {@code "a"} stay different values, as EDN equality wants.
 *
 * @param name the keyword without its colon, possibly with a namespace ({@code ns/name})
 */
public record Keyword(String name) {
    public Keyword {
        Objects.requireNonNull(name, "name");
        if (name.isEmpty()) {
            throw new IllegalArgumentException("a keyword needs a name");
        }
    }

    @Override
    public String toString() {
        return ":" + name;
    }
}

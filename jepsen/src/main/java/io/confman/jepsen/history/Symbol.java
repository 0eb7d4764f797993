package io.confman.jepsen.history;

import java.util.Objects;

/**
 * An EDN symbol such as {@code foo}. Histories rarely hold one, but the reader keeps it as a
 * value of its own type so that it compares equal only to the same symbol.
 *
 * @param name the symbol as written
 */
public record Symbol(String name) {
    public Symbol {
        Objects.requireNonNull(name, "name");
    }

    @Override
    public String toString() {
        return name;
    }
}

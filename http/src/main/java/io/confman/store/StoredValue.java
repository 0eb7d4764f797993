package io.confman.store;

import io.confman.store.command.Value;
import java.util.Objects;

/** A key's value (inline bytes or a blob pointer) with its metadata, as a GET returns it. */
public record StoredValue(KeyMeta meta, Value value) {
    public StoredValue {
        Objects.requireNonNull(meta, "meta");
        Objects.requireNonNull(value, "value");
    }
}

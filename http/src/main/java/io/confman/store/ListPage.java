package io.confman.store;

import java.util.List;
import java.util.Objects;

/**
 * One page of a listing, the JSON object {@code {items,more,next_after,revision}}.
 *
 * @param nextAfter the {@code after} to ask for the next page with; null when
 *        {@code more} is false
 * @param revision the global revision the page was read at
 */
public record ListPage(List<KeyMeta> items, boolean more, String nextAfter, long revision) {
    public ListPage {
        Objects.requireNonNull(items, "items");
        items = List.copyOf(items);
        if (more != (nextAfter != null)) {
            throw new IllegalArgumentException("next_after is given exactly when there are more items");
        }
    }
}

package io.confman.node;

import com.fasterxml.jackson.core.io.JsonStringEncoder;

/**
 * JSON string literals for the few small documents the node and its tools write by hand (the
 * live view's frames, the dev controller's answers), where a generator would be more code
 * than the document. The escaping is Jackson's, the library the HTTP API writes JSON with.
 */
public final class JsonStrings {

    private JsonStrings() {
    }

    /** {@code text} as a JSON string literal, or {@code null} for null. */
    public static String quote(String text) {
        if (text == null) {
            return "null";
        }
        return '"' + new String(JsonStringEncoder.getInstance().quoteAsString(text)) + '"';
    }
}

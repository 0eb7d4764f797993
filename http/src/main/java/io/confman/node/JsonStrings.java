package io.confman.node;

/**
 * JSON string literals for the few small documents the node and its tools write by hand (the
 * live view's frames, the dev controller's answers), where a JSON library would be more code
 * than the document. Escapes what RFC 8259 requires, and U+2028 and U+2029, which some
 * JavaScript parsers take for line ends.
 */
public final class JsonStrings {

    private JsonStrings() {
    }

    /** {@code text} as a JSON string literal, or {@code null} for null. */
    public static String quote(String text) {
        if (text == null) {
            return "null";
        }
        StringBuilder out = new StringBuilder(text.length() + 2).append('"');
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            switch (c) {
                case '"' -> out.append("\\\"");
                case '\\' -> out.append("\\\\");
                case '\n' -> out.append("\\n");
                case '\r' -> out.append("\\r");
                case '\t' -> out.append("\\t");
                default -> {
                    if (c < 0x20 || c == 0x2028 || c == 0x2029) {
                        out.append(String.format("\\u%04x", (int) c));
                    } else {
                        out.append(c);
                    }
                }
            }
        }
        return out.append('"').toString();
    }
}

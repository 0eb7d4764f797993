package io.confman.jepsen.report;

/** Text for the HTML and SVG reports. */
public final class Markup {

    private Markup() {
    }

    /**
     * {@code text} safe inside an element or a double-quoted attribute of HTML or XML; other
     * control characters than tab and line breaks (not allowed in XML 1.0) become spaces.
     */
    public static String escape(String text) {
        StringBuilder out = new StringBuilder(text.length());
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            switch (c) {
                case '<' -> out.append("&lt;");
                case '>' -> out.append("&gt;");
                case '&' -> out.append("&amp;");
                case '"' -> out.append("&quot;");
                default -> out.append(c < 0x20 && c != '\t' && c != '\n' && c != '\r' ? ' ' : c);
            }
        }
        return out.toString();
    }
}

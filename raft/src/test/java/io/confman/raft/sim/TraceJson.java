package io.confman.raft.sim;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Just enough JSON to read a trace back in tests: objects (as ordered maps), arrays (as lists),
 * strings, integers (as {@code Long}), {@code true}, {@code false} and {@code null}, with no
 * whitespace between tokens, as {@link SimTrace} writes them. It refuses anything else, so a
 * trace line that is not the JSON it claims fails the test that reads it.
 */
final class TraceJson {

    private final String text;
    private int at;

    private TraceJson(String text) {
        this.text = text;
    }

    static Object parse(String text) {
        TraceJson parser = new TraceJson(text);
        Object value = parser.value();
        if (parser.at != text.length()) {
            throw parser.error("text after the value");
        }
        return value;
    }

    @SuppressWarnings("unchecked")
    static Map<String, Object> object(String line) {
        Object value = parse(line);
        if (!(value instanceof Map)) {
            throw new IllegalArgumentException("not a JSON object: " + line);
        }
        return (Map<String, Object>) value;
    }

    private Object value() {
        if (at >= text.length()) {
            throw error("end of text");
        }
        char c = text.charAt(at);
        return switch (c) {
            case '{' -> object();
            case '[' -> array();
            case '"' -> string();
            case 't' -> literal("true", Boolean.TRUE);
            case 'f' -> literal("false", Boolean.FALSE);
            case 'n' -> literal("null", null);
            default -> number();
        };
    }

    private Map<String, Object> object() {
        Map<String, Object> out = new LinkedHashMap<>();
        expect('{');
        if (peek() == '}') {
            at++;
            return out;
        }
        do {
            String name = string();
            expect(':');
            if (out.put(name, value()) != null) {
                throw error("field " + name + " twice");
            }
        } while (next(',', '}') == ',');
        return out;
    }

    private List<Object> array() {
        List<Object> out = new ArrayList<>();
        expect('[');
        if (peek() == ']') {
            at++;
            return out;
        }
        do {
            out.add(value());
        } while (next(',', ']') == ',');
        return out;
    }

    private String string() {
        expect('"');
        StringBuilder out = new StringBuilder();
        while (true) {
            char c = text.charAt(at++);
            if (c == '"') {
                return out.toString();
            }
            if (c != '\\') {
                out.append(c);
                continue;
            }
            char escaped = text.charAt(at++);
            switch (escaped) {
                case '"', '\\', '/' -> out.append(escaped);
                case 'n' -> out.append('\n');
                case 'u' -> {
                    out.append((char) Integer.parseInt(text.substring(at, at + 4), 16));
                    at += 4;
                }
                default -> throw error("escape \\" + escaped);
            }
        }
    }

    private Long number() {
        int start = at;
        if (peek() == '-') {
            at++;
        }
        while (at < text.length() && Character.isDigit(text.charAt(at))) {
            at++;
        }
        if (at == start || at == start + 1 && text.charAt(start) == '-') {
            throw error("a value");
        }
        return Long.parseLong(text.substring(start, at));
    }

    private Object literal(String word, Object value) {
        if (!text.startsWith(word, at)) {
            throw error(word);
        }
        at += word.length();
        return value;
    }

    private char peek() {
        if (at >= text.length()) {
            throw error("end of text");
        }
        return text.charAt(at);
    }

    private void expect(char c) {
        if (peek() != c) {
            throw error("'" + c + "'");
        }
        at++;
    }

    private char next(char a, char b) {
        char c = peek();
        if (c != a && c != b) {
            throw error("'" + a + "' or '" + b + "'");
        }
        at++;
        return c;
    }

    private IllegalArgumentException error(String expected) {
        return new IllegalArgumentException("JSON: expected " + expected + " at " + at + " in " + text);
    }
}

package io.confman.jepsen.history;

import java.io.IOException;
import java.io.Reader;
import java.math.BigInteger;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The part of EDN that Jepsen histories use: maps, vectors, lists, keywords, strings with
 * escapes, integers, floats, nil, booleans and symbols; commas are whitespace and {@code ;}
 * starts a comment. Vectors and lists both read as {@link List}, maps as {@link Map} in the
 * order written. An integer that fits a long reads as a {@link Long}, a larger one as a
 * {@link BigInteger}, so that equal numbers are equal Java values. Tagged literals and
 * sets are not part of the subset and are reported as errors.
 *
 * <p>The reader is hand-written rather than a library because the subset is small and the
 * errors must name the line, which is what a person fixing a history file needs.
 */
public final class Edn {

    private Edn() {
    }

    /** Reads top-level forms one after the other from a character stream. */
    public static final class Parser {
        private final Reader in;
        private int peeked = -2;
        private long line = 1;

        public Parser(Reader in) {
            this.in = in;
        }

        /** The line the next character is on, counting from 1. */
        public long line() {
            return line;
        }

        /** True if another form follows (whitespace and comments skipped). */
        public boolean hasNext() throws IOException {
            skipWhitespace();
            return peek() != -1;
        }

        /** The next top-level form. */
        public Object next() throws IOException {
            skipWhitespace();
            int c = peek();
            if (c == -1) {
                throw error("unexpected end of input");
            }
            return readForm();
        }

        private int peek() throws IOException {
            if (peeked == -2) {
                peeked = in.read();
            }
            return peeked;
        }

        private int read() throws IOException {
            int c = peek();
            peeked = -2;
            if (c == '\n') {
                line++;
            }
            return c;
        }

        private MalformedHistoryException error(String message) {
            return new MalformedHistoryException("line " + line + ": " + message);
        }

        private void skipWhitespace() throws IOException {
            while (true) {
                int c = peek();
                if (c == ';') {
                    while (c != '\n' && c != -1) {
                        read();
                        c = peek();
                    }
                } else if (c == ',' || Character.isWhitespace(c)) {
                    read();
                } else {
                    return;
                }
            }
        }

        private Object readForm() throws IOException {
            int c = peek();
            switch (c) {
                case '{':
                    read();
                    return readMap();
                case '[':
                    read();
                    return readSequence(']');
                case '(':
                    read();
                    return readSequence(')');
                case '"':
                    read();
                    return readString();
                case ':':
                    read();
                    return new Keyword(readToken("keyword"));
                case '}':
                case ']':
                case ')':
                    throw error("unmatched '" + (char) c + "'");
                case '#': {
                    // A tagged element reads as its form: Jepsen 0.3 writes each event as
                    // #jepsen.history.Op{...}, which is the map of the older format.
                    read();
                    if (peek() == '{' || peek() == '_' || peek() == '#') {
                        throw error("sets (#{...}), discarded forms (#_) and symbolic values (##Inf) are not"
                                + " supported in a history");
                    }
                    readToken("tag");
                    skipWhitespace();
                    if (peek() == -1) {
                        throw error("a tag with no element after it");
                    }
                    return readForm();
                }
                case '\\':
                    throw error("characters (\\c) are not supported in a history");
                default:
                    return readAtom();
            }
        }

        private Map<Object, Object> readMap() throws IOException {
            long started = line;
            Map<Object, Object> map = new LinkedHashMap<>();
            while (true) {
                skipWhitespace();
                int c = peek();
                if (c == -1) {
                    throw error("the map begun on line " + started + " is not closed");
                }
                if (c == '}') {
                    read();
                    return map;
                }
                Object key = readForm();
                skipWhitespace();
                if (peek() == '}' || peek() == -1) {
                    throw error("the map begun on line " + started + " has a key without a value: " + write(key));
                }
                Object value = readForm();
                if (map.containsKey(key)) {
                    throw error("the map begun on line " + started + " has the key " + write(key) + " twice");
                }
                map.put(key, value);
            }
        }

        private List<Object> readSequence(char close) throws IOException {
            long started = line;
            List<Object> items = new ArrayList<>();
            while (true) {
                skipWhitespace();
                int c = peek();
                if (c == -1) {
                    throw error("the " + (close == ']' ? "vector" : "list") + " begun on line " + started
                            + " is not closed");
                }
                if (c == close) {
                    read();
                    return Collections.unmodifiableList(items);
                }
                items.add(readForm());
            }
        }

        private String readString() throws IOException {
            long started = line;
            StringBuilder text = new StringBuilder();
            while (true) {
                int c = read();
                if (c == -1) {
                    throw error("the string begun on line " + started + " is not closed");
                }
                if (c == '"') {
                    return text.toString();
                }
                if (c != '\\') {
                    text.append((char) c);
                    continue;
                }
                int escaped = read();
                switch (escaped) {
                    case 'n' -> text.append('\n');
                    case 't' -> text.append('\t');
                    case 'r' -> text.append('\r');
                    case 'b' -> text.append('\b');
                    case 'f' -> text.append('\f');
                    case '"' -> text.append('"');
                    case '\\' -> text.append('\\');
                    case 'u' -> {
                        StringBuilder hex = new StringBuilder();
                        for (int i = 0; i < 4; i++) {
                            int h = read();
                            if (Character.digit(h, 16) < 0) {
                                throw error("bad \\u escape in a string");
                            }
                            hex.append((char) h);
                        }
                        text.append((char) Integer.parseInt(hex.toString(), 16));
                    }
                    case -1 -> throw error("the string begun on line " + started + " is not closed");
                    default -> throw error("unknown escape \\" + (char) escaped + " in a string");
                }
            }
        }

        private static boolean isDelimiter(int c) {
            return c == -1 || c == ',' || Character.isWhitespace(c) || c == '{' || c == '}' || c == '['
                    || c == ']' || c == '(' || c == ')' || c == '"' || c == ';';
        }

        private String readToken(String what) throws IOException {
            StringBuilder token = new StringBuilder();
            while (!isDelimiter(peek())) {
                token.append((char) read());
            }
            if (token.length() == 0) {
                throw error("an empty " + what);
            }
            return token.toString();
        }

        private Object readAtom() throws IOException {
            String token = readToken("token");
            switch (token) {
                case "nil":
                    return null;
                case "true":
                    return Boolean.TRUE;
                case "false":
                    return Boolean.FALSE;
                default:
                    break;
            }
            char first = token.charAt(0);
            boolean signed = (first == '-' || first == '+') && token.length() > 1;
            if (Character.isDigit(first) || (signed && Character.isDigit(token.charAt(1)))) {
                return readNumber(token);
            }
            return new Symbol(token);
        }

        private Object readNumber(String token) {
            try {
                if (token.matches("[-+]?\\d+N?")) {
                    String digits = token.endsWith("N") ? token.substring(0, token.length() - 1) : token;
                    BigInteger integer = new BigInteger(digits);
                    return integer.bitLength() < 64 ? (Object) integer.longValue() : integer;
                }
                if (token.matches("[-+]?\\d+(\\.\\d*)?([eE][-+]?\\d+)?M?")) {
                    return Double.parseDouble(token.endsWith("M") ? token.substring(0, token.length() - 1) : token);
                }
            } catch (NumberFormatException e) {
                throw error("bad number " + token + ": " + e.getMessage());
            }
            throw error("bad number " + token);
        }
    }

    /** The EDN text of a value this class reads. */
    public static String write(Object value) {
        StringBuilder out = new StringBuilder();
        write(value, out);
        return out.toString();
    }

    /** Appends the EDN text of {@code value} to {@code out}. */
    public static void write(Object value, StringBuilder out) {
        if (value == null) {
            out.append("nil");
        } else if (value instanceof String s) {
            writeString(s, out);
        } else if (value instanceof List<?> list) {
            out.append('[');
            for (int i = 0; i < list.size(); i++) {
                if (i > 0) {
                    out.append(' ');
                }
                write(list.get(i), out);
            }
            out.append(']');
        } else if (value instanceof Map<?, ?> map) {
            out.append('{');
            boolean first = true;
            for (Map.Entry<?, ?> entry : map.entrySet()) {
                if (!first) {
                    out.append(", ");
                }
                first = false;
                write(entry.getKey(), out);
                out.append(' ');
                write(entry.getValue(), out);
            }
            out.append('}');
        } else if (value instanceof CasValue cas) {
            out.append('[');
            write(cas.expected(), out);
            out.append(' ');
            write(cas.next(), out);
            out.append(']');
        } else if (value instanceof Integer || value instanceof Long || value instanceof BigInteger
                || value instanceof Double || value instanceof Boolean || value instanceof Keyword
                || value instanceof Symbol || value instanceof Short || value instanceof Byte) {
            out.append(value);
        } else {
            throw new IllegalArgumentException("not an EDN value of a history: " + value.getClass().getName());
        }
    }

    private static void writeString(String s, StringBuilder out) {
        out.append('"');
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '"' -> out.append("\\\"");
                case '\\' -> out.append("\\\\");
                case '\n' -> out.append("\\n");
                case '\t' -> out.append("\\t");
                case '\r' -> out.append("\\r");
                default -> {
                    if (c < 0x20) {
                        out.append(String.format("\\u%04x", (int) c));
                    } else {
                        out.append(c);
                    }
                }
            }
        }
        out.append('"');
    }
}

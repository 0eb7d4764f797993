package io.confman.jepsen.history;

import java.io.BufferedReader;
import java.io.BufferedWriter;
import java.io.IOException;
import java.io.Reader;
import java.io.Writer;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Reads and writes histories in Jepsen's line format, one EDN map per event:
 * {@code {:type :invoke, :f :write, :value 19, :process 0, :time 20821276, :index 0}}.
 *
 * <p>A history of several registers (what Jepsen's {@code independent} wrapper and our
 * harness write) carries {@code :value [key value]}, {@code [key [old new]]} for a cas and
 * {@code [key nil]} for a read's invocation. {@link #parse} recognises such a history by
 * every event having that shape, and gives each {@link Op} its key; otherwise every key is
 * null. Events of processes that are not integers (Jepsen's {@code :nemesis}) are not
 * client operations and are left out.
 *
 * <p>{@link #validate} rejects histories no set of sequential clients could have written;
 * {@link #parse} applies it, and so does the checker to histories built in memory.
 */
public final class History {

    /** The name of the file that {@link #writePerKey} lists the keys' files in. */
    public static final String KEY_INDEX_FILE = "index.tsv";

    private History() {
    }

    /** The history in {@code file}; see {@link #parse}. */
    public static List<Op> read(Path file) throws IOException {
        try (Reader in = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
            return parse(in);
        }
    }

    /**
     * The events of a history in the order written (which is the real-time order: for events
     * of equal {@code :time} the order in the text decides).
     *
     * @throws MalformedHistoryException for text that is not such a history, naming the line
     */
    public static List<Op> parse(Reader reader) throws IOException {
        Edn.Parser parser = new Edn.Parser(reader instanceof BufferedReader ? reader : new BufferedReader(reader));
        List<RawEvent> events = new ArrayList<>();
        long position = 0;
        while (parser.hasNext()) {
            long line = parser.line();
            Object form = parser.next();
            RawEvent event = RawEvent.of(form, line, position);
            position++;
            if (event != null) {
                events.add(event);
            }
        }
        boolean multiKey = !events.isEmpty() && events.stream().allMatch(RawEvent::hasKeyedShape);
        List<Op> ops = new ArrayList<>(events.size());
        for (RawEvent event : events) {
            ops.add(event.toOp(multiKey));
        }
        validate(ops);
        return ops;
    }

    /** One map of the file, checked field by field before the history's shape is known. */
    private record RawEvent(long line, long index, long process, OpType type, OpFunction f, Object value,
                            long time, Object error) {

        static RawEvent of(Object form, long line, long position) {
            if (!(form instanceof Map<?, ?> map)) {
                throw new MalformedHistoryException("line " + line + ": an event must be a map, not " + Edn.write(form));
            }
            Object process = map.get(new Keyword("process"));
            if (process != null && !(process instanceof Long)) {
                return null;
            }
            if (process == null) {
                throw bad(line, "has no :process");
            }
            OpType type = OpType.ofKeyword(keywordName(map.get(new Keyword("type"))));
            if (type == null) {
                throw bad(line, "has :type " + Edn.write(map.get(new Keyword("type")))
                        + ", not one of :invoke :ok :fail :info");
            }
            OpFunction f = OpFunction.ofKeyword(keywordName(map.get(new Keyword("f"))));
            if (f == null) {
                throw bad(line, "has :f " + Edn.write(map.get(new Keyword("f"))) + ", not one of :read :write :cas");
            }
            Object index = map.containsKey(new Keyword("index")) ? map.get(new Keyword("index")) : position;
            if (!(index instanceof Long)) {
                throw bad(line, "has :index " + Edn.write(index) + ", not an integer");
            }
            Object time = map.containsKey(new Keyword("time")) ? map.get(new Keyword("time")) : 0L;
            if (!(time instanceof Long)) {
                throw bad(line, "has :time " + Edn.write(time) + ", not an integer");
            }
            return new RawEvent(line, (Long) index, (Long) process, type, f, map.get(new Keyword("value")),
                    (Long) time, map.get(new Keyword("error")));
        }

        private static String keywordName(Object value) {
            return value instanceof Keyword keyword ? keyword.name() : null;
        }

        private static MalformedHistoryException bad(long line, String what) {
            return new MalformedHistoryException("line " + line + ": the event " + what);
        }

        /** {@code [key value]}, and for a cas {@code [key [old new]]}. */
        boolean hasKeyedShape() {
            if (!(value instanceof List<?> pair) || pair.size() != 2) {
                return false;
            }
            return f != OpFunction.CAS || (pair.get(1) instanceof List<?> cas && cas.size() == 2);
        }

        Op toOp(boolean multiKey) {
            Object key = null;
            Object plain = value;
            if (multiKey) {
                List<?> pair = (List<?>) value;
                key = pair.get(0);
                plain = pair.get(1);
            }
            if (f == OpFunction.CAS) {
                if (!(plain instanceof List<?> cas) || cas.size() != 2) {
                    throw bad(line, "is a cas whose value " + Edn.write(plain) + " is not [expected next]");
                }
                plain = new CasValue(cas.get(0), cas.get(1));
            }
            return new Op(index, process, type, f, key, plain, time, error);
        }
    }

    /**
     * Checks that sequential clients could have written these events: a process completes
     * only what it invoked, with the same function and key, and invokes again only after a
     * {@code :ok} or {@code :fail} (after an {@code :info} it invokes nothing more).
     *
     * @throws MalformedHistoryException naming the first event at fault by its {@code :index}
     */
    public static void validate(List<Op> ops) {
        Map<Long, Op> pending = new HashMap<>();
        Map<Long, Op> indeterminate = new HashMap<>();
        for (Op op : ops) {
            Op open = pending.get(op.process());
            if (op.type() == OpType.INVOKE) {
                if (open != null) {
                    throw malformed(op, "process " + op.process() + " invokes again while its operation at :index "
                            + open.index() + " has not completed");
                }
                Op lost = indeterminate.get(op.process());
                if (lost != null) {
                    throw malformed(op, "process " + op.process() + " invokes again after its :info at :index "
                            + lost.index() + " (a process whose outcome is unknown must not invoke again)");
                }
                pending.put(op.process(), op);
                continue;
            }
            if (open == null) {
                throw malformed(op, "process " + op.process() + " completes an operation it never invoked");
            }
            if (open.f() != op.f()) {
                throw malformed(op, "process " + op.process() + " completes a :" + op.f().keyword()
                        + " but invoked a :" + open.f().keyword() + " at :index " + open.index());
            }
            if (!java.util.Objects.equals(open.key(), op.key())) {
                throw malformed(op, "process " + op.process() + " completes an operation on key "
                        + Edn.write(op.key()) + " but invoked it on key " + Edn.write(open.key()) + " at :index "
                        + open.index());
            }
            pending.remove(op.process());
            if (op.type() == OpType.INFO) {
                indeterminate.put(op.process(), op);
            }
        }
    }

    private static MalformedHistoryException malformed(Op op, String what) {
        return new MalformedHistoryException("malformed history at :index " + op.index() + ": " + what);
    }

    /** One event as a line of the file, without the line break. */
    public static String line(Op op) {
        StringBuilder out = new StringBuilder(96);
        out.append("{:type :").append(op.type().keyword()).append(", :f :").append(op.f().keyword())
                .append(", :value ");
        if (op.key() != null) {
            out.append('[');
            Edn.write(op.key(), out);
            out.append(' ');
            Edn.write(op.value(), out);
            out.append(']');
        } else {
            Edn.write(op.value(), out);
        }
        out.append(", :process ").append(op.process()).append(", :time ").append(op.timeNanos())
                .append(", :index ").append(op.index());
        if (op.error() != null) {
            out.append(", :error ");
            Edn.write(op.error(), out);
        }
        out.append('}');
        return out.toString();
    }

    /** Writes {@code ops} one line each, in Jepsen's format (keys as {@code [key value]}). */
    public static void write(List<Op> ops, Writer out) throws IOException {
        for (Op op : ops) {
            out.write(line(op));
            out.write('\n');
        }
        out.flush();
    }

    /** Writes {@code ops} to {@code file}, replacing it. */
    public static void write(List<Op> ops, Path file) throws IOException {
        try (Writer out = Files.newBufferedWriter(file, StandardCharsets.UTF_8)) {
            write(ops, out);
        }
    }

    /**
     * The events of each key in the order of the history, in the order keys first appear.
     * A history without keys gives one entry under the key null.
     */
    public static Map<Object, List<Op>> byKey(List<Op> ops) {
        Map<Object, List<Op>> keys = new LinkedHashMap<>();
        for (Op op : ops) {
            keys.computeIfAbsent(op.key(), k -> new ArrayList<>()).add(op);
        }
        return keys;
    }

    /**
     * Writes one single-register history per key into {@code dir}, as Jepsen's
     * {@code independent} checker splits a history: plain values, events renumbered from 0
     * in their order, the file named by {@link #fileNameOf} the key. {@value #KEY_INDEX_FILE}
     * lists each key's EDN text, a tab and its file name.
     *
     * @return the file of each key
     */
    public static Map<Object, Path> writePerKey(List<Op> ops, Path dir) throws IOException {
        Files.createDirectories(dir);
        Map<Object, Path> files = new LinkedHashMap<>();
        StringBuilder index = new StringBuilder();
        for (Map.Entry<Object, List<Op>> entry : byKey(ops).entrySet()) {
            List<Op> single = new ArrayList<>(entry.getValue().size());
            for (Op op : entry.getValue()) {
                single.add(op.withoutKey().withIndex(single.size()));
            }
            String name = fileNameOf(entry.getKey());
            Path file = dir.resolve(name);
            if (files.containsValue(file)) {
                throw new IllegalStateException("two keys map to the file " + name);
            }
            write(single, file);
            files.put(entry.getKey(), file);
            index.append(Edn.write(entry.getKey())).append('\t').append(name).append('\n');
        }
        Files.writeString(dir.resolve(KEY_INDEX_FILE), index, StandardCharsets.UTF_8);
        return files;
    }

    /**
     * A file name for a key that is safe on any file system and distinct for distinct keys:
     * {@code key-} then the key's text with every byte other than a lowercase letter, a
     * digit or {@code -} written as {@code %XX} (uppercase letters too, for file systems that
     * ignore case); a key that is not a string is written as its EDN text after {@code _}.
     * {@code "k17"} becomes {@code key-k17.edn}, the integer 3 {@code key-_3.edn}.
     */
    public static String fileNameOf(Object key) {
        String text = key instanceof String s ? s : Edn.write(key);
        StringBuilder name = new StringBuilder("key-");
        if (!(key instanceof String)) {
            name.append('_');
        }
        for (byte b : text.getBytes(StandardCharsets.UTF_8)) {
            char c = (char) (b & 0xff);
            if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-') {
                name.append(c);
            } else {
                name.append('%').append(String.format("%02X", b & 0xff));
            }
        }
        return name.append(".edn").toString();
    }

    /**
     * The value as the checker compares it: integers of any Java type that fit a long become
     * a {@link Long}, so that a harness writing {@code Integer}s and a file read back compare
     * equal, as EDN equality says.
     */
    public static Object normalise(Object value) {
        if (value instanceof Integer || value instanceof Short || value instanceof Byte) {
            return ((Number) value).longValue();
        }
        if (value instanceof BigInteger big && big.bitLength() < 64) {
            return big.longValue();
        }
        return value;
    }
}

package io.confman.raft.sim;

import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.io.Writer;

/**
 * The events of a run: one readable line each for {@code --verbose}, one JSON object per
 * line for {@code --trace FILE} (the live view's Replay tab steps through them; SIMULATOR.md,
 * "Traces"). When neither is on, callers skip building the text: {@link #enabled()} is checked
 * first, so tracing costs nothing in bulk runs.
 */
public final class SimTrace {

    /** A trace that records nothing. */
    public static final SimTrace OFF = new SimTrace(null, null);

    private final PrintStream readable;
    private final Writer json;
    private long seed;
    /**
     * Events written other than the {@code tick} line every step writes: a replay lists the
     * checks of a tick in which something happened.
     */
    private long happenings;

    public SimTrace(PrintStream readable, Writer json) {
        this.readable = readable;
        this.json = json;
    }

    public boolean enabled() {
        return readable != null || json != null;
    }

    /** True if the JSON lines are written, and with them the events only a replay needs. */
    boolean replayEnabled() {
        return json != null;
    }

    void startSeed(long seed) {
        this.seed = seed;
    }

    long happenings() {
        return happenings;
    }

    /**
     * Records one event whose fields are all text. {@code fields} are name/value pairs, the
     * node first when there is one.
     */
    void event(long tick, String kind, String... fields) {
        Event event = begin(tick, kind);
        for (int i = 0; i + 1 < fields.length; i += 2) {
            event.text(fields[i], fields[i + 1]);
        }
        event.write();
    }

    /** Starts an event of both outputs; add its fields in order, then {@link Event#write()} it. */
    Event begin(long tick, String kind) {
        return new Event(tick, kind, true);
    }

    /**
     * Starts an event only a replay needs (node states, the checks of a tick): it goes to the
     * JSON lines only, since the readable trace has one line per tick with each node's role.
     */
    Event beginReplayOnly(long tick, String kind) {
        return new Event(tick, kind, false);
    }

    /** One event being built. Text fields appear in both outputs, typed fields in JSON only. */
    final class Event {

        private final long tick;
        private final String kind;
        private final StringBuilder readableFields;
        private final StringBuilder jsonFields = new StringBuilder(96);

        private Event(long tick, String kind, boolean alsoReadable) {
            this.tick = tick;
            this.kind = kind;
            this.readableFields = alsoReadable && readable != null ? new StringBuilder(96) : null;
        }

        /** A text field, in both outputs. */
        Event text(String name, String value) {
            if (readableFields != null) {
                readableFields.append(' ').append(name).append('=').append(value);
            }
            return jsonString(name, value);
        }

        /** A JSON string, or {@code null}. */
        Event jsonString(String name, String value) {
            return jsonValue(name, value == null ? "null" : quote(value));
        }

        Event jsonNumber(String name, long value) {
            return jsonValue(name, Long.toString(value));
        }

        Event jsonBoolean(String name, boolean value) {
            return jsonValue(name, Boolean.toString(value));
        }

        /** A field whose value is already JSON text: an array or an object built with {@link #quote}. */
        Event jsonValue(String name, String jsonText) {
            jsonFields.append(",\"").append(escape(name)).append("\":").append(jsonText);
            return this;
        }

        /** The JSON fields added so far, to compare two events without their seed and tick. */
        String jsonFields() {
            return jsonFields.toString();
        }

        void write() {
            if (!kind.equals("tick")) {
                happenings++;
            }
            if (readableFields != null) {
                readable.println(String.format("t=%05d %-9s", tick, kind) + readableFields);
            }
            if (json != null) {
                StringBuilder line = new StringBuilder(48 + jsonFields.length());
                line.append("{\"seed\":").append(seed).append(",\"tick\":").append(tick)
                        .append(",\"event\":").append(quote(kind)).append(jsonFields).append("}\n");
                try {
                    json.write(line.toString());
                } catch (IOException e) {
                    throw new UncheckedIOException("cannot write the trace", e);
                }
            }
        }
    }

    /** {@code text} as a JSON string, quotes included. */
    static String quote(String text) {
        return '"' + escape(text) + '"';
    }

    private static String escape(String text) {
        StringBuilder out = new StringBuilder(text.length());
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            switch (c) {
                case '"' -> out.append("\\\"");
                case '\\' -> out.append("\\\\");
                case '\n' -> out.append("\\n");
                default -> {
                    if (c < 0x20) {
                        out.append(String.format("\\u%04x", (int) c));
                    } else {
                        out.append(c);
                    }
                }
            }
        }
        return out.toString();
    }
}

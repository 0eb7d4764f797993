package io.confman.raft.sim;

import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.io.Writer;

/**
 * The events of a run: one readable line each for {@code --verbose}, one JSON object per
 * line for {@code --trace FILE} (a later UI replays them). When neither is on, callers skip
 * building the text: {@link #enabled()} is checked first, so tracing costs nothing in bulk runs.
 */
public final class SimTrace {

    /** A trace that records nothing. */
    public static final SimTrace OFF = new SimTrace(null, null);

    private final PrintStream readable;
    private final Writer json;
    private long seed;

    public SimTrace(PrintStream readable, Writer json) {
        this.readable = readable;
        this.json = json;
    }

    public boolean enabled() {
        return readable != null || json != null;
    }

    void startSeed(long seed) {
        this.seed = seed;
    }

    /**
     * Records one event. {@code fields} are name/value pairs, the node first when there is one.
     */
    void event(long tick, String kind, String... fields) {
        if (readable != null) {
            StringBuilder line = new StringBuilder(96);
            line.append(String.format("t=%05d %-9s", tick, kind));
            for (int i = 0; i + 1 < fields.length; i += 2) {
                line.append(' ').append(fields[i]).append('=').append(fields[i + 1]);
            }
            readable.println(line);
        }
        if (json != null) {
            StringBuilder line = new StringBuilder(128);
            line.append("{\"seed\":").append(seed).append(",\"tick\":").append(tick)
                    .append(",\"event\":\"").append(kind).append('"');
            for (int i = 0; i + 1 < fields.length; i += 2) {
                line.append(",\"").append(escape(fields[i])).append("\":\"").append(escape(fields[i + 1])).append('"');
            }
            line.append("}\n");
            try {
                json.write(line.toString());
            } catch (IOException e) {
                throw new UncheckedIOException("cannot write the trace", e);
            }
        }
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

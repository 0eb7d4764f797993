package io.confman.cli;

import java.io.PrintStream;
import java.time.Instant;
import java.time.format.DateTimeFormatter;
import java.time.ZoneOffset;
import java.util.logging.Formatter;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogManager;
import java.util.logging.LogRecord;
import java.util.logging.Logger;

/**
 * Routes java.util.logging (where the node's {@code System.Logger}s and Netty's logger end
 * up) to one stream, one event per line:
 * {@code 2026-11-25T22:00:00.123Z INFO ConfmanNode event=role-change ...}. An exception is
 * appended to its event's line as {@code class: message}, causes included, never as a
 * multi-line stack trace: log collectors and {@code grep} treat a line as an event, and a
 * stack trace split over lines reads as many unrelated ones.
 */
final class LineLog {

    /** Causes followed when an exception is printed; a cycle or a deep chain stops there. */
    static final int CAUSES_MAX = 8;

    private static final DateTimeFormatter TIMESTAMP =
            DateTimeFormatter.ofPattern("uuuu-MM-dd'T'HH:mm:ss.SSS'Z'").withZone(ZoneOffset.UTC);

    private LineLog() {
    }

    /** Replaces every handler with one that writes {@code out}, at INFO and above. */
    static void configure(PrintStream out) {
        LogManager manager = LogManager.getLogManager();
        if (manager instanceof LineLogManager lines) {
            lines.resetForConfiguration();
        } else {
            // Another manager (something logged before Main set the property): lines logged
            // while the JVM shuts down may be lost, everything else is as configured.
            manager.reset();
        }
        Logger root = Logger.getLogger("");
        root.setLevel(Level.INFO);
        root.addHandler(new LineHandler(out));
    }

    /** Formats one record as one line, ending with a line break. */
    static String format(LogRecord record) {
        StringBuilder line = new StringBuilder(160);
        line.append(timestamp(record.getInstant()));
        line.append(' ').append(levelName(record.getLevel()));
        line.append(' ').append(simpleName(record.getLoggerName()));
        line.append(' ').append(flatten(new SimpleFormatterMessage().formatMessage(record)));
        Throwable thrown = record.getThrown();
        for (int depth = 0; thrown != null && depth < CAUSES_MAX; depth++) {
            line.append(depth == 0 ? " exception=" : " cause=").append(flatten(String.valueOf(thrown)));
            thrown = thrown.getCause() == thrown ? null : thrown.getCause();
        }
        return line.append('\n').toString();
    }

    /** Always three fraction digits, UTC: lines of several nodes sort by their first field. */
    static String timestamp(Instant instant) {
        return TIMESTAMP.format(instant);
    }

    /** The names people grep for: ERROR and WARN rather than JUL's SEVERE and WARNING. */
    static String levelName(Level level) {
        int value = level.intValue();
        if (value >= Level.SEVERE.intValue()) {
            return "ERROR";
        }
        if (value >= Level.WARNING.intValue()) {
            return "WARN";
        }
        if (value >= Level.INFO.intValue()) {
            return "INFO";
        }
        if (value >= Level.FINE.intValue()) {
            return "DEBUG";
        }
        return "TRACE";
    }

    static String simpleName(String loggerName) {
        if (loggerName == null || loggerName.isEmpty()) {
            return "root";
        }
        return loggerName.substring(loggerName.lastIndexOf('.') + 1);
    }

    private static String flatten(String text) {
        return text.replace("\r", "").replace("\n", " | ");
    }

    /** JUL's parameter substitution ({@code {0}}), without any other formatting. */
    private static final class SimpleFormatterMessage extends Formatter {
        @Override
        public String format(LogRecord record) {
            return formatMessage(record);
        }
    }

    /** Writes whole lines and flushes each, so a crash loses no event already logged. */
    private static final class LineHandler extends Handler {
        private final PrintStream out;

        LineHandler(PrintStream out) {
            this.out = out;
            setLevel(Level.ALL);
        }

        @Override
        public void publish(LogRecord record) {
            if (!isLoggable(record)) {
                return;
            }
            String line = format(record);
            synchronized (out) {
                out.print(line);
                out.flush();
            }
        }

        @Override
        public void flush() {
            out.flush();
        }

        @Override
        public void close() {
            out.flush();
        }
    }
}

package io.confman.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.time.Instant;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import org.junit.jupiter.api.Test;

class LineLogTest {

    @Test
    void oneEventIsOneLine() {
        LogRecord record = new LogRecord(Level.INFO, "event=role-change node=n1 role=LEADER");
        record.setLoggerName("io.confman.node.ConfmanNode");
        record.setInstant(Instant.parse("2026-11-25T22:00:00Z"));
        assertEquals("2026-11-25T22:00:00.000Z INFO ConfmanNode event=role-change node=n1 role=LEADER\n",
                LineLog.format(record));
    }

    @Test
    void anExceptionAndItsCausesStayOnTheLine() {
        LogRecord record = new LogRecord(Level.SEVERE, "loop failed\nsecond line");
        record.setLoggerName("io.confman.node.ConfmanNode");
        record.setInstant(Instant.parse("2026-11-25T22:00:00.123Z"));
        record.setThrown(new IllegalStateException("bad\nstate", new IOException("disk")));
        String line = LineLog.format(record);
        assertEquals(1, line.lines().count(), line);
        assertTrue(line.startsWith("2026-11-25T22:00:00.123Z ERROR ConfmanNode loop failed | second line"), line);
        assertTrue(line.contains(" exception=java.lang.IllegalStateException: bad | state"), line);
        assertTrue(line.contains(" cause=java.io.IOException: disk"), line);
    }

    @Test
    void levelNames() {
        assertEquals("WARN", LineLog.levelName(Level.WARNING));
        assertEquals("DEBUG", LineLog.levelName(Level.FINE));
        assertEquals("root", LineLog.simpleName(""));
    }
}
